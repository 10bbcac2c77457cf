namespace StreamFx.Diffusion.Tests;

/// <summary>Generated packs made once per test run under one temp folder, plus writable copies for tests
/// that break them; the folder goes with the fixture.</summary>
public abstract class PackFolderCache(string prefix) : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), prefix + Guid.NewGuid().ToString("N"));
    private readonly Dictionary<string, string> _made = new();
    private readonly object _lock = new();

    /// <summary>The pack called <paramref name="name"/>, written by <paramref name="write"/> the first time.</summary>
    protected string Cached(string name, Action<string> write)
    {
        lock (_lock)
        {
            if (_made.TryGetValue(name, out var dir)) return dir;
            dir = Path.Combine(_root, name);
            write(dir);
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
