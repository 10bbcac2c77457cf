using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using StreamFx.Diffusion.Guidance;
using StreamFx.Diffusion.Model;
using StreamFx.Diffusion.Streaming;

namespace StreamFx.Diffusion.Pipeline;

/// <summary>A session bound once to pre-allocated input and output buffers.</summary>
internal sealed class BoundRun : IDisposable
{
    private readonly InferenceSession _session;
    private readonly OrtIoBinding _binding;
    private readonly RunOptions _runOptions;

    public BoundRun(InferenceSession session, RunOptions runOptions, (string Name, TensorBuffer Buffer)[] inputs, (string Name, TensorBuffer Buffer)[] outputs)
    {
        _session = session;
        _runOptions = runOptions;
        _binding = session.CreateIoBinding();
        foreach (var (n, b) in inputs) _binding.BindInput(n, b.Value);
        foreach (var (n, b) in outputs) _binding.BindOutput(n, b.Value);
        Buffers = inputs.Select(i => i.Buffer).Concat(outputs.Select(o => o.Buffer)).ToArray();
    }

    public TensorBuffer[] Buffers { get; }

    public void Run() => _session.RunWithBinding(_runOptions, _binding);

    public void Dispose()
    {
        _binding.Dispose();
        foreach (var b in Buffers) b.Dispose();
    }
}

/// <summary>Text encoder: 77 token ids to a [77, H] embedding (run only when a prompt is new).</summary>
internal sealed class TextEncoderStage : IDisposable
{
    private readonly TensorBuffer _ids, _hidden;
    private readonly BoundRun _run;

    public TextEncoderStage(InferenceSession session, DiffusionManifest m, RunOptions runOptions)
    {
        _ids = new TensorBuffer(m.InputIdsType, [1, m.MaxLength]);
        _hidden = new TensorBuffer(m.TextHiddenType, [1, m.MaxLength, m.TextHiddenSize]);
        _run = new BoundRun(session, runOptions, [(DiffusionContracts.InputIds, _ids)], [(DiffusionContracts.LastHiddenState, _hidden)]);
        EmbeddingLength = m.MaxLength * m.TextHiddenSize;
    }

    public int EmbeddingLength { get; }
    public long Calls { get; private set; }

    public void Encode(ReadOnlySpan<int> ids, Span<float> embedding)
    {
        _ids.WriteIntegers(ids);
        _run.Run();
        Calls++;
        _hidden.Read(embedding);
    }

    public void Dispose() => _run.Dispose();
}

/// <summary>Tiny-autoencoder encoder or decoder at batch 1 and the processing size.</summary>
internal sealed class AutoencoderStage : IDisposable
{
    private readonly TensorBuffer _in, _out;
    private readonly BoundRun _run;

    public AutoencoderStage(InferenceSession session, RunOptions runOptions, TensorElementType type, string inName, long[] inShape, string outName, long[] outShape)
    {
        _in = new TensorBuffer(type, inShape);
        _out = new TensorBuffer(type, outShape);
        _run = new BoundRun(session, runOptions, [(inName, _in)], [(outName, _out)]);
    }

    /// <summary>
    /// The VAE encoder at batch 1: image [1,3,r,r] to the declared output, latent_sample [1,4,h,w] or
    /// latent_parameters [1,8,h,w] whose first 4 channels (read by <see cref="Run"/>) are the mean.
    /// </summary>
    public static AutoencoderStage Encoder(InferenceSession session, RunOptions runOptions, DiffusionManifest m, int resolution)
    {
        int side = resolution / m.VaeScaleFactor;
        return new AutoencoderStage(session, runOptions, m.VaeEncoderType, DiffusionContracts.Sample, [1, 3, resolution, resolution],
            m.VaeEncoderOutput, [1, DiffusionContracts.EncoderOutputChannels(m), side, side]);
    }

    public static AutoencoderStage Decoder(InferenceSession session, RunOptions runOptions, DiffusionManifest m, int resolution)
    {
        int side = resolution / m.VaeScaleFactor;
        return new AutoencoderStage(session, runOptions, m.VaeDecoderType, DiffusionContracts.LatentSample, [1, m.LatentChannels, side, side],
            DiffusionContracts.Sample, [1, 3, resolution, resolution]);
    }

    public long Calls { get; private set; }

    public void Run(ReadOnlySpan<float> input, Span<float> output)
    {
        _in.Write(input);
        _run.Run();
        Calls++;
        _out.Read(output);
    }

    public void Dispose() => _run.Dispose();
}

