using Microsoft.ML.OnnxRuntime.Tensors;
using StreamFx.Diffusion.Imaging;
using StreamFx.Diffusion.Model;
using StreamFx.Diffusion.Pipeline;
using StreamFx.Diffusion.Runtime;
using StreamFx.ModelPack.Architecture;
using StreamFx.Onnx;

namespace StreamFx.Diffusion.Tests;

/// <summary>The architecture packs (real SD-Turbo / OpenCLIP / TAESD graphs at width scale 0.125), generated once per run.</summary>
public sealed class ArchitecturePacks : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "sfx-architecture-tests-" + Guid.NewGuid().ToString("N"));
    private readonly Dictionary<(OnnxElementType, bool), string> _made = new();
    private readonly object _lock = new();

    public string Get(OnnxElementType type, bool fusedAttention = false)
    {
        lock (_lock)
        {
            if (_made.TryGetValue((type, fusedAttention), out var dir)) return dir;
            dir = Path.Combine(_root, OnnxElementTypeInfo.Name(type) + (fusedAttention ? "-fused" : ""));
            ArchitecturePack.Write(dir, new ArchitectureOptions { WidthScale = 0.125, Type = type, Resolution = 64, FusedAttention = fusedAttention });
            _made[(type, fusedAttention)] = dir;
            return dir;
        }
    }

    public void Dispose()
    {
        try { Directory.Delete(_root, true); } catch (IOException) { }
    }
}

[CollectionDefinition("architecture")]
public sealed class ArchitectureCollection : ICollectionFixture<ArchitecturePacks>;

[Collection("architecture")]
public class ArchitecturePackTests(ArchitecturePacks packs)
{
    // 64x64 processing (the default is 512) keeps each frame in milliseconds on the CPU.
    private static readonly EffectSettings Cpu = new() { ExecutionProvider = ExecutionProviderKind.Cpu, Prompt = "a photo of a cat", Strength = 0.6, Steps = 1, Resolution = 64 };

    private static double MeanAbsDifference(byte[] a, byte[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++) sum += Math.Abs(a[i] - b[i]);
        return sum / a.Length;
    }

    [Theory]
    [InlineData("float32", false)]
    [InlineData("float16", false)]
    [InlineData("float16", true)]
    public void RunsThroughTheRealPipelineOnTheCpuAndThePromptReachesTheUnet(string dtype, bool fusedAttention)
    {
        var type = dtype == "float16" ? OnnxElementType.Float16 : OnnxElementType.Float;
        string dir = packs.Get(type, fusedAttention);
        var frame = EffectTests.Frame(64, 64);
        using var fx = new StreamDiffusionEffect(dir, Cpu);

        // Read as a download (model_index.json, no manifest), TAESD as the model's own autoencoder.
        Assert.Equal(PublishedLayout.LayoutName, fx.Manifest.Layout);
        Assert.Equal(1024, fx.Manifest.TextHiddenSize);
        Assert.Equal(64, fx.Manifest.Resolution);
        Assert.Equal(1f, fx.Manifest.LatentScale);
        Assert.Equal(type == OnnxElementType.Float16 ? TensorElementType.Float16 : TensorElementType.Float, fx.Manifest.UnetFloatType);
        Assert.Contains(fx.Manifest.Facts, f => f.Contains("(AutoencoderTiny)") && f.Contains("scale 1 (vae_decoder/config.json scaling_factor)"));

        var cat = new byte[frame.Length];
        Assert.True(fx.Process(frame, cat, 64, 64, 64 * 4, PixelLayout.Rgba));
        Assert.Equal(ConfigureOutcome.Applied, fx.Configure(Cpu with { Prompt = "a painting of a dog" }));
        var dog = new byte[frame.Length];
        Assert.True(fx.Process(frame, dog, 64, 64, 64 * 4, PixelLayout.Rgba));

        // Noise by construction, but the frame went through all four models: the output is not the input, and the
        // text encoder's states reach the UNet's cross-attention, so another prompt gives another frame. Random
        // cross-attention averages over 77 mostly-padding tokens, so the change is small (0.098 measured); a broken
        // text path gives exactly 0.
        Assert.True(MeanAbsDifference(frame, cat) > 1, $"{dtype}: output equals the input (mean |diff| {MeanAbsDifference(frame, cat):F2})");
        Assert.True(MeanAbsDifference(cat, dog) > 0.02, $"{dtype}: a new prompt must change the output (mean |diff| {MeanAbsDifference(cat, dog):F3})");
        var timings = fx.Status.LastTimings;
        Assert.True(timings.UnetMs > 0, "the UNet stage ran");
    }
}
