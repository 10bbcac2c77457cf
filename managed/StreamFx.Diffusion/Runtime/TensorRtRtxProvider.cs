using Microsoft.ML.OnnxRuntime;

namespace StreamFx.Diffusion.Runtime;

/// <summary>The plugin-EP calls ONNX Runtime (1.23+) offers; a seam so the registration path is testable without the library.</summary>
public interface IPluginEpRegistry
{
    /// <summary>OrtEnv.RegisterExecutionProviderLibrary(name, path).</summary>
    void Register(string registrationName, string libraryPath);

    /// <summary>OrtEnv.GetEpDevices(), filtered to one EP name.</summary>
    IReadOnlyList<OrtEpDevice> Devices(string epName);

    /// <summary>SessionOptions.AppendExecutionProvider(env, devices, options).</summary>
    void Append(SessionOptions options, IReadOnlyList<OrtEpDevice> devices, IReadOnlyDictionary<string, string> providerOptions);
}

/// <summary>The real registry over the process's OrtEnv.</summary>
public sealed class OrtPluginEpRegistry : IPluginEpRegistry
{
    public static readonly OrtPluginEpRegistry Instance = new();

    public void Register(string registrationName, string libraryPath) =>
        OrtEnv.Instance().RegisterExecutionProviderLibrary(registrationName, libraryPath);

    public IReadOnlyList<OrtEpDevice> Devices(string epName) =>
        OrtEnv.Instance().GetEpDevices().Where(d => string.Equals(d.EpName, epName, StringComparison.OrdinalIgnoreCase)).ToList();

    public void Append(SessionOptions options, IReadOnlyList<OrtEpDevice> devices, IReadOnlyDictionary<string, string> providerOptions) =>
        options.AppendExecutionProvider(OrtEnv.Instance(), devices, providerOptions);
}

/// <summary>
/// NVIDIA's TensorRT-RTX execution provider (RTX 30xx and newer; engines JIT-built in seconds). It is not in
/// the NuGet packages: it loads as a plugin EP from its library placed beside the host
/// (libonnxruntime_providers_nv_tensorrt_rtx.so / onnxruntime_providers_nv_tensorrt_rtx.dll), registered once
/// per process, then its devices are appended to each session. Every way it can be unavailable throws with a
/// one-line reason, which the provider chain records and shows in STATUS.
/// </summary>
public sealed class TensorRtRtxProvider
{
    public const string RegistrationName = "NvTensorRtRtx";

    /// <summary>The EP name the plugin's devices carry.</summary>
    public const string EpName = "NvTensorRTRTXExecutionProvider";

    private static readonly object RegisterLock = new();
    private static readonly HashSet<string> Registered = new(StringComparer.Ordinal);

    private readonly IPluginEpRegistry _registry;
    private readonly string _folder;
    private readonly bool _isWindows;

    public TensorRtRtxProvider(IPluginEpRegistry? registry = null, string? folder = null, bool? isWindows = null)
    {
        _registry = registry ?? OrtPluginEpRegistry.Instance;
        _folder = folder ?? AppContext.BaseDirectory;
        _isWindows = isWindows ?? OperatingSystem.IsWindows();
    }

    public static string LibraryFileName(bool isWindows) =>
        isWindows ? "onnxruntime_providers_nv_tensorrt_rtx.dll" : "libonnxruntime_providers_nv_tensorrt_rtx.so";

    public string LibraryPath => Path.Combine(_folder, LibraryFileName(_isWindows));

    /// <summary>Registers the library (once per process and path) and appends its devices to <paramref name="options"/>.</summary>
    public void Append(SessionOptions options, IReadOnlyDictionary<string, string> providerOptions)
    {
        string path = LibraryPath;
        if (!File.Exists(path))
            throw new InvalidOperationException($"TensorRT-RTX plugin not found: {LibraryFileName(_isWindows)} is not beside the host ({_folder})");
        lock (RegisterLock)
        {
            if (!Registered.Contains(path))
            {
                try { _registry.Register(RegistrationName, path); }
                catch (Exception e) when (e is OnnxRuntimeException or DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
                {
                    throw new InvalidOperationException($"TensorRT-RTX plugin did not register: {FirstLine(e.Message)}", e);
                }

                Registered.Add(path);
            }
        }

        var devices = _registry.Devices(EpName);
        if (devices.Count == 0)
            throw new InvalidOperationException("TensorRT-RTX plugin registered but offers no device (it needs an NVIDIA RTX GPU, Ampere or newer, and its CUDA runtime)");
        _registry.Append(options, [devices[0]], providerOptions);
    }

    private static string FirstLine(string m)
    {
        int nl = m.IndexOf('\n');
        return (nl >= 0 ? m[..nl] : m).Trim();
    }
}
