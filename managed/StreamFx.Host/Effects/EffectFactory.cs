using StreamFx.Diffusion.Model;
using StreamFx.Diffusion.Pipeline;

namespace StreamFx.Host.Effects;

/// <summary>Chooses the pipeline for a model folder by its manifest kind and loads it.</summary>
public static class EffectFactory
{
    // Manifest kinds (the same strings StreamFx.ModelPack writes).
    public const string ImageEffectKind = ModelFolder.ImageEffectKind;
    public const string StreamDiffusionKind = ModelFolder.StreamDiffusionKind;

    /// <summary>
    /// ONNX Runtime threads per CPU-run model: one core is left to OBS, whose graphics thread must
    /// never wait (on a 2-core machine a host using both made OBS lag a frame in two).
    /// </summary>
    public static int IntraOpThreads => Math.Max(1, Environment.ProcessorCount - 1);

    /// <summary>The error of a load a newer request superseded (never shown: its result is discarded).</summary>
    public const string CancelledError = "load cancelled: a newer CONFIGURE superseded it";

    /// <summary>Progress line while the warm-up frame runs (STATUS "warming up").</summary>
    public const string WarmingUpProgress = "warming up";

    /// <summary>
    /// Runs the warm-up frame inside the load (docs/reliability.md): the loading STATUS says
    /// "warming up" meanwhile, the host's heartbeat keeps ticking on its own timer, and the measured
    /// time is what STATUS reports for a slow model before its first live frame.
    /// </summary>
    private static void WarmUp(DiffusionFrameEffect effect, EffectRequest request)
    {
        int side = effect.Pipeline.ProcessingResolution;
        request.Progress?.Invoke($"{WarmingUpProgress}: one {side}x{side} frame on {effect.Report.Provider}");
        double seconds = effect.Pipeline.WarmUp();
        effect.WarmUpSeconds = seconds;
        request.Log?.Invoke($"model '{EffectLoad.ModelName(request.ModelDir)}': warm-up frame took {seconds:0.00} s on {effect.Report.Provider}");
    }

    /// <summary>The real <see cref="EffectLoader"/>: never throws for a bad folder; the error names the file.</summary>
    public static EffectLoad Create(EffectRequest request)
    {
        string? modelDir = request.ModelDir;
        if (string.IsNullOrWhiteSpace(modelDir))
        {
            return EffectLoad.NoModel();
        }

        ModelFolder folder;
        try
        {
            folder = ModelFolder.Open(modelDir);
        }
        catch (Exception e) when (e is ModelFolderException or IOException or UnauthorizedAccessException)
        {
            return EffectLoad.Failed(modelDir, e.Message);
        }

        string model = EffectLoad.ModelName(modelDir)!;
        switch (folder.Kind)
        {
            case ImageEffectKind:
                ImageEffectManifest manifest;
                try
                {
                    manifest = ImageEffectManifest.From(folder);
                }
                catch (ModelFolderException e)
                {
                    return EffectLoad.Failed(modelDir, e.Message);
                }

                try
                {
                    return new EffectLoad(new OnnxImageEffect(manifest), EffectLoad.StateReady, model, null);
                }
                catch (Exception e) when (e is InvalidDataException or IOException or InvalidOperationException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
                {
                    return EffectLoad.Failed(modelDir, $"loading '{manifest.ModelPath}' failed: {e.Message}");
                }

            case StreamDiffusionKind:
                var options = new EffectOptions { Log = request.Log, StatusMessage = request.Progress, IntraOpThreads = IntraOpThreads, Cancellation = request.Cancellation };
                StreamDiffusionEffect? pipeline = null;
                try
                {
                    pipeline = new StreamDiffusionEffect(modelDir, request.Settings, options);
                    var effect = new DiffusionFrameEffect(pipeline);
                    WarmUp(effect, request);
                    return new EffectLoad(effect, EffectLoad.StateReady, model, null);
                }
                catch (Exception e) when (request.Cancellation.IsCancellationRequested && e is OperationCanceledException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
                {
                    pipeline?.Dispose();
                    return EffectLoad.Failed(modelDir, CancelledError);
                }
                catch (ModelFolderException e)
                {
                    pipeline?.Dispose();
                    // Already "<full path>: <subject>: expected X, found Y".
                    return EffectLoad.Failed(modelDir, e.Message);
                }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or UnauthorizedAccessException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
                {
                    pipeline?.Dispose();
                    return EffectLoad.Failed(modelDir, $"loading the stream-diffusion folder '{modelDir}' failed: {e.Message}");
                }

            default:
                return EffectLoad.Failed(modelDir, $"unknown model kind \"{folder.Kind}\" in '{folder.ManifestPath}': expected \"{ImageEffectKind}\" or \"{StreamDiffusionKind}\"");
        }
    }
}
