using System.Diagnostics;
using StreamFx.ModelPack.Diffusion;
using StreamFx.Onnx;

namespace StreamFx.ModelPack.Tests;

/// <summary>Generates each pack variant once for all tests in the collection.</summary>
public sealed class PackFixture : IDisposable
{
    private readonly TempFolder _root = new();

    public PackFixture()
    {
        var clock = Stopwatch.StartNew();
        foreach ((string name, PackOptions options) in Variants)
        {
            StreamDiffusionPack.Write(_root.Combine(name), options);
            if (name == "default")
            {
                DefaultPackSeconds = clock.Elapsed.TotalSeconds;
            }
        }
    }

    /// <summary>Every variant axis is covered by at least one pack: family, dtype, timestep, ids, image range, resolution, cost.</summary>
    public static IReadOnlyList<(string Name, PackOptions Options)> Variants { get; } =
    [
        ("default", new PackOptions()),
        ("sd15-fp16", new PackOptions
        {
            Family = ModelFamily.Sd15Lcm,
            Resolution = 256,
            TensorType = OnnxElementType.Float16,
            TimestepType = OnnxElementType.Float,
            InputIdsType = OnnxElementType.Int32,
            ImageRangeSigned = false,
            Seed = 7,
        }),
        ("turbo-fp16-float-t", new PackOptions { TensorType = OnnxElementType.Float16, TimestepType = OnnxElementType.Float, Resolution = 576 }),
        ("sd15-cost", new PackOptions { Family = ModelFamily.Sd15Lcm, Variant = PackVariant.Cost, Resolution = 128 }),
    ];

    public static IEnumerable<object[]> VariantNames => Variants.Select(v => new object[] { v.Name });

    public double DefaultPackSeconds { get; }

    public string Folder(string variant) => _root.Combine(variant);

    public PackOptions Options(string variant) => Variants.Single(v => v.Name == variant).Options;

    public void Dispose() => _root.Dispose();
}

[CollectionDefinition(Name)]
public sealed class PackCollection : ICollectionFixture<PackFixture>
{
    public const string Name = "generated packs";
}
