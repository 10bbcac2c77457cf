using StreamFx.Bridge;
using StreamFx.Diffusion.Pipeline;

namespace StreamFx.Host.Effects;

/// <summary>
/// Turns one input frame into one output frame of the same geometry and pixel format. Called on
/// the session's frame loop only (never concurrently); must not allocate per frame once warmed up
/// for a resolution.
/// </summary>
public interface IFrameEffect : IDisposable
{
    /// <summary>Short name for logs.</summary>
    string Name { get; }

    /// <summary>
    /// <paramref name="input"/> and <paramref name="output"/> are each <c>rowBytes * height</c>
    /// bytes of <paramref name="format"/> pixels; rows may have padding after <c>width * 4</c> bytes.
    /// </summary>
    void Process(ReadOnlySpan<byte> input, Span<byte> output, int width, int height, int rowBytes, PixelFormat format);

    /// <summary>
    /// Applies the streamer's live settings (prompt, strength, seed, ...) to the running effect.
    /// <see cref="ConfigureOutcome.ReloadRequired"/> means only a newly loaded effect can take them
    /// (nothing changed). Invalid values throw <see cref="ArgumentException"/> and change nothing.
    /// </summary>
    ConfigureOutcome Configure(EffectSettings settings);

    /// <summary>What STATUS reports about this effect (read on the frame loop, about once a second).</summary>
    EffectReport Report { get; }
}

/// <summary>
/// An effect's part of STATUS: the provider in use, why others were not (null when none failed),
/// the last frame's per-stage timings and the frames the similarity filter skipped (null when the
/// effect has no such thing).
/// </summary>
public readonly record struct EffectReport(string Provider, string? ProvidersTried, StageTimings? Stages, long? Skipped)
{
    /// <summary>What the loader derived from the model folder ("unet: float16, timestep float16, timestep_cond no; ..."), or null.</summary>
    public string? ModelInfo { get; init; }

    public const string CpuProvider = "cpu";

    /// <summary>Seconds the warm-up frame took during the load (null: the effect ran none).</summary>
    public double? WarmUpSeconds { get; init; }

    public static EffectReport Cpu => new(CpuProvider, null, null, null);
}
