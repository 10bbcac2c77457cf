using Microsoft.ML.OnnxRuntime;
using StreamFx.ModelPack.Diffusion;
using StreamFx.ModelPack.Validation;

namespace StreamFx.ModelPack.Tests;

[Collection(PackCollection.Name)]
public sealed class MalformedFileTests(PackFixture packs)
{
    [Theory]
    [InlineData("unet/model.onnx")]
    [InlineData("text_encoder/model.onnx")]
    [InlineData("vae_decoder/model.onnx")]
    public void A_truncated_model_is_reported_naming_the_file(string relative)
    {
        using var copy = CopyOfDefault();
        string path = copy.Combine(relative);
        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes.AsSpan(0, bytes.Length * 2 / 3).ToArray());

        var e = Assert.Throws<ModelFileException>(() => StreamDiffusionPack.Check(copy.Path));
        Assert.StartsWith(Path.GetFullPath(path) + ": ", e.Message);
        Assert.Contains("truncated", e.Message);

        // ONNX Runtime rejects the same file too, but in its own words; Check is what names it.
        Assert.ThrowsAny<OnnxRuntimeException>(() => new InferenceSession(path).Dispose());
    }

    [Theory]
    [InlineData(new byte[0], "empty")]
    [InlineData(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D }, "not a valid ONNX")]
    [InlineData(new byte[] { 0x7B, 0x22, 0x61, 0x22, 0x3A, 0x31, 0x7D }, "ONNX")]
    public void Garbage_or_empty_model_files_are_reported_naming_the_file(byte[] content, string expected)
    {
        using var copy = CopyOfDefault();
        string path = copy.Combine("vae_encoder", "model.onnx");
        File.WriteAllBytes(path, content);
        var e = Assert.Throws<ModelFileException>(() => StreamDiffusionPack.Check(copy.Path));
        Assert.Equal(Path.GetFullPath(path), e.FilePath);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void A_missing_model_file_is_reported_with_the_expected_path()
    {
        using var copy = CopyOfDefault();
        File.Delete(copy.Combine("unet", "model.onnx"));
        var e = Assert.Throws<ModelFileException>(() => StreamDiffusionPack.Check(copy.Path));
        Assert.Equal(Path.GetFullPath(copy.Combine("unet", "model.onnx")) + ": file not found", e.Message);
    }

    [Theory]
    [InlineData("\"timestep_dtype\": \"int64\"", "\"timestep_dtype\": \"int8\"", "field \"timestep_dtype\": expected \"int64\" or \"float32\" or \"float16\", found \"int8\"")]
    [InlineData("\"kind\": \"stream-diffusion\"", "\"kind\": \"image-effect\"", "field \"kind\": expected \"stream-diffusion\", found \"image-effect\"")]
    [InlineData("\"format_version\": 1", "\"format_version\": 2", "field \"format_version\": expected 1..1, found 2")]
    [InlineData("\"resolution\": 512", "\"resolution\": 500", "field \"resolution\": expected a multiple of 64")]
    [InlineData("\"pad_token_id\": 0", "\"pad_token_id\": \"zero\"", "field \"tokenizer.pad_token_id\": expected an integer, found \"zero\"")]
    [InlineData("\"family\": \"sd-turbo\",", "", "field \"family\" is required")]
    [InlineData("\"synthetic\": true", "\"synthetic\": tru", "not valid JSON")]
    public void Manifest_errors_name_the_file_and_the_field(string find, string replace, string expected)
    {
        using var copy = CopyOfDefault();
        string path = copy.Combine("manifest.json");
        string text = File.ReadAllText(path);
        Assert.Contains(find, text);
        File.WriteAllText(path, ReplaceFirst(text, find, replace));
        var e = Assert.Throws<ModelFileException>(() => StreamDiffusionManifest.Load(copy.Path));
        Assert.StartsWith(Path.GetFullPath(path) + ": ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void A_manifest_that_is_not_an_object_says_so()
    {
        using var copy = CopyOfDefault();
        string path = copy.Combine("manifest.json");
        File.WriteAllText(path, "[1, 2]");
        var e = Assert.Throws<ModelFileException>(() => StreamDiffusionManifest.Load(copy.Path));
        Assert.Equal(Path.GetFullPath(path) + ": expected a JSON object", e.Message);
    }

    [Fact]
    public void A_folder_without_a_manifest_says_so()
    {
        using var empty = new TempFolder();
        var e = Assert.Throws<ModelFileException>(() => StreamDiffusionManifest.Load(empty.Path));
        Assert.Contains("manifest.json: manifest not found", e.Message);
    }

    private static string ReplaceFirst(string text, string find, string replace)
    {
        int at = text.IndexOf(find, StringComparison.Ordinal);
        return text[..at] + replace + text[(at + find.Length)..];
    }

    private TempFolder CopyOfDefault()
    {
        var copy = new TempFolder();
        string source = packs.Folder("default");
        foreach (string file in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(copy.Path, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        return copy;
    }
}
