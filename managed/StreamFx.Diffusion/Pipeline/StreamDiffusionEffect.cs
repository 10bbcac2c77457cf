using System.Diagnostics;
using System.Numerics.Tensors;
using Microsoft.ML.OnnxRuntime;
using StreamFx.Diffusion.Blending;
using StreamFx.Diffusion.Filtering;
using StreamFx.Diffusion.Guidance;
using StreamFx.Diffusion.Imaging;
using StreamFx.Diffusion.Model;
using StreamFx.Diffusion.Runtime;
using StreamFx.Diffusion.Scheduling;
using StreamFx.Diffusion.Streaming;
using StreamFx.Diffusion.Text;

namespace StreamFx.Diffusion.Pipeline;

/// <summary>Construction-time choices that are not live controls.</summary>
public sealed record EffectOptions
{
    public IProviderAppender Appender { get; init; } = OrtProviderAppender.Instance;
    public string? EngineCacheRoot { get; init; }
    public Action<string>? Log { get; init; }
    /// <summary>Progress lines for the UI while loading (e.g. "building TensorRT engine (12 s)").</summary>
    public Action<string>? StatusMessage { get; init; }
    /// <summary>Uniform draws for the similarity filter (tests inject a script).</summary>
    public IUniformSource? SkipRandom { get; init; }
    public int IntraOpThreads { get; init; }
    public bool? IsWindows { get; init; }
    /// <summary>
    /// Cancels a load that nobody waits for any more: every model run in progress or later stops with an
    /// <see cref="OnnxRuntimeException"/> (ONNX Runtime's terminate flag), so an abandoned effect frees
    /// its thread and memory early instead of finishing a warm-up nobody will see.
    /// </summary>
    public CancellationToken Cancellation { get; init; }
}

/// <summary>
/// The StreamDiffusion img2img effect the host runs on each frame: model folder loaded and validated at
/// construction, live controls through <see cref="Configure"/>, one frame per <see cref="Process"/>.
/// Not thread-safe: call from one thread. Steady-state frames allocate nothing.
/// </summary>
public sealed class StreamDiffusionEffect : IDisposable
{
    private readonly DiffusionManifest _manifest;
    private readonly DiffusionSessions _sessions;
    private readonly ClipTokenizer _tokenizer;
    private readonly RunOptions _runOptions = new();
    private readonly LcmScheduler _scheduler;
    private readonly TextEncoderStage _text;
    private readonly PromptEmbeddingCache _embeddings;
    private readonly SimilaritySkipFilter _skip;
    private readonly StyleTransition _transition = new();
    private readonly int[] _ids = new int[ClipTokenizer.ContextLength];
    private readonly float[] _cond, _uncond, _condTarget;

    private EffectSettings _settings;
    private int _resolution, _latentLength;
    private AutoencoderStage? _encoder, _decoder;
    private UnetStage? _unet;
    private StreamDenoiser? _denoiser;
    private FrameResampler? _resampler;
    private float[] _image = [], _latent = [], _x0 = [], _decoded = [];
    private byte[] _lastOutput = [];
    private bool _hasOutput;
    private int[] _tIndexList = [];
    private bool _hasCond;
    private readonly CancellationTokenRegistration _cancellation;

