using System.Text.Json.Nodes;
using StreamFx.Diffusion.Model;
using StreamFx.Diffusion.Pipeline;
using StreamFx.Diffusion.Runtime;

namespace StreamFx.Diffusion.Tests;

[Collection("packs")]
public class ModelFolderTests(SyntheticPacks packs)
{
    private static readonly EffectSettings Cpu = new() { ExecutionProvider = ExecutionProviderKind.Cpu, Resolution = 64 };

    private static void EditManifest(string folder, Action<JsonObject> edit)
    {
        string path = Path.Combine(folder, "manifest.json");
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(json);
        File.WriteAllText(path, json.ToJsonString());
    }

    [Fact]
    public void ManifestOfTheGeneratedPackParses()
    {
        var m = DiffusionManifest.Load(packs.Lcm64Fp16);
        Assert.Equal("sd15-lcm", m.Family);
        Assert.Equal(64, m.Resolution);
        Assert.Equal(TensorDtype.Float16, m.TensorDtype);
        Assert.Equal(TimestepDtype.Float32, m.TimestepDtype);
        Assert.Equal(InputIdsDtype.Int32, m.InputIdsDtype);
        Assert.Equal(ImageRange.ZeroToOne, m.ImageRange);
        Assert.Equal(768, m.TextHiddenSize);
        Assert.Equal(49407, m.PadTokenId);
    }

    [Fact]
    public void MissingFileIsNamed()
    {
        string dir = packs.CopyOf(packs.Turbo64);
        File.Delete(Path.Combine(dir, "unet", "model.onnx"));
        var e = Assert.Throws<ModelFolderException>(() => new StreamDiffusionEffect(dir, Cpu));
        Assert.Equal(Path.Combine(dir, "unet", "model.onnx"), e.File);
        Assert.Equal("missing", e.Found);
    }

    [Fact]
    public void MissingFolderAndMissingManifestAreNamed()
    {
        string dir = Path.Combine(Path.GetTempPath(), "sfx-nothing-" + Guid.NewGuid().ToString("N"));
        var e = Assert.Throws<ModelFolderException>(() => new StreamDiffusionEffect(dir, Cpu));
        Assert.Equal(dir, e.File);
        string copy = packs.CopyOf(packs.Turbo64);
        File.Delete(Path.Combine(copy, "manifest.json"));
        e = Assert.Throws<ModelFolderException>(() => new StreamDiffusionEffect(copy, Cpu));
        // manifest.json is optional now: without it the folder must be a published layout, named by model_index.json.
        Assert.Equal(Path.Combine(copy, "model_index.json"), e.File);
        Assert.Contains("manifest.json", e.Expected);
    }

    [Fact]
    public void WrongInputNameNamesFileInputExpectedAndFound()
    {
        string dir = packs.CopyOf(packs.Turbo64);
        // The decoder's input is latent_sample, not the UNet's sample/timestep/encoder_hidden_states.
        File.Copy(Path.Combine(dir, "vae_decoder", "model.onnx"), Path.Combine(dir, "unet", "model.onnx"), overwrite: true);
        var e = Assert.Throws<ModelFolderException>(() => new StreamDiffusionEffect(dir, Cpu));
        Assert.Equal(Path.Combine(dir, "unet", "model.onnx"), e.File);
        Assert.Equal("input \"sample\"", e.Subject);
        Assert.Equal("present", e.Expected);
        Assert.Equal("inputs [latent_sample]", e.Found);
        Assert.StartsWith(Path.Combine(dir, "unet", "model.onnx") + ": input \"sample\": expected present, found inputs [latent_sample]", e.Message);
    }

    [Fact]
    public void WrongElementTypeIsReported()
    {
        string dir = packs.CopyOf(packs.Turbo64);
        EditManifest(dir, j => j["timestep_dtype"] = "float32"); // the model takes int64
        var e = Assert.Throws<ModelFolderException>(() => new StreamDiffusionEffect(dir, Cpu));
        Assert.Equal(Path.Combine(dir, "unet", "model.onnx"), e.File);
        Assert.Equal("input \"timestep\" element type", e.Subject);
        Assert.Equal(("float32", "int64"), (e.Expected, e.Found));

        dir = packs.CopyOf(packs.Turbo64);
        EditManifest(dir, j => j["tensor_dtype"] = "float16");
        e = Assert.Throws<ModelFolderException>(() => new StreamDiffusionEffect(dir, Cpu));
        Assert.Equal(Path.Combine(dir, "text_encoder", "model.onnx"), e.File);
        Assert.Equal("output \"last_hidden_state\" element type", e.Subject);
        Assert.Equal(("float16", "float32"), (e.Expected, e.Found));
    }

