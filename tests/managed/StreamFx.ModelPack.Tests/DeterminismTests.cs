using System.Diagnostics;
using StreamFx.ModelPack.Diffusion;
using StreamFx.Onnx;
using Xunit.Abstractions;

namespace StreamFx.ModelPack.Tests;

[Collection(PackCollection.Name)]
public sealed class DeterminismTests(PackFixture packs, ITestOutputHelper output)
{
    public static IEnumerable<object[]> Variants => PackFixture.VariantNames;

    [Theory]
    [MemberData(nameof(Variants))]
    public void Regenerating_a_pack_gives_byte_identical_files(string variant)
    {
        using var again = new TempFolder();
        StreamDiffusionPack.Write(again.Path, packs.Options(variant));
        string[] first = Files(packs.Folder(variant));
        string[] second = Files(again.Path);
        Assert.Equal(first, second);
        Assert.Equal(9, first.Length); // manifest, 4 models, 4 tokenizer files
        foreach (string relative in first)
        {
            Assert.True(
                File.ReadAllBytes(Path.Combine(packs.Folder(variant), relative)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(again.Path, relative))),
                $"{variant}/{relative} differs between two generations");
        }
    }

    [Fact]
    public void A_different_seed_gives_different_weights_and_the_same_contract()
    {
        using var other = new TempFolder();
        StreamDiffusionPack.Write(other.Path, new PackOptions { Seed = 99 });
        foreach (string model in new[] { "text_encoder/model.onnx", "unet/model.onnx" })
        {
            byte[] a = File.ReadAllBytes(Path.Combine(packs.Folder("default"), model));
            byte[] b = File.ReadAllBytes(Path.Combine(other.Path, model));
            Assert.Equal(a.Length, b.Length);
            Assert.False(a.AsSpan().SequenceEqual(b), $"{model} did not change with the seed");
        }
    }

    [Fact]
    public void The_default_pack_generates_in_under_30_seconds()
    {
        output.WriteLine($"default pack (fixture, first run): {packs.DefaultPackSeconds:0.00} s");
        Assert.True(packs.DefaultPackSeconds < 30, $"took {packs.DefaultPackSeconds:0.0} s");
        var clock = Stopwatch.StartNew();
        using var again = new TempFolder();
        StreamDiffusionPack.Write(again.Path, new PackOptions());
        output.WriteLine($"default pack (warm): {clock.Elapsed.TotalSeconds:0.00} s");
        Assert.True(clock.Elapsed.TotalSeconds < 30);
    }

    [Fact]
    public void Float16_pack_stores_half_size_weights()
    {
        long fp32 = new FileInfo(Path.Combine(packs.Folder("default"), "text_encoder/model.onnx")).Length;
        using var half = new TempFolder();
        StreamDiffusionPack.Write(half.Path, new PackOptions { TensorType = OnnxElementType.Float16 });
        long fp16 = new FileInfo(Path.Combine(half.Path, "text_encoder/model.onnx")).Length;
        Assert.InRange((double)fp16 / fp32, 0.45, 0.6);
    }

    private static string[] Files(string folder) =>
        Directory.GetFiles(folder, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(folder, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .ToArray();
}
