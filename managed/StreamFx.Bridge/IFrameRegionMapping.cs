namespace StreamFx.Bridge;

/// <summary>
/// A read-write mapping of a frame region created by the shim. One implementation per OS
/// (<see cref="UnixFrameRegionMapping"/>, <see cref="WindowsFrameRegionMapping"/>).
/// </summary>
public unsafe interface IFrameRegionMapping : IDisposable
{
    /// <summary>Start of the mapped bytes; valid until Dispose.</summary>
    byte* Pointer { get; }

    /// <summary>Bytes mapped.</summary>
    long Size { get; }

    /// <summary>How many bytes <see cref="Size"/> may exceed the region's own size (OS page rounding).</summary>
    long SizeSlack { get; }
}

/// <summary>Region names (docs/protocol.md section 1) and opening the mapping for this OS.</summary>
public static class FrameRegionName
{
    public const string Prefix = "streamfx-";
    public const int RandomHexLength = 32;

    /// <summary>
    /// Checks a region name "/streamfx-&lt;32 hex&gt;" (the leading slash is optional) and returns it
    /// without the slash. The check keeps a hostile argument from naming any other file.
    /// </summary>
    public static string Normalize(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string bare = name.StartsWith('/') ? name[1..] : name;
        bool valid = bare.Length == Prefix.Length + RandomHexLength && bare.StartsWith(Prefix, StringComparison.Ordinal);
        for (int i = Prefix.Length; valid && i < bare.Length; i++)
        {
            valid = char.IsAsciiHexDigit(bare[i]);
        }

        if (!valid)
        {
            throw new ArgumentException($"region name '{name}': expected \"/{Prefix}<{RandomHexLength} hex digits>\"");
        }

        return bare;
    }

    /// <summary>Opens the named region with this OS's implementation.</summary>
    public static IFrameRegionMapping Open(string name) =>
        OperatingSystem.IsWindows() ? WindowsFrameRegionMapping.Open(name) : UnixFrameRegionMapping.Open(name);
}
