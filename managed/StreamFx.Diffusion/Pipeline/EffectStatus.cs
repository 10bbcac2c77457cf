using StreamFx.Diffusion.Runtime;

namespace StreamFx.Diffusion.Pipeline;

/// <summary>Milliseconds each stage of the last processed frame took.</summary>
public readonly record struct StageTimings(double PreMs, double EncodeMs, double UnetMs, double DecodeMs, double PostMs)
{
    public double TotalMs => PreMs + EncodeMs + UnetMs + DecodeMs + PostMs;
}

/// <summary>What the host reports to the shim: provider in use, why others failed, timings and counters.</summary>
public sealed class EffectStatus
{
    public required string ModelName { get; init; }
    public required string ModelFolder { get; init; }
    public required ExecutionProviderKind Provider { get; init; }
    public required IReadOnlyList<ProviderAttempt> ProviderAttempts { get; init; }
    public string ProviderName => ExecutionProviderNames.Name(Provider);

    public StageTimings LastTimings { get; internal set; }
    /// <summary>Milliseconds the last new prompt took through the tokenizer and text encoder.</summary>
    public double LastTextEncodeMs { get; internal set; }
    public long FramesProcessed { get; internal set; }
    public long FramesSkipped { get; internal set; }
    public bool LastFrameSkipped { get; internal set; }
    public long UnetCalls { get; internal set; }
    public long EncoderCalls { get; internal set; }
    public long DecoderCalls { get; internal set; }
    public long TextEncoderCalls { get; internal set; }
    public int UnetBatch { get; internal set; }
    public int[] TIndexList { get; internal set; } = [];
    public bool TransitionActive { get; internal set; }
}

/// <summary>Result of <see cref="StreamDiffusionEffect.Configure"/>.</summary>
public enum ConfigureOutcome
{
    /// <summary>Applied to the running pipeline (no session was rebuilt).</summary>
    Applied,
    /// <summary>model_dir or execution_provider changed: construct a new effect with these settings.</summary>
    ReloadRequired,
}
