using Microsoft.ML.OnnxRuntime.Tensors;
using StreamFx.Diffusion.Guidance;
using StreamFx.Diffusion.Imaging;
using StreamFx.Diffusion.Model;
using StreamFx.Diffusion.Pipeline;
using StreamFx.Diffusion.Runtime;
using StreamFx.ModelPack.Diffusion;
using StreamFx.Onnx;

namespace StreamFx.Diffusion.Tests;

/// <summary>Synthetic packs in the published layouts (no manifest.json), generated once per test run.</summary>
public sealed class LayoutPacks() : PackFolderCache("sfx-layout-tests-")
{
    public string Get(PackLayout layout, bool cudaOnly = false)
    {
        string name = PublishedLayoutPack.Name(layout) + (cudaOnly ? "-cuda-only" : "");
        return Cached(name, dir => PublishedLayoutPack.Write(dir, layout, new PackOptions { Resolution = 64, CudaOnly = cudaOnly }));
    }
}

[CollectionDefinition("layouts")]
public sealed class LayoutsCollection : ICollectionFixture<LayoutPacks>;

[Collection("layouts")]
public class PublishedLayoutTests(LayoutPacks packs)
{
    private static readonly EffectSettings Cpu = new() { ExecutionProvider = ExecutionProviderKind.Cpu, Prompt = "a photo of a cat", Strength = 0.6, Steps = 1 };

    private static byte[] Run(StreamDiffusionEffect fx, byte[] frame, int w, int h)
    {
        var output = new byte[frame.Length];
        Assert.True(fx.Process(frame, output, w, h, w * 4, PixelLayout.Rgba));
        return output;
    }

    private static double MeanAbsDifference(byte[] a, byte[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++) sum += Math.Abs(a[i] - b[i]);
        return sum / a.Length;
    }

    public static TheoryData<string> PipelineLayouts => new() { "onnxruntime-sd-turbo", "tensorstack", "lcm-onnx" };

    [Theory]
    [MemberData(nameof(PipelineLayouts))]
    public void EachLayoutLoadsWithoutManifestAndThePromptChangesItsOutput(string layoutName)
    {
        string dir = packs.Get(PublishedLayoutPack.Parse(layoutName));
        Assert.False(File.Exists(Path.Combine(dir, "manifest.json")));
        var frame = EffectTests.Frame(64, 64);
        using var fx = new StreamDiffusionEffect(dir, Cpu);
        Assert.Equal(PublishedLayout.LayoutName, fx.Manifest.Layout);
        var cat = Run(fx, frame, 64, 64);
        Assert.Equal(ConfigureOutcome.Applied, fx.Configure(Cpu with { Prompt = "a painting of a dog" }));
        var dog = Run(fx, frame, 64, 64);
        Assert.True(MeanAbsDifference(cat, dog) > 0.5, $"{layoutName}: a new prompt must change the output (mean |diff| {MeanAbsDifference(cat, dog):F3})");
        // The model still follows the frame (the autoencoder's scale is applied both ways): a smooth frame survives.
        Assert.True(MeanAbsDifference(frame, cat) < 40, $"{layoutName}: output strays from the input (mean |diff| {MeanAbsDifference(frame, cat):F1})");
    }

    [Fact]
    public void DerivedFactsMatchEachLayout()
    {
        var ort = DiffusionManifest.Load(packs.Get(PackLayout.OnnxRuntimeSdTurbo));
        Assert.Contains("unet: float16, timestep float16, timestep_cond no", ort.Facts);
        Assert.Equal(TensorElementType.Int32, ort.InputIdsType);
        Assert.Equal(TensorElementType.Float16, ort.TextHiddenType);
        Assert.Equal(TensorElementType.Float16, ort.VaeEncoderType);
        Assert.Equal(1024, ort.TextHiddenSize);
        Assert.Equal(0, ort.PadTokenId);
        Assert.Equal(0.18215f, ort.LatentScale);
        Assert.Contains(ort.Facts, f => f.StartsWith("vae: model's own", StringComparison.Ordinal) && f.Contains("scale 0.18215 (SD VAE default)"));

        var ts = DiffusionManifest.Load(packs.Get(PackLayout.TensorStack));
        Assert.Contains("unet: float32, timestep float32, timestep_cond no", ts.Facts);
        Assert.Equal(TensorElementType.Int32, ts.InputIdsType);

        var lcm = DiffusionManifest.Load(packs.Get(PackLayout.LcmOnnx));
        Assert.Contains("unet: float32, timestep int64, timestep_cond 256, external weights", lcm.Facts);
        Assert.Equal(256, lcm.TimestepCondWidth);
        Assert.Equal(768, lcm.TextHiddenSize);
        Assert.Equal(49407, lcm.PadTokenId);
        Assert.Contains(lcm.Facts, f => f.Contains("scale 0.18215 (vae_decoder/config.json scaling_factor)"));
        Assert.True(File.Exists(Path.Combine(packs.Get(PackLayout.LcmOnnx), "unet", "model.onnx_data")));
    }

