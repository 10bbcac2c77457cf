using StreamFx.ModelPack.Architecture;
using StreamFx.Onnx;

namespace StreamFx.ModelPack.Tests;

public class ArchitecturePackTests
{
    /// <summary>Elements of the graph's trained parameters, read from its initializers (the deferred ones; constants are not parameters).</summary>
    private static long InitializerParameters(OnnxModel model) =>
        model.Graph.Initializers.Where(t => t.IsDeferred).Sum(t => t.ElementCount);

    [Fact]
    public void FullSizeGraphsHoldExactlyThePublishedParameterCounts()
    {
        // Scale 1 is the real model: built without making its 1.2 billion weights (they are deferred to writing).
        var models = ArchitecturePack.Build(new ArchitectureOptions { WidthScale = 1, Type = OnnxElementType.Float16 });
        var byName = models.ToDictionary(m => m.Relative[..m.Relative.IndexOf('/')]);
        // Published figures: SD 2.x UNet 865,910,724 (the "866 M"), CLIPTextModel of SD 2.x 340,387,840, TAESD halves.
        Assert.Equal(865_910_724, InitializerParameters(byName["unet"].Model));
        Assert.Equal(340_387_840, InitializerParameters(byName["text_encoder"].Model));
        Assert.Equal(1_222_532, InitializerParameters(byName["vae_encoder"].Model));
        Assert.Equal(1_222_531, InitializerParameters(byName["vae_decoder"].Model));
        foreach (var m in models)
        {
            Assert.Equal(m.Expected, InitializerParameters(m.Model));
            Assert.Equal(m.Expected, m.Parameters);
        }

        var o = new ArchitectureOptions();
        Assert.Equal(865_910_724, ParameterCount.Unet(o));
        Assert.Equal(340_387_840, ParameterCount.TextEncoder(o));
    }

    [Theory]
    [InlineData(0.125)]
    [InlineData(0.25)]
    [InlineData(0.5)]
    public void ScaledGraphsMatchTheScaleAwareFormula(double scale)
    {
        var o = new ArchitectureOptions { WidthScale = scale, Type = OnnxElementType.Float };
        foreach (var m in ArchitecturePack.Build(o))
            Assert.True(m.Expected == InitializerParameters(m.Model), $"{m.Relative} at scale {scale}: graph {InitializerParameters(m.Model)}, formula {m.Expected}");
        var shape = UnetShape.For(o);
        int hw = (int)Math.Round(64 * scale);
        Assert.Equal([5 * hw, 10 * hw, 20 * hw, 20 * hw], shape.Widths);
    }

    [Fact]
    public void OnlyTheFloat32FullSizeUnetPassesTwoGigabytesAndGoesToExternalData()
    {
        long Bytes(OnnxElementType type) => ArchitecturePack.Build(new ArchitectureOptions { Type = type }).Single(m => m.Relative.StartsWith("unet/", StringComparison.Ordinal)).Model.Graph.InitializerBytes;
        Assert.True(Bytes(OnnxElementType.Float) > ArchitecturePack.ExternalDataThreshold);
        Assert.True(Bytes(OnnxElementType.Float16) < ArchitecturePack.ExternalDataThreshold);
    }

    [Fact]
    public void FusedAttentionKeepsTheParametersAndUsesOnnxRuntimesMultiHeadAttention()
    {
        var o = new ArchitectureOptions { WidthScale = 0.25, FusedAttention = true };
        var unet = SdTurboUNet.Build(o, out long parameters);
        Assert.Equal(ParameterCount.Unet(o), parameters);
        Assert.Equal(ParameterCount.Unet(o), InitializerParameters(unet));
        Assert.Contains("com.microsoft", unet.Graph.Domains);
        Assert.DoesNotContain("com.microsoft", SdTurboUNet.Build(o with { FusedAttention = false }, out _).Graph.Domains);
    }

    [Theory]
    [InlineData(0.3)]
    [InlineData(0)]
    [InlineData(1.5)]
    public void ABadWidthScaleIsRefusedWithTheOptionNamed(double scale)
    {
        var e = Assert.Throws<ArgumentException>(() => new ArchitectureOptions { WidthScale = scale }.Validate());
        Assert.Contains("width-scale", e.Message);
    }

