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
    public void DeferredWeightsAreSeededAndWrittenOnce()
    {
        var o = new ArchitectureOptions { WidthScale = 0.125, Type = OnnxElementType.Float16 };
        byte[] First() => OnnxModelWriter.ToBytes(TaesdModel.BuildEncoder(o, out _));
        Assert.Equal(First(), First());
        byte[] other = OnnxModelWriter.ToBytes(TaesdModel.BuildEncoder(o with { Seed = 99 }, out _));
        Assert.NotEqual(First(), other);
    }
}
