using System.Numerics.Tensors;

namespace StreamFx.Diffusion.Filtering;

/// <summary>
/// Stochastic similarity filter: compares each preprocessed input with the last processed one (cosine
/// similarity c) and skips it with probability max(0, 1 - (1 - c) / (1 - eta)), never more than
/// <see cref="MaxSkipFrames"/> frames in a row. A threshold of 0 (or below) turns the filter off.
/// </summary>
public sealed class SimilaritySkipFilter
{
    private readonly IUniformSource _uniform;
    private float[] _previous = Array.Empty<float>();
    private bool _hasPrevious;

    public SimilaritySkipFilter(IUniformSource uniform, double threshold = 0.98, int maxSkipFrames = 10)
    {
        _uniform = uniform;
        Threshold = threshold;
        MaxSkipFrames = maxSkipFrames;
    }

    public double Threshold { get; set; }
    public int MaxSkipFrames { get; set; }
    public bool Enabled => Threshold > 0;
    public int ConsecutiveSkips { get; private set; }
    public double LastSimilarity { get; private set; } = double.NaN;

    public static double SkipProbability(double cosineSimilarity, double threshold)
    {
        if (threshold >= 1) return 0;
        return Math.Max(0.0, 1.0 - (1.0 - cosineSimilarity) / (1.0 - threshold));
    }

    /// <summary>Forgets the reference frame (size or fit change).</summary>
    public void Reset()
    {
        _hasPrevious = false;
        ConsecutiveSkips = 0;
        LastSimilarity = double.NaN;
    }

    /// <summary>Decides whether this frame is skipped; a processed frame becomes the new reference.</summary>
    public bool ShouldSkip(ReadOnlySpan<float> frame)
    {
        if (!Enabled)
        {
            _hasPrevious = false;
            ConsecutiveSkips = 0;
            return false;
        }
        if (_hasPrevious && _previous.Length == frame.Length)
        {
            double c = TensorPrimitives.CosineSimilarity(_previous, frame);
            if (double.IsNaN(c)) c = 0; // an all-zero frame: treat as dissimilar
            LastSimilarity = c;
            double p = SkipProbability(c, Threshold);
            double u = _uniform.NextUniform();
            if (u < p && ConsecutiveSkips < MaxSkipFrames)
            {
                ConsecutiveSkips++;
                return true;
            }
        }
        if (_previous.Length != frame.Length) _previous = new float[frame.Length];
        frame.CopyTo(_previous);
        _hasPrevious = true;
        ConsecutiveSkips = 0;
        return false;
    }
}
