using Microsoft.ML.OnnxRuntime;
using StreamFx.Diffusion.Imaging;
using StreamFx.Diffusion.Pipeline;
using StreamFx.Diffusion.Runtime;

namespace StreamFx.Diffusion.Tests;

/// <summary>
/// Issue 13 item 3, pipeline side: a live Configure that fails inside ONNX Runtime (here: a run
/// stopped by the terminate flag, which a cancelled load sets) changes nothing, and a cancelled
/// load stops at its next model run.
/// </summary>
[Collection("packs")]
public class ConfigureTransactionTests(SyntheticPacks packs)
{
    private static readonly EffectSettings Cpu = new()
    {
        ExecutionProvider = ExecutionProviderKind.Cpu, Prompt = "a photo of a cat", Strength = 0.6, Steps = 1,
        Resolution = 64, Styles = [], StyleIndex = -1, TransitionFrames = 0,
    };

    [Fact]
    public void AConfigureThatFailsInOnnxRuntimeKeepsThePreviousSettingsAndStages()
    {
        using var cancel = new CancellationTokenSource();
        using var fx = new StreamDiffusionEffect(packs.Turbo64, Cpu, new EffectOptions { Cancellation = cancel.Token });
        byte[] frame = EffectTests.Frame(64, 64);
        var output = new byte[frame.Length];
        fx.Process(frame, output, 64, 64, 256, PixelLayout.Rgba);
        float[] conditioning = fx.Conditioning.ToArray();
        EffectSettings before = fx.Settings;
        int cached = fx.CachedPromptCount;

        // Every model run now fails: the new resolution's stages are built, then the new prompt's text
        // encoding throws. Nothing of it may stay.
        cancel.Cancel();
        Assert.Throws<OnnxRuntimeException>(() => fx.Configure(Cpu with { Resolution = 128, Prompt = "a new prompt", Seed = 77 }));
        Assert.Same(before, fx.Settings);
        Assert.Equal(64, fx.ProcessingResolution);
        Assert.Equal(conditioning, fx.Conditioning.ToArray());
        Assert.Equal(cached, fx.CachedPromptCount); // the failed prompt's embedding was not cached
    }

    [Fact]
    public void ACancelledLoadStopsBeforeBuildingAnything()
    {
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => new StreamDiffusionEffect(packs.Turbo64, Cpu, new EffectOptions { Cancellation = cancel.Token }));
    }
}
