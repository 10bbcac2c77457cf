using System.Security.Cryptography;
using System.Text;

namespace StreamFx.Diffusion.Runtime;

/// <summary>
/// Where TensorRT engines and timing caches live: under the user's cache folder, one sub-folder per
/// (model files, GPU, driver, ONNX Runtime version), so a change in any of them builds afresh.
/// </summary>
public static class TensorRtCache
{
    /// <summary>$XDG_CACHE_HOME or ~/.cache on Linux, %LOCALAPPDATA% on Windows; then streamfx-obs/tensorrt.</summary>
    public static string UserCacheRoot()
    {
        string root;
        if (OperatingSystem.IsWindows())
            root = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData);
        else
        {
            string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            root = !string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg)
                ? xdg
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        }
        return Path.Combine(root, "streamfx-obs", "tensorrt");
    }

    /// <summary>Folder name: model name plus a hash of everything that invalidates an engine.</summary>
    public static string Key(string modelName, string modelFingerprint, string gpu, string versions)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(modelFingerprint + "\n" + gpu + "\n" + versions));
        var safe = new StringBuilder();
        foreach (char c in modelName) safe.Append(char.IsAsciiLetterOrDigit(c) || c == '-' || c == '_' ? c : '_');
        return $"{safe}-{Convert.ToHexStringLower(hash, 0, 8)}";
    }

    /// <summary>Relative path, size and modification time of every ONNX file in the folder.</summary>
    public static string ModelFingerprint(string modelFolder)
    {
        var sb = new StringBuilder();
        foreach (var f in Directory.EnumerateFiles(modelFolder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            if (!f.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase) && !f.EndsWith(".json", StringComparison.OrdinalIgnoreCase)
                && !f.EndsWith(".onnx_data", StringComparison.OrdinalIgnoreCase) && !f.EndsWith(".onnx.data", StringComparison.OrdinalIgnoreCase)) continue;
            var info = new FileInfo(f);
            sb.Append(Path.GetRelativePath(modelFolder, f)).Append('|').Append(info.Length).Append('|')
              .Append(info.LastWriteTimeUtc.Ticks).Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>The GPU model and driver, as far as the OS tells without loading CUDA.</summary>
    public static string GpuIdentity()
    {
        try
        {
            const string gpus = "/proc/driver/nvidia/gpus";
            if (Directory.Exists(gpus))
            {
                var sb = new StringBuilder();
                foreach (var dir in Directory.EnumerateDirectories(gpus).Order(StringComparer.Ordinal))
                {
                    string info = Path.Combine(dir, "information");
                    if (!File.Exists(info)) continue;
                    foreach (var line in File.ReadLines(info))
                        if (line.StartsWith("Model:", StringComparison.Ordinal)) sb.Append(line[6..].Trim()).Append(';');
                }
                if (File.Exists("/proc/driver/nvidia/version"))
                    sb.Append(File.ReadLines("/proc/driver/nvidia/version").FirstOrDefault()?.Trim());
                if (sb.Length > 0) return sb.ToString();
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return "unknown-gpu";
    }

    /// <summary>True when the folder already holds a built engine (so no long first build is expected).</summary>
    public static bool HasEngines(string folder) =>
        Directory.Exists(folder) && Directory.EnumerateFiles(folder, "*.engine").Any();
}