/// <summary>
/// The UNet as a noise predictor: one bound run per batch size (made the first time that size is used,
/// i.e. on a settings change), prompt embeddings re-laid only when they or the negative layout change.
/// </summary>
internal sealed class UnetStage : INoisePredictor, IDisposable
{
    private sealed class Slot(BoundRun run, TensorBuffer sample, TensorBuffer timestep, TensorBuffer hidden, TensorBuffer noise, TensorBuffer? cond)
    {
        public TensorBuffer? Cond { get; } = cond;
        public float FilledGuidance = float.NaN;
        public BoundRun Run { get; } = run;
        public TensorBuffer Sample { get; } = sample;
        public TensorBuffer Timestep { get; } = timestep;
        public TensorBuffer Hidden { get; } = hidden;
        public TensorBuffer Noise { get; } = noise;
        public long FilledVersion = -1;
        public int FilledLead = -1;
    }

    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions;
    private readonly DiffusionManifest _m;
    private readonly int _latentHeight, _latentWidth;
    private readonly Dictionary<int, Slot> _slots = new();
    private readonly float[] _cond, _uncond;
    private readonly float[] _guidanceEmbedding;
    private float _guidanceScale = 1f;
    private long _version;

    public UnetStage(InferenceSession session, RunOptions runOptions, DiffusionManifest m, int latentHeight, int latentWidth)
    {
        _session = session;
        _runOptions = runOptions;
        _m = m;
        _latentHeight = latentHeight;
        _latentWidth = latentWidth;
        _cond = new float[m.MaxLength * m.TextHiddenSize];
        _uncond = new float[_cond.Length];
        _guidanceEmbedding = new float[m.TimestepCondWidth];
        GuidanceEmbedding.Fill(_guidanceScale, _guidanceEmbedding);
    }

    public long Calls { get; private set; }
    public int LastBatch { get; private set; }

    public void SetEmbeddings(ReadOnlySpan<float> cond, ReadOnlySpan<float> uncond)
    {
        cond.CopyTo(_cond);
        uncond.CopyTo(_uncond);
        _version++;
    }

    /// <summary>
    /// The guidance scale an LCM-distilled UNet's timestep_cond embeds (see <see cref="GuidanceEmbedding"/>);
    /// no effect on a UNet without that input.
    /// </summary>
    public void SetGuidanceScale(float guidanceScale)
    {
        if (_guidanceEmbedding.Length == 0 || guidanceScale == _guidanceScale) return;
        _guidanceScale = guidanceScale;
        GuidanceEmbedding.Fill(guidanceScale, _guidanceEmbedding);
    }

    /// <summary>Creates the bound run for a batch size ahead of time (so the first frame allocates nothing new).</summary>
    public void Prepare(int batch) => GetSlot(batch);

    public void Predict(ReadOnlySpan<float> sample, ReadOnlySpan<int> timesteps, int uncondLeading, Span<float> noise)
    {
        int batch = timesteps.Length;
        var slot = GetSlot(batch);
        slot.Sample.Write(sample);
        slot.Timestep.WriteIntegers(timesteps);
        if (slot.FilledVersion != _version || slot.FilledLead != uncondLeading)
        {
            for (int i = 0; i < batch; i++)
                slot.Hidden.Write(i < uncondLeading ? _uncond : _cond, i * _cond.Length);
            slot.FilledVersion = _version;
            slot.FilledLead = uncondLeading;
        }
        if (slot.Cond is { } cond && slot.FilledGuidance != _guidanceScale)
        {
            for (int i = 0; i < batch; i++) cond.Write(_guidanceEmbedding, i * _guidanceEmbedding.Length);
            slot.FilledGuidance = _guidanceScale;
        }
        slot.Run.Run();
        Calls++;
        LastBatch = batch;
        slot.Noise.Read(noise);
    }

    private Slot GetSlot(int batch)
    {
        if (_slots.TryGetValue(batch, out var slot)) return slot;
        var f = _m.UnetFloatType;
        long[] latent = [batch, _m.LatentChannels, _latentHeight, _latentWidth];
        var sample = new TensorBuffer(f, latent);
        var timestep = new TensorBuffer(_m.UnetTimestepType, [batch]);
        var hidden = new TensorBuffer(f, [batch, _m.MaxLength, _m.TextHiddenSize]);
        var noise = new TensorBuffer(f, latent);
        var cond = _m.TimestepCondWidth > 0 ? new TensorBuffer(f, [batch, _m.TimestepCondWidth]) : null;
        (string, TensorBuffer)[] inputs = cond is null
            ? [(DiffusionContracts.Sample, sample), (DiffusionContracts.Timestep, timestep), (DiffusionContracts.EncoderHiddenStates, hidden)]
            : [(DiffusionContracts.Sample, sample), (DiffusionContracts.Timestep, timestep), (DiffusionContracts.EncoderHiddenStates, hidden), (DiffusionContracts.TimestepCond, cond)];
        var run = new BoundRun(_session, _runOptions, inputs, [(DiffusionContracts.OutSample, noise)]);
        slot = new Slot(run, sample, timestep, hidden, noise, cond);
        _slots[batch] = slot;
        return slot;
    }

    public void Dispose()
    {
        foreach (var s in _slots.Values) s.Run.Dispose();
        _slots.Clear();
    }
}