    [Fact]
    public void TaesdParametersAreAutoencoderTinysStateDictKeysAndShapes()
    {
        // diffusers' EncoderTiny/DecoderTiny are nn.Sequential: the index counts ReLUs and upsamples too, so these keys
        // pin where every conv, bias-less conv, activation and upsample sits (madebyollin/taesd config.json).
        var o = new ArchitectureOptions { WidthScale = 0.125 }; // TAESD ignores the width scale
        var enc = TaesdModel.BuildEncoder(o, out _).Graph.Initializers.Where(t => t.IsDeferred).ToDictionary(t => t.Name, t => string.Join("x", t.Dims));
        var dec = TaesdModel.BuildDecoder(o, out _).Graph.Initializers.Where(t => t.IsDeferred).ToDictionary(t => t.Name, t => string.Join("x", t.Dims));

        Assert.Equal("64x3x3x3", enc["encoder.layers.0.weight"]);
        Assert.Equal("64x64x3x3", enc["encoder.layers.1.conv.4.weight"]);
        foreach (int down in new[] { 2, 6, 10 })
        {
            Assert.Equal("64x64x3x3", enc[$"encoder.layers.{down}.weight"]);
            Assert.False(enc.ContainsKey($"encoder.layers.{down}.bias"), $"encoder.layers.{down} (stride-2 conv) has no bias");
        }
        Assert.Equal("64", enc["encoder.layers.13.conv.0.bias"]);
        Assert.Equal("4x64x3x3", enc["encoder.layers.14.weight"]);
        Assert.Equal("4", enc["encoder.layers.14.bias"]);
        Assert.Equal(35, enc.Keys.Count(k => k.EndsWith(".weight", StringComparison.Ordinal)));
        Assert.Equal(32, enc.Keys.Count(k => k.EndsWith(".bias", StringComparison.Ordinal)));

        Assert.Equal("64x4x3x3", dec["decoder.layers.0.weight"]);
        Assert.Equal("64x64x3x3", dec["decoder.layers.2.conv.0.weight"]); // layers.1 is the ReLU
        foreach (int up in new[] { 5, 10, 15 })
            Assert.DoesNotContain(dec.Keys, k => k.StartsWith($"decoder.layers.{up}.", StringComparison.Ordinal)); // upsamples
        foreach (int conv in new[] { 6, 11, 16 })
        {
            Assert.Equal("64x64x3x3", dec[$"decoder.layers.{conv}.weight"]);
            Assert.False(dec.ContainsKey($"decoder.layers.{conv}.bias"), $"decoder.layers.{conv} (after an upsample) has no bias");
        }
        Assert.Equal("64x64x3x3", dec["decoder.layers.17.conv.4.weight"]);
        Assert.Equal("3x64x3x3", dec["decoder.layers.18.weight"]);
        Assert.Equal("3", dec["decoder.layers.18.bias"]);
        Assert.Equal(35, dec.Keys.Count(k => k.EndsWith(".weight", StringComparison.Ordinal)));
        Assert.Equal(32, dec.Keys.Count(k => k.EndsWith(".bias", StringComparison.Ordinal)));
        Assert.Equal(ParameterCount.TaesdEncoder(), TaesdModel.BuildEncoder(o, out _).Graph.Initializers.Where(t => t.IsDeferred).Sum(t => t.ElementCount));
    }

    [Fact]
    public void TaesdScalesByEightAndTheDecoderClampsItsLatents()
    {
        using var folder = new TempFolder();
        var o = new ArchitectureOptions { Type = OnnxElementType.Float };
        string encoderPath = folder.Combine("encoder.onnx"), decoderPath = folder.Combine("decoder.onnx");
        OnnxModelWriter.WriteFile(TaesdModel.BuildEncoder(o, out _), encoderPath);
        OnnxModelWriter.WriteFile(TaesdModel.BuildDecoder(o, out _), decoderPath);
        using var encoder = new OnnxSessionRunner(encoderPath);
        using var decoder = new OnnxSessionRunner(decoderPath);

        var image = new float[3 * 64 * 64];
        for (int i = 0; i < image.Length; i++) image[i] = ((i * 37) % 200 / 100f) - 1f;
        var latent = encoder.Run(("sample", image, [1, 3, 64, 64]))["latent_sample"];
        Assert.Equal([1, 4, 8, 8], latent.Shape); // three stride-2 convs

        float[] Decode(float value)
        {
            var z = new float[4 * 8 * 8];
            Array.Fill(z, value);
            var (data, shape) = decoder.Run(("latent_sample", z, [1, 4, 8, 8]))["sample"];
            Assert.Equal([1, 3, 64, 64], shape); // three 2x upsamples
            return data;
        }

        // tanh(z / 3) * 3 is 3.0 in float32 for both: the decoder cannot tell them apart. Without the clamp it could.
        Assert.Equal(Decode(50f), Decode(80f));
        Assert.NotEqual(Decode(0.5f), Decode(1f));
    }

    [Fact]
    public void DeferredWeightsAreSeededAndWrittenOnce()
    {
        var o = new ArchitectureOptions { WidthScale = 0.125, Type = OnnxElementType.Float16 };
        byte[] First() => OnnxModelWriter.ToBytes(TaesdModel.BuildEncoder(o, out _));
        Assert.Equal(First(), First());
        byte[] other = OnnxModelWriter.ToBytes(TaesdModel.BuildEncoder(o with { Seed = 99 }, out _));
        Assert.NotEqual(First(), other);
    }
}