    [Fact]
    public void TaesdFromVaeDirReplacesTheModelsAutoencoder()
    {
        string turbo = packs.Get(PackLayout.OnnxRuntimeSdTurbo), taesd = packs.Get(PackLayout.Taesd);
        var settings = Cpu with { VaeDir = taesd };
        var frame = EffectTests.Frame(64, 64);
        using var fx = new StreamDiffusionEffect(turbo, settings);
        Assert.Equal(Path.GetFullPath(taesd), fx.Manifest.VaeFolder);
        Assert.Equal(Path.Combine(Path.GetFullPath(taesd), "vae_decoder", "model.onnx"), fx.Manifest.VaeDecoderPath);
        // float16 UNet, float32 TAESD, TAESD's scale (no config.json: 1.0).
        Assert.Equal(TensorElementType.Float16, fx.Manifest.UnetFloatType);
        Assert.Equal(TensorElementType.Float, fx.Manifest.VaeEncoderType);
        Assert.Equal(1f, fx.Manifest.LatentScale);
        Assert.Contains(fx.Manifest.Facts, f => f.Contains("scale 1 (no config.json: TAESD)"));
        var mixed = Run(fx, frame, 64, 64);
        Assert.True(MeanAbsDifference(frame, mixed) < 40, $"SD-Turbo + TAESD output strays from the input (mean |diff| {MeanAbsDifference(frame, mixed):F1})");
        Assert.Equal(1, fx.Status.EncoderCalls);
        // Changing vae_dir needs a new effect; the same one applies live.
        Assert.Equal(ConfigureOutcome.Applied, fx.Configure(settings with { Prompt = "a dog" }));
        Assert.Equal(ConfigureOutcome.ReloadRequired, fx.Configure(settings with { VaeDir = null }));
    }

