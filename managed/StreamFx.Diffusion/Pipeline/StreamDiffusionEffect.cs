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
    /// <summary>Progress lines for the UI while loading (e.g. "building TensorRT engine (first run, about 4 min): 12 s").</summary>
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

// Construction, live Configure and disposal (settings transactions: .Apply.cs; per-frame work: .Frames.cs).

/// <summary>
/// The StreamDiffusion img2img effect the host runs on each frame: model folder loaded and validated at
/// construction, live controls through <see cref="Configure"/>, one frame per <see cref="Process"/>.
/// Not thread-safe: call from one thread. Steady-state frames allocate nothing.
/// </summary>
public sealed partial class StreamDiffusionEffect : IDisposable
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