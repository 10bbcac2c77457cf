using System.Text.Json;
using StreamFx.ModelPack.Diffusion;
using StreamFx.ModelPack.Validation;

namespace StreamFx.ModelPack.Tests;

/// <summary>The generator's published layouts: exact file sets, declared tensors and element types, external data.</summary>
public class PublishedLayoutPackTests
{
    private static readonly PackOptions Small = new() { Resolution = 64 };

    private static string[] Files(string folder) =>
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(folder, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .ToArray();

    private static readonly string[] PipelineFiles =
    [
        "model_index.json", "scheduler/scheduler_config.json", "text_encoder/model.onnx",
        "tokenizer/merges.txt", "tokenizer/special_tokens_map.json", "tokenizer/tokenizer_config.json", "tokenizer/vocab.json",
        "unet/model.onnx", "vae_decoder/model.onnx", "vae_encoder/model.onnx",
    ];

    [Theory]
    [InlineData("onnxruntime-sd-turbo", "")]
    [InlineData("tensorstack", "")]
    [InlineData("taesd", "taesd")]
    [InlineData("lcm-onnx", "lcm")]
    public void EachLayoutWritesExactlyItsFilesAndNoManifest(string name, string extra)
    {
        using var dir = new TempFolder();
        PublishedLayoutPack.Write(dir.Path, PublishedLayoutPack.Parse(name), Small);
        string[] expected = extra switch
        {
            "taesd" => ["vae_decoder/model.onnx", "vae_encoder/model.onnx"],
            "lcm" => [.. PipelineFiles, "unet/config.json", "unet/model.onnx_data", "vae_decoder/config.json"],
            _ => PipelineFiles,
        };
        Assert.Equal(expected.Order(StringComparer.Ordinal), Files(dir.Path));
        foreach (string onnx in expected.Where(f => f.EndsWith(".onnx", StringComparison.Ordinal)))
        {
            OnnxFileCheck.Check(dir.Combine(onnx)); // complete protobufs, external data included
        }
    }

    [Fact]
    public void OnnxRuntimeSdTurboDeclaresFloat16IoFloat16TimestepAndInt32Ids()
    {
        using var dir = new TempFolder();
        PublishedLayoutPack.Write(dir.Path, PackLayout.OnnxRuntimeSdTurbo, Small);
        using (var text = new OnnxSessionRunner(dir.Combine("text_encoder", "model.onnx")))
        {
            Assert.Equal(typeof(int), text.Inputs["input_ids"].ElementType);
            Assert.Equal(typeof(Microsoft.ML.OnnxRuntime.Float16), text.Outputs["last_hidden_state"].ElementType);
        }

        using var unet = new OnnxSessionRunner(dir.Combine("unet", "model.onnx"));
        Assert.Equal(["encoder_hidden_states", "sample", "timestep"], unet.Inputs.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(typeof(Microsoft.ML.OnnxRuntime.Float16), unet.Inputs["timestep"].ElementType);
        Assert.Equal(typeof(Microsoft.ML.OnnxRuntime.Float16), unet.Outputs["out_sample"].ElementType);
        using var index = JsonDocument.Parse(File.ReadAllBytes(dir.Combine("model_index.json")));
        Assert.Equal("OnnxStableDiffusionPipeline", index.RootElement.GetProperty("_class_name").GetString());
        Assert.Equal(JsonValueKind.Null, index.RootElement.GetProperty("safety_checker")[0].ValueKind);
    }

    [Fact]
    public void LcmUnetKeepsItsWeightsInModelOnnxDataAndTakesTimestepCond()
    {
        using var dir = new TempFolder();
        PublishedLayoutPack.Write(dir.Path, PackLayout.LcmOnnx, Small);
        long model = new FileInfo(dir.Combine("unet", "model.onnx")).Length;
        long data = new FileInfo(dir.Combine("unet", "model.onnx_data")).Length;
        Assert.True(data > 10 * model, $"weights belong in model.onnx_data ({data} bytes) not model.onnx ({model} bytes)");
        using var unet = new OnnxSessionRunner(dir.Combine("unet", "model.onnx"));
        Assert.Equal([-1, 256], unet.Inputs["timestep_cond"].Dimensions);
        Assert.Equal(typeof(long), unet.Inputs["timestep"].ElementType);
        var outputs = unet.Run(
            ("sample", new float[4 * 8 * 8], [1, 4, 8, 8]),
            ("timestep", [499f], [1]),
            ("encoder_hidden_states", new float[77 * 768], [1, 77, 768]),
            ("timestep_cond", new float[256], [1, 256]));
        Assert.Equal([1, 4, 8, 8], outputs["out_sample"].Shape);
    }

    [Fact]
    public void TensorStackKeepsFloat32IoOverFloat16Weights()
    {
        using var dir = new TempFolder();
        PublishedLayoutPack.Write(dir.Path, PackLayout.TensorStack, Small);
        using var unet = new OnnxSessionRunner(dir.Combine("unet", "model.onnx"));
        Assert.Equal(typeof(float), unet.Inputs["sample"].ElementType);
        Assert.Equal(typeof(float), unet.Inputs["timestep"].ElementType);
        // Same graph with float32 weights is about twice as large.
        using var f32 = new TempFolder();
        PublishedLayoutPack.Write(f32.Path, PackLayout.Manifest, Small with { TimestepType = Onnx.OnnxElementType.Float });
        Assert.True(new FileInfo(dir.Combine("unet", "model.onnx")).Length < 0.75 * new FileInfo(f32.Combine("unet", "model.onnx")).Length);
    }

    [Fact]
    public void BadLayoutOptionsAreRejectedByName()
    {
        Assert.Contains("--layout", Assert.Throws<ArgumentException>(() => PublishedLayoutPack.Parse("sdxl")).Message);
        using var dir = new TempFolder();
        Assert.Contains("cuda-only", Assert.Throws<ArgumentException>(() => PublishedLayoutPack.Write(dir.Path, PackLayout.TensorStack, Small with { CudaOnly = true })).Message);
    }
}