    [Fact]
    public void WrongShapeIsReported()
    {
        string dir = packs.CopyOf(packs.Turbo64);
        EditManifest(dir, j => j["text_hidden_size"] = 768); // the model's hidden size is 1024
        var e = Assert.Throws<ModelFolderException>(() => new StreamDiffusionEffect(dir, Cpu));
        Assert.Equal(Path.Combine(dir, "text_encoder", "model.onnx"), e.File);
        Assert.Equal("output \"last_hidden_state\" shape", e.Subject);
        Assert.Equal(("[?, 77, 768]", "[?, 77, 1024]"), (e.Expected, e.Found));
    }

    [Fact]
    public void BadManifestFieldsAreNamed()
    {
        string dir = packs.CopyOf(packs.Turbo64);
        EditManifest(dir, j => j["timestep_dtype"] = "int8");
        var e = Assert.Throws<ModelFolderException>(() => DiffusionManifest.Load(dir));
        Assert.Equal(Path.Combine(dir, "manifest.json") + ": field \"timestep_dtype\": expected \"int64\" or \"float32\" or \"float16\", found \"int8\"", e.Message);
        EditManifest(dir, j => { j["timestep_dtype"] = "int64"; j["kind"] = "image-effect"; });
        e = Assert.Throws<ModelFolderException>(() => DiffusionManifest.Load(dir));
        Assert.Equal("field \"kind\"", e.Subject);
        EditManifest(dir, j => { j["kind"] = "stream-diffusion"; j["format_version"] = 2; });
        Assert.Equal("field \"format_version\"", Assert.Throws<ModelFolderException>(() => DiffusionManifest.Load(dir)).Subject);
        EditManifest(dir, j => { j["format_version"] = 1; j["models"] = new JsonObject { ["unet"] = "../elsewhere.onnx" }; });
        Assert.Equal("field \"models.unet\"", Assert.Throws<ModelFolderException>(() => DiffusionManifest.Load(dir)).Subject);
    }

    [Fact]
    public void TokenizerPadIdMustMatchTheManifest()
    {
        string dir = packs.CopyOf(packs.Turbo64);
        EditManifest(dir, j => j["tokenizer"] = new JsonObject { ["bos_token_id"] = 49406, ["eos_token_id"] = 49407, ["pad_token_id"] = 49407 });
        var e = Assert.Throws<ModelFolderException>(() => new StreamDiffusionEffect(dir, Cpu));
        Assert.EndsWith("tokenizer_config.json", e.File);
        Assert.Equal("pad_token id", e.Subject);
        Assert.Equal("0", e.Found);
    }

    [Fact]
    public void CorruptOnnxFileIsNamedNotABareRuntimeMessage()
    {
        string dir = packs.CopyOf(packs.Turbo64);
        string path = Path.Combine(dir, "vae_encoder", "model.onnx");
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 3)]);
        var e = Assert.Throws<ModelFolderException>(() => new StreamDiffusionEffect(dir, Cpu));
        Assert.Equal(path, e.File);
        Assert.StartsWith(path + ": vae_encoder model: expected a model ONNX Runtime can load", e.Message);
    }

    [Fact]
    public void GeneratedTokenizerGivesSingleTokensForCommonWords()
    {
        var tok = Text.ClipTokenizer.Load(Path.Combine(packs.Turbo64, "tokenizer"));
        var ids = tok.Encode("a photo of a cat");
        Assert.Equal(49406, ids[0]);
        Assert.Equal(49407, ids[6]);      // 5 words, one token each, then EOS
        Assert.Equal(0, ids[7]);          // sd-turbo pads with "!" = 0
        // "a" is the byte symbol a + "</w>": 256 + 64 (a = 0x61 is the 65th printable byte after '!').
        Assert.Equal(320, ids[1]);
        Assert.Equal(320, ids[4]);
        foreach (int i in new[] { 2, 3, 5 }) Assert.InRange(ids[i], 512, 49405); // merged words
    }
}