    public StreamDiffusionEffect(string modelFolder, EffectSettings? settings = null, EffectOptions? options = null)
    {
        options ??= new EffectOptions();
        options.Cancellation.ThrowIfCancellationRequested();
        _settings = settings ?? new EffectSettings();
        _manifest = DiffusionManifest.Load(modelFolder, _settings.VaeDir);
        _tokenizer = LoadTokenizer(_manifest);
        _resolution = _settings.Resolution > 0 ? _settings.Resolution : _manifest.Resolution;
        _sessions = DiffusionSessions.Load(_manifest, new SessionLoadOptions
        {
            Provider = _settings.ExecutionProvider,
            Appender = options.Appender,
            EngineCacheRoot = options.EngineCacheRoot,
            Resolution = _resolution,
            OptUnetBatch = Math.Max(1, _settings.TIndexList?.Length ?? _settings.Steps),
            MaxUnetBatch = 2 * TimestepSelection.MaxSteps,
            IntraOpThreads = options.IntraOpThreads,
            IsWindows = options.IsWindows,
            Log = options.Log,
            Status = options.StatusMessage,
        });
        try
        {
            _cancellation = options.Cancellation.Register(static state => ((RunOptions)state!).Terminate = true, _runOptions);
            options.Cancellation.ThrowIfCancellationRequested();
            _scheduler = new LcmScheduler(NoiseSchedule.ScaledLinear(_manifest.BetaStart, _manifest.BetaEnd, _manifest.TrainSteps));
            _text = new TextEncoderStage(_sessions.TextEncoder, _manifest, _runOptions);
            _embeddings = new PromptEmbeddingCache(_text.EmbeddingLength, EncodeText);
            _cond = new float[_text.EmbeddingLength];
            _uncond = new float[_text.EmbeddingLength];
            _condTarget = new float[_text.EmbeddingLength];
            _skip = new SimilaritySkipFilter(options.SkipRandom ?? new XorShiftUniformSource(0x5EED), _settings.SimilarityThreshold, _settings.MaxSkipFrames);
            Status = new EffectStatus
            {
                ModelName = _manifest.Name,
                ModelFolder = _manifest.Folder,
                Provider = _sessions.Provider,
                ProviderAttempts = _sessions.Attempts,
            };
            Apply(_settings, initial: true);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public EffectStatus Status { get; }
    public EffectSettings Settings => _settings;
    public DiffusionManifest Manifest => _manifest;
    /// <summary>The square size frames are processed at.</summary>
    public int ProcessingResolution => _resolution;
    public int CachedPromptCount => _embeddings.Count;
    /// <summary>The prompt embedding the UNet was last given ([77, H]); moves towards the target during a transition.</summary>
    public ReadOnlySpan<float> Conditioning => _cond;

    /// <summary>
    /// Applies live controls without rebuilding sessions. Returns <see cref="ConfigureOutcome.ReloadRequired"/>
    /// (and changes nothing) when model_dir or execution_provider differ, or the resolution on TensorRT:
    /// those need a new effect. A resolution change on other providers re-allocates buffers once.
    /// Invalid values throw <see cref="ArgumentException"/> and leave the previous settings in force.
    /// </summary>
    public ConfigureOutcome Configure(EffectSettings settings)
    {
        if (settings.ExecutionProvider != _settings.ExecutionProvider
            || (settings.ModelDir is { } dir && Path.GetFullPath(dir) != _manifest.Folder)
            || (settings.VaeDir ?? "") != (_manifest.VaeDirSetting ?? "")
            // TensorRT profiles are built for one size: another size needs new engines.
            || (_sessions.Provider == ExecutionProviderKind.TensorRt && (settings.Resolution > 0 ? settings.Resolution : _manifest.Resolution) != _resolution))
            return ConfigureOutcome.ReloadRequired;
        Apply(settings, initial: false);
        return ConfigureOutcome.Applied;
    }

    /// <summary>
    /// Runs one frame. <paramref name="pixels"/> and <paramref name="output"/> are width x height 4-byte pixels,
    /// <paramref name="rowBytes"/> apart, in <paramref name="layout"/>. Returns true when a new output was
    /// written; false when the similarity filter skipped the frame (the previous output is written again,
    /// and no model runs).
    /// </summary>
    public bool Process(ReadOnlySpan<byte> pixels, Span<byte> output, int width, int height, int rowBytes, PixelLayout layout)
    {
        if (width < 1 || height < 1) throw new ArgumentOutOfRangeException(nameof(width), $"frame size must be positive, found {width}x{height}");
        if (rowBytes < width * 4) throw new ArgumentOutOfRangeException(nameof(rowBytes), rowBytes, $"row bytes must be at least {width * 4}");
        long need = (long)rowBytes * (height - 1) + width * 4;
        if (pixels.Length < need || output.Length < need)
            throw new ArgumentException($"a {width}x{height} frame with {rowBytes} row bytes needs {need} bytes; input has {pixels.Length}, output {output.Length}");
        int frameBytes = (int)need;

        if (_settings.Bypass)
        {
            pixels[..frameBytes].CopyTo(output);
            Status.LastFrameSkipped = false;
            return true;
        }
        if (_resampler is null || _resampler.FrameWidth != width || _resampler.FrameHeight != height || _resampler.Fit != _settings.FitMode)
        {
            _resampler = new FrameResampler(width, height, _resolution, _resolution, _settings.FitMode);
            _skip.Reset();
            _hasOutput = false;
        }
        if (_lastOutput.Length != frameBytes)
        {
            _lastOutput = new byte[frameBytes];
            _hasOutput = false;
        }

        long t0 = Stopwatch.GetTimestamp();
        _resampler.ToTensor(pixels, rowBytes, layout, _manifest.ImageRange, _image);
        long t1 = Stopwatch.GetTimestamp();
        // A running style transition must advance on a still frame too, so it is never skipped.
        if (_skip.ShouldSkip(_image) && _hasOutput && !_transition.Active)
        {
            _lastOutput.AsSpan().CopyTo(output);
            Status.FramesSkipped++;
            Status.LastFrameSkipped = true;
            return false;
        }

        _encoder!.Run(_image, _latent);
        if (_manifest.LatentScale != 1f) TensorPrimitives.Multiply(_latent, _manifest.LatentScale, _latent);
        long t2 = Stopwatch.GetTimestamp();

        if (_transition.Next(_cond)) _unet!.SetEmbeddings(_cond, _uncond);
        _denoiser!.Denoise(_latent, _x0);
        long t3 = Stopwatch.GetTimestamp();

        if (_manifest.LatentScale != 1f) TensorPrimitives.Multiply(_x0, 1f / _manifest.LatentScale, _x0);
        _decoder!.Run(_x0, _decoded);
        long t4 = Stopwatch.GetTimestamp();

        _resampler.FromTensor(_decoded, _manifest.ImageRange, pixels, output, rowBytes, layout);
        output[..frameBytes].CopyTo(_lastOutput);
        _hasOutput = true;
        long t5 = Stopwatch.GetTimestamp();

        Status.LastTimings = new StageTimings(Ms(t0, t1), Ms(t1, t2), Ms(t2, t3), Ms(t3, t4), Ms(t4, t5));
        Status.FramesProcessed++;
        Status.LastFrameSkipped = false;
        Status.UnetCalls = _unet!.Calls;
        Status.EncoderCalls = _encoder.Calls;
        Status.DecoderCalls = _decoder.Calls;
        Status.UnetBatch = _unet.LastBatch;
        Status.TransitionActive = _transition.Active;
        return true;
    }

    /// <summary>
    /// Runs one frame's models (encoder, UNet, decoder) at the processing resolution on a mid-grey
    /// image, as the background load's last step, so the first shown frame does not pay for ONNX
    /// Runtime's first-run allocations and the host learns how slow the model is before it runs live.
    /// The stream state (denoising buffer, stock noise) is reset afterwards: the first real frame is
    /// processed exactly as without the warm-up. Returns the seconds the frame took.
    /// </summary>
    public double WarmUp()
    {
        long t0 = Stopwatch.GetTimestamp();
        Array.Fill(_image, _manifest.ImageRange == ImageRange.ZeroToOne ? 0.5f : 0f);
        _encoder!.Run(_image, _latent);
        if (_manifest.LatentScale != 1f) TensorPrimitives.Multiply(_latent, _manifest.LatentScale, _latent);
        _denoiser!.Denoise(_latent, _x0);
        if (_manifest.LatentScale != 1f) TensorPrimitives.Multiply(_x0, 1f / _manifest.LatentScale, _x0);
        _decoder!.Run(_x0, _decoded);
        _denoiser.SetInitNoise(_denoiser.Batch.InitNoise);
        Status.UnetCalls = _unet!.Calls;
        Status.EncoderCalls = _encoder.Calls;
        Status.DecoderCalls = _decoder.Calls;
        return (Stopwatch.GetTimestamp() - t0) / (double)Stopwatch.Frequency;
    }

    private static double Ms(long a, long b) => (b - a) * 1000.0 / Stopwatch.Frequency;

    /// <summary>
    /// Applies <paramref name="s"/> as one transaction: everything that can fail (validation, new ONNX
    /// stages for another resolution, text encoding) is done first, on the side; only then are the
    /// running state's fields swapped, by steps that cannot fail. A failure (an
    /// <see cref="OnnxRuntimeException"/> included) leaves the previous settings and stages running.
    /// </summary>
    private void Apply(EffectSettings s, bool initial)
    {
        var old = _settings;
        int[] tIndex = s.TIndexList ?? TimestepSelection.FromStrength(s.Strength, s.Steps);
        TimestepSelection.Validate(tIndex);
        if (s.SeedBlend is { Count: > 0 } && s.SeedBlend.Sum(w => w.Weight) <= 0)
            throw new ArgumentException("seed_blend weights must not all be 0");
        if (s.PromptBlend is { Count: > 0 } && s.PromptBlend.Sum(w => w.Weight) <= 0)
            throw new ArgumentException("prompt_blend weights must not all be 0");
        int resolution = s.Resolution > 0 ? s.Resolution : _manifest.Resolution;
        if (resolution % _manifest.VaeScaleFactor != 0 || resolution < 64)
            throw new ArgumentException($"resolution must be a multiple of {_manifest.VaeScaleFactor} and at least 64, found {resolution}");

        // Prepare: nothing the running frames use changes here.
        ResolutionStages? stages = _unet is null || resolution != _resolution ? ResolutionStages.Create(_sessions, _runOptions, _manifest, resolution) : null;
        StreamBatch? batch = null;
        float[]? noise = null;
        float[] target = new float[_cond.Length];
        float[] uncond = new float[_uncond.Length];
        bool scheduleChanged, noiseChanged;
        try
        {
            int latentLength = stages?.LatentLength ?? _latentLength;
            scheduleChanged = initial || stages is not null || !tIndex.AsSpan().SequenceEqual(_tIndexList);
            noiseChanged = scheduleChanged || s.Seed != old.Seed || !SameSeeds(s.SeedBlend, old.SeedBlend) || s.BlendMode != old.BlendMode;
            if (scheduleChanged)
                batch = new StreamBatch(tIndex.Select(_scheduler.ConstantsForIndex).ToArray(), 1, latentLength, MakeNoise(s, tIndex.Length, latentLength));
            else if (noiseChanged)
                noise = MakeNoise(s, tIndex.Length, latentLength);
            // A bound run per UNet batch size is cached; creating one can fail, using it later cannot.
            (stages?.Unet ?? _unet!).Prepare(ResidualCfg.UnetBatchSize(s.CfgType, s.GuidanceScale, tIndex.Length));

            // Conditioning: prompt (or weighted prompts) followed by the style text; cached per text.
            string style = s.StyleText();
            if (s.PromptBlend is { Count: > 0 } blend)
            {
                var items = blend.Select(p => _embeddings.Get(EffectSettings.Compose(p.Text, style))).ToList();
                VectorBlend.BlendMany(s.BlendMode, items, blend.Select(p => p.Weight).ToArray(), target);
            }
            else
                _embeddings.Get(EffectSettings.Compose(s.Prompt, style)).CopyTo(target, 0);
            _embeddings.Get(s.NegativePrompt.Trim()).CopyTo(uncond, 0);
        }
        catch
        {
            stages?.Dispose();
            throw;
        }

        // Commit: plain assignments and copies from here on.
        _settings = s;
        if (stages is not null)
            Adopt(stages);
        if (batch is not null)
        {
            _tIndexList = tIndex;
            // The denoiser holds the predictor: a new UNet stage needs a new denoiser.
            if (_denoiser is null || stages is not null) _denoiser = new StreamDenoiser(_unet!, batch, s.CfgType, s.GuidanceScale, s.Delta);
            else _denoiser.SetBatch(batch);
        }
        else if (noise is not null)
            _denoiser!.SetInitNoise(noise);
        _denoiser!.SetGuidance(s.CfgType, s.GuidanceScale, s.Delta);
        _unet!.SetGuidanceScale(s.GuidanceScale);

        _skip.Threshold = s.SimilarityThreshold;
        _skip.MaxSkipFrames = s.MaxSkipFrames;

        bool uncondChanged = !_uncond.AsSpan().SequenceEqual(uncond);
        uncond.CopyTo(_uncond, 0);
        bool condChanged = !_hasCond || !target.AsSpan().SequenceEqual(_condTarget);
        target.CopyTo(_condTarget, 0);
        if (condChanged && _hasCond && s.TransitionFrames > 0)
            _transition.Start(_cond, target, s.TransitionFrames, s.BlendMode);
        else if (condChanged)
        {
            _transition.Cancel();
            target.CopyTo(_cond, 0);
        }
        _hasCond = true;
        _unet!.SetEmbeddings(_cond, _uncond);

        // The previous output no longer matches these settings: a still input must not be skipped as
        // "similar" and keep showing it (up to max_skip_frames frames).
        if (!initial && OutputAffected(old, s, scheduleChanged || noiseChanged, condChanged || uncondChanged))
            _skip.Reset();
        Status.TIndexList = tIndex;
        Status.UnetBatch = _denoiser.UnetBatch;
        Status.TextEncoderCalls = _text.Calls;
    }

    /// <summary>Whether frames made under <paramref name="old"/> differ from what <paramref name="now"/> would make.</summary>
    private static bool OutputAffected(EffectSettings old, EffectSettings now, bool scheduleOrNoise, bool conditioning) =>
        scheduleOrNoise || conditioning
        || old.CfgType != now.CfgType || old.GuidanceScale != now.GuidanceScale || old.Delta != now.Delta
        || old.Bypass != now.Bypass || old.FitMode != now.FitMode;

    private static bool SameSeeds(IReadOnlyList<WeightedSeed>? a, IReadOnlyList<WeightedSeed>? b) =>
        (a is null || a.Count == 0) ? (b is null || b.Count == 0) : b is not null && a.SequenceEqual(b);

    private static float[] MakeNoise(EffectSettings s, int steps, int latentLength)
    {
        var noise = new float[steps * latentLength];
        if (s.SeedBlend is { Count: > 0 } seeds)
            GaussianNoise.FillBlend(s.BlendMode, seeds.Select(w => (w.Seed, w.Weight)).ToList(), noise);
        else
            GaussianNoise.Fill(s.Seed, noise);
        return noise;
    }

    /// <summary>Swaps in the stages and buffers of another resolution; the old stages are disposed only now.</summary>
    private void Adopt(ResolutionStages next)
    {
        _encoder?.Dispose();
        _decoder?.Dispose();
        _unet?.Dispose();
        _resolution = next.Resolution;
        _latentLength = next.LatentLength;
        _encoder = next.Encoder;
        _decoder = next.Decoder;
        _unet = next.Unet;
        _image = new float[3 * next.Resolution * next.Resolution];
        _decoded = new float[_image.Length];
        _latent = new float[_latentLength];
        _x0 = new float[_latentLength];
        _resampler = null;
        _hasOutput = false;
    }

    /// <summary>The ONNX stages bound for one processing resolution, built whole before any is used.</summary>
    private sealed class ResolutionStages : IDisposable
    {
        private ResolutionStages(int resolution, int latentSide, int latentLength, AutoencoderStage encoder, AutoencoderStage decoder, UnetStage unet)
        {
            Resolution = resolution;
            LatentSide = latentSide;
            LatentLength = latentLength;
            Encoder = encoder;
            Decoder = decoder;
            Unet = unet;
        }

        public int Resolution { get; }
        public int LatentSide { get; }
        public int LatentLength { get; }
        public AutoencoderStage Encoder { get; }
        public AutoencoderStage Decoder { get; }
        public UnetStage Unet { get; }

        public static ResolutionStages Create(DiffusionSessions sessions, RunOptions runOptions, DiffusionManifest manifest, int resolution)
        {
            int latentSide = resolution / manifest.VaeScaleFactor;
            AutoencoderStage? encoder = null, decoder = null;
            try
            {
                encoder = AutoencoderStage.Encoder(sessions.VaeEncoder, runOptions, manifest, resolution);
                decoder = AutoencoderStage.Decoder(sessions.VaeDecoder, runOptions, manifest, resolution);
                var unet = new UnetStage(sessions.Unet, runOptions, manifest, latentSide, latentSide);
                return new ResolutionStages(resolution, latentSide, manifest.LatentChannels * latentSide * latentSide, encoder, decoder, unet);
            }
            catch
            {
                encoder?.Dispose();
                decoder?.Dispose();
                throw;
            }
        }

        public void Dispose()
        {
            Encoder.Dispose();
            Decoder.Dispose();
            Unet.Dispose();
        }
    }

    private void EncodeText(string text, float[] embedding)
    {
        long t = Stopwatch.GetTimestamp();
        _tokenizer.Encode(text, _ids);
        _text.Encode(_ids, embedding);
        Status.LastTextEncodeMs = Ms(t, Stopwatch.GetTimestamp());
        Status.TextEncoderCalls = _text.Calls;
    }

    private static ClipTokenizer LoadTokenizer(DiffusionManifest m)
    {
        ClipTokenizer tok;
        try { tok = ClipTokenizer.Load(m.TokenizerFolder); }
        catch (TokenizerFormatException e) { throw new ModelFolderException(e.File, e.Field, e.Expected, e.Found, e); }
        string config = Path.Combine(m.TokenizerFolder, "tokenizer_config.json");
        if (tok.PadId != m.PadTokenId) throw new ModelFolderException(config, "pad_token id", $"{m.PadTokenId} (manifest tokenizer.pad_token_id)", tok.PadId.ToString());
        if (tok.BosId != m.BosTokenId) throw new ModelFolderException(config, "bos_token id", $"{m.BosTokenId} (manifest tokenizer.bos_token_id)", tok.BosId.ToString());
        if (tok.EosId != m.EosTokenId) throw new ModelFolderException(config, "eos_token id", $"{m.EosTokenId} (manifest tokenizer.eos_token_id)", tok.EosId.ToString());
        return tok;
    }

    public void Dispose()
    {
        _cancellation.Dispose();
        _encoder?.Dispose();
        _decoder?.Dispose();
        _unet?.Dispose();
        _text?.Dispose();
        _sessions.Dispose();
        _runOptions.Dispose();
    }
}
