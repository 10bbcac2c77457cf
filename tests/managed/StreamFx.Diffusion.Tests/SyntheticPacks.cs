using StreamFx.ModelPack.Diffusion;
using StreamFx.Onnx;

namespace StreamFx.Diffusion.Tests;

/// <summary>Synthetic model packs generated once per test run into a temp folder (StreamFx.ModelPack's generator).</summary>
public sealed class SyntheticPacks : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "sfx-diffusion-tests-" + Guid.NewGuid().ToString("N"));
    private readonly Dictionary<string, string> _made = new();
    private readonly object _lock = new();

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
        lock (_lock)
        {
            if (_made.TryGetValue(name, out var dir)) return dir;
            dir = Path.Combine(_root, name);
            StreamDiffusionPack.Write(dir, options);
            _made[name] = dir;
            return dir;
        }
    }

    /// <summary>A writable copy of a pack, for tests that break it.</summary>
    public string CopyOf(string pack)
    {
        string dir = Path.Combine(_root, "copy-" + Guid.NewGuid().ToString("N"));
        foreach (var f in Directory.EnumerateFiles(pack, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(dir, Path.GetRelativePath(pack, f));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(f, target);
        }
        return dir;
    }

    public void Dispose()
    {
        try { Directory.Delete(_root, true); } catch (IOException) { }
    }
}

[CollectionDefinition("packs")]
public sealed class PacksCollection : ICollectionFixture<SyntheticPacks>;
