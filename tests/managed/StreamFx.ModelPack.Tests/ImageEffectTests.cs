using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using StreamFx.ModelPack.ImageEffects;
using StreamFx.ModelPack.Manifests;

namespace StreamFx.ModelPack.Tests;

public sealed class ImageEffectTests
{
    [Theory]
    [InlineData(ImageEffect.Invert)]
    [InlineData(ImageEffect.Identity)]
    public void Runtime_loads_the_effect_and_applies_it_at_any_size(ImageEffect effect)
    {
        using var dir = new TempFolder();
        ImageEffectPack.Write(dir.Path, effect);

        string manifest = ManifestJson.ReadText(dir.Path);
        using var doc = System.Text.Json.JsonDocument.Parse(manifest);
        Assert.Equal("image-effect", doc.RootElement.GetProperty("kind").GetString());
        Assert.Equal(1, doc.RootElement.GetProperty("format_version").GetInt32());
        Assert.Equal(ImageEffectPack.Name(effect), doc.RootElement.GetProperty("name").GetString());

        using var session = new InferenceSession(dir.Combine(ImageEffectPack.ModelFileName));
        var input = session.InputMetadata[ImageEffectPack.InputName];
        Assert.Equal(typeof(float), input.ElementType);
        Assert.Equal(new[] { "", "", "height", "width" }, input.SymbolicDimensions);
        Assert.True(session.OutputMetadata.ContainsKey(ImageEffectPack.OutputName));

        foreach ((int h, int w) in new[] { (2, 3), (8, 5) })
        {
            var values = new float[3 * h * w];
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = (i % 11) / 10f;
            }

            var tensor = new DenseTensor<float>(values, [1, 3, h, w]);
            using var results = session.Run([NamedOnnxValue.CreateFromTensor(ImageEffectPack.InputName, tensor)]);
            var output = results.Single(r => r.Name == ImageEffectPack.OutputName).AsTensor<float>();
            Assert.Equal(new[] { 1, 3, h, w }, output.Dimensions.ToArray());
            float[] got = output.ToArray();
            for (int i = 0; i < values.Length; i++)
            {
                float expected = effect == ImageEffect.Invert ? 1f - values[i] : values[i];
                Assert.Equal(expected, got[i], 6);
            }
        }
    }

    [Fact]
    public void Regenerating_gives_the_same_bytes()
    {
        using var a = new TempFolder();
        using var b = new TempFolder();
        ImageEffectPack.Write(a.Path, ImageEffect.Invert);
        ImageEffectPack.Write(b.Path, ImageEffect.Invert);
        Assert.Equal(File.ReadAllBytes(a.Combine("model.onnx")), File.ReadAllBytes(b.Combine("model.onnx")));
        Assert.Equal(File.ReadAllBytes(a.Combine("manifest.json")), File.ReadAllBytes(b.Combine("manifest.json")));
    }
}
