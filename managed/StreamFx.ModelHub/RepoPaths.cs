namespace StreamFx.ModelHub;

/// <summary>
/// Checks paths that come from the network before anything is written: each must stay inside the model folder
/// on every OS we ship for, so a hostile or broken file list cannot write elsewhere.
/// </summary>
public static class RepoPaths
{
    private static readonly HashSet<string> WindowsReserved = new(StringComparer.OrdinalIgnoreCase)
    {
        "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
        "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9", "COM¹", "COM²", "COM³",
        "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9", "LPT¹", "LPT²", "LPT³",
    };

    /// <summary>Returns why <paramref name="path"/> is unsafe, or null when it is a plain relative path.</summary>
    public static string? Problem(string path)
    {
        if (path.Length == 0) return "an empty path";
        if (path.Length > 400) return "a path longer than 400 characters";
        if (path.StartsWith('/') || path.StartsWith('\\')) return "an absolute path";
        if (path.Length >= 2 && path[1] == ':') return "a drive-qualified (absolute) path";
        if (path.Contains('\\')) return "a backslash (paths use '/')";
        foreach (char c in path)
        {
            if (c < 0x20 || c == 0x7f) return "a control character";
            if (c is '<' or '>' or ':' or '"' or '|' or '?' or '*') return $"the character '{c}', not allowed on Windows";
        }
        foreach (string part in path.Split('/'))
        {
            if (part.Length == 0) return "an empty path segment";
            if (part is "." or "..") return $"a '{part}' segment";
            if (part.EndsWith('.') || part.EndsWith(' ')) return $"the segment '{part}' ending in '.' or ' ' (Windows drops it)";
            string stem = part.Split('.')[0].TrimEnd(' ');
            if (WindowsReserved.Contains(stem)) return $"the segment '{part}', a reserved name on Windows";
        }
        return null;
    }

    /// <summary>
    /// The full path of <paramref name="relative"/> under <paramref name="root"/>, after checking the name and that no
    /// existing folder on the way is a symlink (which could point outside).
    /// </summary>
    public static string Resolve(string root, string relative, string listedBy)
    {
        if (Problem(relative) is { } why)
            throw new ModelHubException(ModelHubFault.UnsafePath, $"{listedBy} lists '{relative}': refused, it has {why}");
        string rootFull = Path.GetFullPath(root);
        string full = Path.GetFullPath(Path.Combine(rootFull, relative.Replace('/', Path.DirectorySeparatorChar)));
        if (!full.StartsWith(rootFull + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new ModelHubException(ModelHubFault.UnsafePath, $"{listedBy} lists '{relative}': refused, it leads outside {rootFull}");
        for (string? dir = Path.GetDirectoryName(full); dir is not null && dir.Length > rootFull.Length; dir = Path.GetDirectoryName(dir))
        {
            if (Directory.Exists(dir) && new DirectoryInfo(dir).LinkTarget is not null)
                throw new ModelHubException(ModelHubFault.UnsafePath, $"{listedBy} lists '{relative}': refused, {dir} is a symlink");
        }
        if (File.Exists(full) && new FileInfo(full).LinkTarget is not null)
            throw new ModelHubException(ModelHubFault.UnsafePath, $"{listedBy} lists '{relative}': refused, {full} is a symlink");
        return full;
    }
}
