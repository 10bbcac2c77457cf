using System.Numerics.Tensors;

namespace StreamFx.Diffusion.Blending;

/// <summary>
/// Deterministic standard-normal noise for a seed (SplitMix64 + Box-Muller): the same seed gives the
/// same noise on every machine and runtime, independent of System.Random.
/// </summary>
public static class GaussianNoise
{
    public static void Fill(long seed, Span<float> dest)
    {
        ulong state = unchecked((ulong)seed) ^ 0x5DEECE66DUL;
        int i = 0;
        while (i < dest.Length)
        {
            double u1 = ToUnit(Next(ref state));
            double u2 = ToUnit(Next(ref state));
            double r = Math.Sqrt(-2.0 * Math.Log(u1));
            double a = 2.0 * Math.PI * u2;
            dest[i++] = (float)(r * Math.Cos(a));
            if (i < dest.Length) dest[i++] = (float)(r * Math.Sin(a));
        }
    }

    /// <summary>
    /// Weighted seed blend. Linear: sum(w_i n_i) / sqrt(sum w_i^2), which keeps unit variance for
    /// independent seeds; slerp: pairwise spherical interpolation (see <see cref="VectorBlend.BlendMany"/>).
    /// </summary>
    public static void FillBlend(BlendMode mode, IReadOnlyList<(long Seed, float Weight)> seeds, Span<float> dest)
    {
        if (seeds.Count == 0) throw new ArgumentException("no seeds to blend");
        if (seeds.Count == 1)
        {
            Fill(seeds[0].Seed, dest);
            return;
        }
        var noises = new float[seeds.Count][];
        var weights = new float[seeds.Count];
        for (int i = 0; i < seeds.Count; i++)
        {
            noises[i] = new float[dest.Length];
            Fill(seeds[i].Seed, noises[i]);
            weights[i] = seeds[i].Weight;
        }
        if (mode == BlendMode.Slerp)
        {
            VectorBlend.BlendMany(BlendMode.Slerp, noises, weights, dest);
            return;
        }
        double sumSq = 0;
        foreach (var w in weights)
        {
            if (!(w >= 0) || float.IsInfinity(w)) throw new ArgumentException($"seed weights must be finite and >= 0, found {w}");
            sumSq += (double)w * w;
        }
        if (sumSq == 0) throw new ArgumentException("seed weights must not all be 0");
        float norm = (float)(1.0 / Math.Sqrt(sumSq));
        dest.Clear();
        for (int i = 0; i < noises.Length; i++)
            TensorPrimitives.MultiplyAdd(noises[i], weights[i] * norm, dest, dest);
    }

    private static ulong Next(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    // (0, 1]: never 0, so the logarithm stays finite.
    private static double ToUnit(ulong bits) => ((bits >> 11) + 1) * (1.0 / (1UL << 53));
}
