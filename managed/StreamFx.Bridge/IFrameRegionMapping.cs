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

    /// <summary>The namespace prefix the shim puts before the name on Windows (docs/protocol.md section 1).</summary>
    public const string WindowsNamespace = @"Local\";

    /// <summary>
    /// Checks a region name as the shim passes it on this OS and returns the bare "streamfx-&lt;32 hex&gt;".
    /// The check keeps a hostile argument from naming any other object.
    /// </summary>
    public static string Normalize(string name) => Normalize(name, OperatingSystem.IsWindows());

    /// <summary>
    /// Linux: "/streamfx-&lt;32 hex&gt;" (the slash is optional). Windows: "Local\streamfx-&lt;32 hex&gt;"
    /// (the prefix is optional; the namespace is always Local, never Global).
    /// </summary>
    public static string Normalize(string name, bool windows)
    {
        ArgumentNullException.ThrowIfNull(name);
        string bare = name;
        if (windows && name.StartsWith(WindowsNamespace, StringComparison.Ordinal))
        {
            bare = name[WindowsNamespace.Length..];
        }
        else if (!windows && name.StartsWith('/'))
        {
            bare = name[1..];
        }

        bool valid = bare.Length == Prefix.Length + RandomHexLength && bare.StartsWith(Prefix, StringComparison.Ordinal);
        for (int i = Prefix.Length; valid && i < bare.Length; i++)
        {
            valid = char.IsAsciiHexDigit(bare[i]);
        }

        if (!valid)
        {
            string expected = windows ? WindowsNamespace : "/";
            throw new ArgumentException($"region name '{name}': expected \"{expected}{Prefix}<{RandomHexLength} hex digits>\"");
        }

        return bare;
    }

    /// <summary>Opens the named region with this OS's implementation.</summary>
    public static IFrameRegionMapping Open(string name) =>
        OperatingSystem.IsWindows() ? WindowsFrameRegionMapping.Open(name) : UnixFrameRegionMapping.Open(name);
}
