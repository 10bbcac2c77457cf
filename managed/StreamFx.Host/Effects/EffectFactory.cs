namespace StreamFx.Host.Effects;

/// <summary>What loading a model folder gave: the effect to run (identity when none could be loaded) and what to report.</summary>
public sealed record EffectLoad(IFrameEffect Effect, string State, string? Model, string? Error)
{
    public const string StateReady = "ready";
    public const string StateNoModel = "no model";
    public const string StateError = "error";
}

/// <summary>
/// Chooses the pipeline for a model folder by its manifest kind. This is the one seam where the
/// StreamDiffusion pipeline plugs in; until then such folders report an error and frames pass through.
/// </summary>
public static class EffectFactory
{
    // Manifest kinds (the same strings StreamFx.ModelPack writes).
    public const string ImageEffectKind = "image-effect";
    public const string StreamDiffusionKind = "stream-diffusion";

    public const string Provider = "cpu";

    public static EffectLoad Create(string? modelDir)
    {
        if (string.IsNullOrWhiteSpace(modelDir))
        {
            return new EffectLoad(new IdentityEffect(), EffectLoad.StateNoModel, null, null);
        }

        ModelManifest manifest;
        try
        {
            manifest = ModelManifest.Read(modelDir);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            return Failed(modelDir, e.Message);
        }

        switch (manifest.Kind)
        {
            case ImageEffectKind:
                try
                {
                    return new EffectLoad(new OnnxImageEffect(manifest), EffectLoad.StateReady, manifest.Name, null);
                }
                catch (Exception e) when (e is InvalidDataException or IOException or InvalidOperationException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
                {
                    return Failed(manifest.Name, $"loading '{manifest.ModelPath}' failed: {e.Message}");
                }

            case StreamDiffusionKind:
                return Failed(manifest.Name, $"unsupported model kind \"{StreamDiffusionKind}\" in '{Path.Combine(modelDir, ModelManifest.FileName)}': the diffusion pipeline is not in this host yet; passing frames through");

            default:
                return Failed(manifest.Name, $"unknown model kind \"{manifest.Kind}\" in '{Path.Combine(modelDir, ModelManifest.FileName)}': expected \"{ImageEffectKind}\" or \"{StreamDiffusionKind}\"; passing frames through");
        }
    }

    private static EffectLoad Failed(string model, string error) => new(new IdentityEffect(), EffectLoad.StateError, model, error);
}
