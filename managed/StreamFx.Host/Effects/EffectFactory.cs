using StreamFx.Diffusion.Model;
using StreamFx.Diffusion.Pipeline;

namespace StreamFx.Host.Effects;

/// <summary>Chooses the pipeline for a model folder by its manifest kind and loads it.</summary>
public static class EffectFactory
{
    // Manifest kinds (the same strings StreamFx.ModelPack writes).
    public const string ImageEffectKind = "image-effect";
    public const string StreamDiffusionKind = DiffusionManifest.Kind;

    /// <summary>
    /// ONNX Runtime threads per CPU-run model: one core is left to OBS, whose graphics thread must
    /// never wait (on a 2-core machine a host using both made OBS lag a frame in two).
    /// </summary>
    public static int IntraOpThreads => Math.Max(1, Environment.ProcessorCount - 1);

    /// <summary>The real <see cref="EffectLoader"/>: never throws for a bad folder; the error names the file.</summary>
    public static EffectLoad Create(EffectRequest request)
    {
        string? modelDir = request.ModelDir;
        if (string.IsNullOrWhiteSpace(modelDir))
        {
            return EffectLoad.NoModel();
        }

        ModelManifest manifest;
        try
        {
            manifest = ModelManifest.Read(modelDir);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            return EffectLoad.Failed(modelDir, e.Message);
        }

        string model = EffectLoad.ModelName(modelDir)!;
        switch (manifest.Kind)
        {
            case ImageEffectKind:
                try
                {
                    return new EffectLoad(new OnnxImageEffect(manifest), EffectLoad.StateReady, model, null);
                }
                catch (Exception e) when (e is InvalidDataException or IOException or InvalidOperationException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
                {
                    return EffectLoad.Failed(modelDir, $"loading '{manifest.ModelPath}' failed: {e.Message}");
                }

            case StreamDiffusionKind:
                var options = new EffectOptions { Log = request.Log, StatusMessage = request.Progress, IntraOpThreads = IntraOpThreads };
                try
                {
                    var pipeline = new StreamDiffusionEffect(modelDir, request.Settings, options);
                    return new EffectLoad(new DiffusionFrameEffect(pipeline), EffectLoad.StateReady, model, null);
                }
                catch (ModelFolderException e)
                {
                    // Already "<full path>: <subject>: expected X, found Y".
                    return EffectLoad.Failed(modelDir, e.Message);
                }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or UnauthorizedAccessException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
                {
                    return EffectLoad.Failed(modelDir, $"loading the stream-diffusion folder '{modelDir}' failed: {e.Message}");
                }

            default:
                return EffectLoad.Failed(modelDir, $"unknown model kind \"{manifest.Kind}\" in '{Path.Combine(modelDir, ModelManifest.FileName)}': expected \"{ImageEffectKind}\" or \"{StreamDiffusionKind}\"");
        }
    }
}
