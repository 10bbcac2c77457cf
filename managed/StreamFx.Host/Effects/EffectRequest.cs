using StreamFx.Diffusion.Pipeline;

namespace StreamFx.Host.Effects;

/// <summary>
/// One model load: the folder (full path, or null for none), the settings to start with, and where
/// the loader reports log lines and progress ("building TensorRT engine (first run, about 4 min): 12 s"). The callbacks may
/// be called from the loading thread.
/// </summary>
public sealed record EffectRequest(string? ModelDir, EffectSettings Settings)
{
    public Action<string>? Log { get; init; }
    public Action<string>? Progress { get; init; }

    /// <summary>Set when a newer request superseded this one: a loader stops early where it can (the result is discarded either way).</summary>
    public CancellationToken Cancellation { get; init; }
}

/// <summary>
/// Builds the effect for a request. Runs on a background thread, may take minutes (TensorRT
/// engine builds, a slow model's warm-up frame) and reports failures in the returned
/// <see cref="EffectLoad"/> rather than by throwing. <see cref="EffectFactory.Create"/> is the real one; tests inject slow or counting ones.
/// </summary>
public delegate EffectLoad EffectLoader(EffectRequest request);
