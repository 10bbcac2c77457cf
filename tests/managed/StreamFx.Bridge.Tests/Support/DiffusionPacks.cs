using StreamFx.ModelPack.Diffusion;

namespace StreamFx.Bridge.Tests.Support;

/// <summary>
/// Small synthetic stream-diffusion packs (64x64, generated once per test class into a temp
/// folder): two with different weights, and a copy of the first whose UNet file is truncated.
/// </summary>
public sealed class DiffusionPacks : IDisposable
{
    public const int Resolution = 64;

    public DiffusionPacks()
    {
        Root = Directory.CreateTempSubdirectory("streamfx-diffusion-").FullName;
        Turbo = Path.Combine(Root, "turbo64");
        StreamDiffusionPack.Write(Turbo, new PackOptions { Resolution = Resolution });
        Other = Path.Combine(Root, "other64");
        StreamDiffusionPack.Write(Other, new PackOptions { Resolution = Resolution, Seed = 99 });

        Corrupt = Path.Combine(Root, "corrupt64");
        foreach (string file in Directory.EnumerateFiles(Turbo, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(Corrupt, Path.GetRelativePath(Turbo, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        CorruptFile = Path.Combine(Corrupt, "unet", "model.onnx");
        using (var stream = new FileStream(CorruptFile, FileMode.Open, FileAccess.ReadWrite))
        {
            stream.SetLength(stream.Length / 2);
        }
    }

    public string Root { get; }
    public string Turbo { get; }
    public string Other { get; }
    public string Corrupt { get; }

    /// <summary>The file of <see cref="Corrupt"/> that is broken (half of it cut off).</summary>
    public string CorruptFile { get; }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
