using StreamFx.Diffusion.Pipeline;
using StreamFx.Host;

namespace StreamFx.Bridge.Tests;

/// <summary>CONFIGURE as the host reads it: folder settings made full paths, bad values named.</summary>
public sealed class HostSettingsTests
{
    [Fact]
    public void FolderSettingsBecomeFullPathsAndEmptyMeansNotSet()
    {
        string relative = Path.Combine("packs", "vae") + Path.DirectorySeparatorChar;
        var s = HostSettings.Parse($$"""{"model_dir":"{{Escape(relative)}}","vae_dir":"{{Escape(relative)}}"}""", new EffectSettings());
        string expected = Path.TrimEndingDirectorySeparator(Path.GetFullPath(relative));
        Assert.Equal((expected, expected), (s.ModelDir, s.VaeDir));

        s = HostSettings.Parse("""{"model_dir":"","vae_dir":""}""", s);
        Assert.Equal((null, null), (s.ModelDir, s.VaeDir));
    }

    [Fact]
    public void OutOfContractValuesNameTheKey()
    {
        var e = Assert.Throws<InvalidDataException>(() => HostSettings.Parse("""{"unload_after_hidden_s":-1}""", new EffectSettings()));
        Assert.Contains("\"unload_after_hidden_s\"", e.Message);
        Assert.Contains("0..3600", e.Message);
    }

    private static string Escape(string path) => path.Replace("\\", "\\\\");
}
