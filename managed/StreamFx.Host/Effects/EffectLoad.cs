namespace StreamFx.Host.Effects;

/// <summary>
/// What loading a model folder gave: the effect to run (identity when none could be loaded), the
/// state to report, the model's folder name (STATUS "model") and, on failure, why.
/// </summary>
public sealed record EffectLoad(IFrameEffect Effect, string State, string? Model, string? Error)
{
    public const string StateReady = "ready";
    public const string StateNoModel = "no model";
    public const string StateLoading = "loading";
    public const string StateError = "error";

    public static EffectLoad NoModel() => new(new IdentityEffect(), StateNoModel, null, null);

    public static EffectLoad Failed(string? modelDir, string error) => new(new IdentityEffect(), StateError, ModelName(modelDir), error);

    /// <summary>What STATUS calls a model folder: its folder name.</summary>
    public static string? ModelName(string? modelDir) =>
        modelDir is null ? null : Path.GetFileName(Path.TrimEndingDirectorySeparator(modelDir)) is { Length: > 0 } name ? name : modelDir;
}
