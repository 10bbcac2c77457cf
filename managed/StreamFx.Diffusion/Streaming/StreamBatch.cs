using System.Numerics.Tensors;
using StreamFx.Diffusion.Scheduling;

namespace StreamFx.Diffusion.Streaming;

/// <summary>
/// The Stream Batch state: n denoising steps over f frames per call. Each call's UNet batch is the
/// newest f latents noised to t_0 followed by the (n-1)*f latents kept from earlier calls (already at
/// t_1..t_{n-1}); after the step the last f items are fully denoised and become the output, and the
/// others are re-noised to the next step's timestep for the following call. Output k therefore comes
/// from input k-(n-1).
/// </summary>
public sealed class StreamBatch
{
    private readonly StepConstants[] _steps;
    private readonly float[] _initNoise;
    private readonly float[] _buffer;
    private readonly int[] _itemTimesteps;
    private int _calls;

    public StreamBatch(ReadOnlySpan<StepConstants> steps, int frameBufferSize, int latentLength, ReadOnlySpan<float> initNoise, bool addNoise = true)
    {
        if (steps.Length < 1 || steps.Length > TimestepSelection.MaxSteps)
            throw new ArgumentException($"stream batch needs 1..{TimestepSelection.MaxSteps} steps, found {steps.Length}");
        if (frameBufferSize < 1) throw new ArgumentOutOfRangeException(nameof(frameBufferSize), frameBufferSize, "must be at least 1");
        if (latentLength < 1) throw new ArgumentOutOfRangeException(nameof(latentLength), latentLength, "must be at least 1");
        _steps = steps.ToArray();
        FrameBufferSize = frameBufferSize;
        LatentLength = latentLength;
        AddNoise = addNoise;
        int items = steps.Length * frameBufferSize;
        if (initNoise.Length != items * latentLength)
            throw new ArgumentException($"init noise must hold {items}x{latentLength} values, found {initNoise.Length}");
        _initNoise = initNoise.ToArray();
        _buffer = new float[(steps.Length - 1) * frameBufferSize * latentLength];
        _itemTimesteps = new int[items];
        for (int j = 0; j < items; j++) _itemTimesteps[j] = _steps[j / frameBufferSize].Timestep;
    }

    public int Steps => _steps.Length;
    public int FrameBufferSize { get; }
    public int LatentLength { get; }
    public bool AddNoise { get; }
    public int Items => _steps.Length * FrameBufferSize;
    public ReadOnlySpan<StepConstants> StepConstants => _steps;
    public ReadOnlySpan<float> InitNoise => _initNoise;
    public ReadOnlySpan<float> Buffer => _buffer;

    /// <summary>Timestep of each batch item: [t_0..t_{n-1}], each repeated f times.</summary>
    public ReadOnlySpan<int> ItemTimesteps => _itemTimesteps;

    /// <summary>Constants for batch item j.</summary>
    public StepConstants ItemConstants(int item) => _steps[item / FrameBufferSize];

    /// <summary>Number of calls until the buffer holds only real frames (0 once warm).</summary>
    public int WarmUpCallsLeft => Math.Max(0, Steps - 1 - _calls);

    public bool IsWarm => WarmUpCallsLeft == 0;

    /// <summary>Empties the buffer (after a t_index_list or noise change); the next calls warm it again.</summary>
    public void Reset()
    {
        Array.Clear(_buffer);
        _calls = 0;
    }

    /// <summary>Replaces the pre-computed noise (seed change) and empties the buffer.</summary>
    public void SetInitNoise(ReadOnlySpan<float> initNoise)
    {
        if (initNoise.Length != _initNoise.Length)
            throw new ArgumentException($"init noise must hold {_initNoise.Length} values, found {initNoise.Length}");
        initNoise.CopyTo(_initNoise);
        Reset();
    }

    /// <summary>Builds the UNet batch x_t: the new latents (f*L) noised to t_0, then the buffer.</summary>
    public void Assemble(ReadOnlySpan<float> latents, Span<float> batch)
    {
        int head = FrameBufferSize * LatentLength;
        if (latents.Length != head) throw new ArgumentException($"expected {head} latent values, found {latents.Length}");
        if (batch.Length != Items * LatentLength) throw new ArgumentException($"batch must hold {Items * LatentLength} values, found {batch.Length}");
        var k = _steps[0];
        Span<float> newest = batch[..head];
        TensorPrimitives.Multiply(latents, k.SignalScale, newest);
        TensorPrimitives.MultiplyAdd(_initNoise.AsSpan(0, head), k.NoiseScale, newest, newest);
        _buffer.CopyTo(batch[head..]);
    }

    /// <summary>
    /// Takes the denoised batch x0_hat (n*f*L): writes the last f items to <paramref name="output"/> and
    /// keeps a_{t_{k+1}} * x0_hat_k + b_{t_{k+1}} * noise_{k+1} for k = 0..n-2 as the next buffer.
    /// </summary>
    public void Advance(ReadOnlySpan<float> x0Batch, Span<float> output)
    {
        int group = FrameBufferSize * LatentLength;
        if (x0Batch.Length != Items * LatentLength) throw new ArgumentException($"x0 batch must hold {Items * LatentLength} values, found {x0Batch.Length}");
        if (output.Length != group) throw new ArgumentException($"output must hold {group} values, found {output.Length}");
        x0Batch[((Steps - 1) * group)..].CopyTo(output);
        for (int k = 0; k + 1 < Steps; k++)
        {
            var next = _steps[k + 1];
            Span<float> dst = _buffer.AsSpan(k * group, group);
            TensorPrimitives.Multiply(x0Batch.Slice(k * group, group), next.SignalScale, dst);
            if (AddNoise)
                TensorPrimitives.MultiplyAdd(_initNoise.AsSpan((k + 1) * group, group), next.NoiseScale, dst, dst);
        }
        if (_calls < Steps) _calls++;
    }
}