    [Fact]
    public void VaeDirWithoutAnAutoencoderIsNamed()
    {
        string empty = Path.Combine(Path.GetTempPath(), "sfx-novae-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(empty);
        try
        {
            var e = Assert.Throws<ModelFolderException>(() => new StreamDiffusionEffect(packs.Get(PackLayout.TensorStack), Cpu with { VaeDir = empty }));
            Assert.Equal(Path.Combine(empty, "vae_encoder", "model.onnx"), e.File);
            Assert.Equal("missing", e.Found);
        }
        finally { Directory.Delete(empty, true); }
    }

    [Fact]
    public void GuidanceScaleReachesAnLcmUnetThroughTimestepCond()
    {
        var frame = EffectTests.Frame(64, 64);
        var lcm = Cpu with { CfgType = CfgType.None, GuidanceScale = 8.5f };
        using var fx = new StreamDiffusionEffect(packs.Get(PackLayout.LcmOnnx), lcm);
        var a = Run(fx, frame, 64, 64);
        fx.Configure(lcm with { GuidanceScale = 3f });
        var b = Run(fx, frame, 64, 64);
        Assert.True(MeanAbsDifference(a, b) > 0.1, $"timestep_cond must carry the guidance scale (mean |diff| {MeanAbsDifference(a, b):F3})");
    }

    [Fact]
    public void GuidanceEmbeddingIsDiffusersLcmEmbedding()
    {
        // diffusers: w = (guidance_scale - 1) * 1000; f_k = exp(-k ln(10000) / 127) for d = 256; [sin(w f), cos(w f)].
        var e = new float[256];
        GuidanceEmbedding.Fill(8.5f, e);
        Assert.Equal(Math.Sin(7500.0), e[0], 3);
        Assert.Equal(Math.Cos(7500.0), e[128], 3);
        Assert.Equal(Math.Sin(0.75), e[127], 5); // f_127 = 1/10000
        Assert.Equal(Math.Cos(0.75), e[255], 5);
        Assert.Equal(Math.Sin(7500.0 * Math.Exp(-Math.Log(10000.0) / 127)), e[1], 3);
        GuidanceEmbedding.Fill(1f, e); // w = 0: sines 0, cosines 1
        Assert.All(e[..128], v => Assert.Equal(0f, v));
        Assert.All(e[128..], v => Assert.Equal(1f, v));
    }

    [Fact]
    public void Float16CudaExportOnCpuGetsTheClearProviderError()
    {
        string dir = packs.Get(PackLayout.OnnxRuntimeSdTurbo, cudaOnly: true);
        var e = Assert.Throws<ModelFolderException>(() => new StreamDiffusionEffect(dir, Cpu));
        Assert.True(e.Message.Contains(DiffusionSessions.CudaOnlyMessage, StringComparison.Ordinal), e.Message);
        Assert.Equal(Path.Combine(dir, "unet", "model.onnx"), e.File);
        // The same folder without the float16-only node runs on CPU: the message is about the provider, not the layout.
        using var fx = new StreamDiffusionEffect(packs.Get(PackLayout.OnnxRuntimeSdTurbo), Cpu);
    }

    [Fact]
    public void MissingModelIndexAndMissingModelAreNamed()
    {
        string dir = packs.CopyOf(packs.Get(PackLayout.OnnxRuntimeSdTurbo));
        File.Delete(Path.Combine(dir, "unet", "model.onnx"));
        var e = Assert.Throws<ModelFolderException>(() => new StreamDiffusionEffect(dir, Cpu));
        Assert.Equal(Path.Combine(dir, "unet", "model.onnx"), e.File);
        Assert.Equal("missing", e.Found);
        File.Delete(Path.Combine(dir, "model_index.json"));
        e = Assert.Throws<ModelFolderException>(() => new StreamDiffusionEffect(dir, Cpu));
        Assert.Equal(Path.Combine(dir, "model_index.json"), e.File);
        Assert.Contains("manifest.json", e.Expected);
    }

    [Theory]
    [InlineData("model_index.json", "{ not json", "json")]
    [InlineData("vae_decoder/model.onnx", "this is not an ONNX file at all", "file")]
    [InlineData("scheduler/scheduler_config.json", "{\"beta_schedule\": \"linear\"}", "field \"beta_schedule\"")]
    [InlineData("tokenizer/tokenizer_config.json", "[1, 2", "json")]
    public void GarbageFileGetsOneErrorNamingIt(string relative, string content, string subject)
    {
        string dir = packs.CopyOf(packs.Get(PackLayout.TensorStack));
        string path = Path.Combine(dir, relative.Replace('/', Path.DirectorySeparatorChar));
        File.WriteAllText(path, content);
        var e = Assert.Throws<ModelFolderException>(() => new StreamDiffusionEffect(dir, Cpu));
        Assert.Equal(path, e.File);
        Assert.Equal(subject, e.Subject);
    }

    [Fact]
    public void WrongElementTypeIsNamedWithExpectedAndFound()
    {
        string dir = packs.CopyOf(packs.Get(PackLayout.TensorStack));
        // A text encoder whose input_ids are float32: published encoders take int32 or int64 ids.
        var g = new OnnxGraphBuilder("text_encoder");
        g.AddInput("input_ids", OnnxElementType.Float, "batch", 77);
        g.AddNode("Identity", ["input_ids"], ["last_hidden_state"]);
        g.AddOutput("last_hidden_state", OnnxElementType.Float, "batch", 77, 1024);
        string path = Path.Combine(dir, "text_encoder", "model.onnx");
        OnnxModelWriter.WriteFile(new OnnxModel(g), path);
        var e = Assert.Throws<ModelFolderException>(() => new StreamDiffusionEffect(dir, Cpu));
        Assert.Equal(path, e.File);
        Assert.Equal("input \"input_ids\" element type", e.Subject);
        Assert.Equal("int32 or int64", e.Expected);
        Assert.Equal("float32", e.Found);
    }

    [Fact]
    public void SignatureReaderSeesNamesTypesRanksAndExternalData()
    {
        var sig = OnnxSignature.Read(Path.Combine(packs.Get(PackLayout.LcmOnnx), "unet", "model.onnx"));
        Assert.Equal(["sample", "timestep", "encoder_hidden_states", "timestep_cond"], sig.Inputs.Select(i => i.Name));
        Assert.Equal(TensorElementType.Int64, sig.Input("timestep")!.ElementType);
        Assert.Equal(4, sig.Input("sample")!.Rank);
        Assert.Equal([-1, 256], sig.Input("timestep_cond")!.Dims);
        Assert.True(sig.UsesExternalData);
        Assert.False(OnnxSignature.Read(Path.Combine(packs.Get(PackLayout.OnnxRuntimeSdTurbo), "unet", "model.onnx")).UsesExternalData);
    }
}
