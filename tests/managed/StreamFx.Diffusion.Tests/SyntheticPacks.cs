using StreamFx.ModelPack.Diffusion;
using StreamFx.Onnx;

namespace StreamFx.Diffusion.Tests;

/// <summary>Synthetic model packs generated once per test run into a temp folder (StreamFx.ModelPack's generator).</summary>
public sealed class SyntheticPacks() : PackFolderCache("sfx-diffusion-tests-")
{
    /// <summary>sd-turbo, float32 tensors, int64 timesteps, [-1,1], 64x64.</summary>
    public string Turbo64 => Get("turbo64", new PackOptions { Family = ModelFamily.SdTurbo, Resolution = 64 });

    /// <summary>sd15-lcm, float16 tensors, float32 timesteps, int32 ids, [0,1], 64x64.</summary>
    public string Lcm64Fp16 => Get("lcm64fp16", new PackOptions
    {
        Family = ModelFamily.Sd15Lcm, Resolution = 64, TensorType = OnnxElementType.Float16,
        TimestepType = OnnxElementType.Float, InputIdsType = OnnxElementType.Int32, ImageRangeSigned = false,
    });

    public string Get(string name, PackOptions options)
    {
        return Cached(name, dir => StreamDiffusionPack.Write(dir, options));
    }
}

[CollectionDefinition("packs")]
public sealed class PacksCollection : ICollectionFixture<SyntheticPacks>;
