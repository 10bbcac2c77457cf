using System.Globalization;
using System.Text;
using Microsoft.ML.OnnxRuntime;
using StreamFx.Diffusion.Model;

namespace StreamFx.Diffusion.Runtime;

/// <summary>One dynamic input's TensorRT optimisation profile.</summary>
public readonly record struct ProfileShape(string Input, long[] Min, long[] Opt, long[] Max);

/// <summary>TensorRT settings for one session.</summary>
public sealed record TensorRtSettings(
    string EngineCacheFolder,
    IReadOnlyList<ProfileShape> Profiles,
    bool Fp16 = true,
    bool CudaGraph = false,
    int DeviceId = 0,
    long MaxWorkspaceBytes = 4L << 30,
    int BuilderOptimizationLevel = 3);

/// <summary>TensorRT-RTX settings for one session.</summary>
/// <param name="RuntimeCacheFolder">Where its JIT-compiled kernels are kept between loads; empty: no cache.</param>
/// <param name="Profiles">Explicit optimisation profiles (the TensorRT ones); empty: the provider's own dynamic shapes.</param>
public sealed record TensorRtRtxSettings(
    string RuntimeCacheFolder,
    IReadOnlyList<ProfileShape> Profiles,
    bool CudaGraph = false,
    int DeviceId = 0);

/// <summary>CUDA settings for one session.</summary>
public sealed record CudaSettings(int DeviceId = 0, bool CudaGraph = false, string ConvAlgoSearch = "HEURISTIC");

/// <summary>Builds the exact key/value options ONNX Runtime's TensorRT and CUDA providers take.</summary>
public static class ProviderOptionsBuilder
{
    public static Dictionary<string, string> TensorRt(TensorRtSettings s)
    {
        var o = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["device_id"] = Int(s.DeviceId),
            ["trt_fp16_enable"] = Flag(s.Fp16),
            ["trt_engine_cache_enable"] = "1",
            ["trt_engine_cache_path"] = s.EngineCacheFolder,
            ["trt_timing_cache_enable"] = "1",
            ["trt_timing_cache_path"] = s.EngineCacheFolder,
            ["trt_max_workspace_size"] = s.MaxWorkspaceBytes.ToString(CultureInfo.InvariantCulture),
            ["trt_builder_optimization_level"] = Int(s.BuilderOptimizationLevel),
            ["trt_cuda_graph_enable"] = Flag(s.CudaGraph),
        };
        if (s.Profiles.Count > 0)
        {
            o["trt_profile_min_shapes"] = ShapeList(s.Profiles, p => p.Min);
            o["trt_profile_opt_shapes"] = ShapeList(s.Profiles, p => p.Opt);
            o["trt_profile_max_shapes"] = ShapeList(s.Profiles, p => p.Max);
        }
        return o;
    }

    public static Dictionary<string, string> Cuda(CudaSettings s) => new(StringComparer.Ordinal)
    {
        ["device_id"] = Int(s.DeviceId),
        ["cudnn_conv_algo_search"] = s.ConvAlgoSearch,
        ["do_copy_in_default_stream"] = "1",
        ["enable_cuda_graph"] = Flag(s.CudaGraph),
    };

    /// <summary>
    /// TensorRT-RTX session options, named as ONNX Runtime's TensorRT-RTX page and NVIDIA's plugin header
    /// (tensorrt_rtx_provider_options.h) give them: device_id, enable_cuda_graph, nv_runtime_cache_path (a folder),
    /// nv_profile_min/opt/max_shapes in TensorRT's "input:AxB,..." form (all three or none).
    /// </summary>
    public static Dictionary<string, string> TensorRtRtx(TensorRtRtxSettings s)
    {
        var o = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["device_id"] = Int(s.DeviceId),
            ["enable_cuda_graph"] = Flag(s.CudaGraph),
        };
        if (s.RuntimeCacheFolder.Length > 0) o["nv_runtime_cache_path"] = s.RuntimeCacheFolder;
        if (s.Profiles.Count > 0)
        {
            o["nv_profile_min_shapes"] = ShapeList(s.Profiles, p => p.Min);
            o["nv_profile_opt_shapes"] = ShapeList(s.Profiles, p => p.Opt);
            o["nv_profile_max_shapes"] = ShapeList(s.Profiles, p => p.Max);
        }
        return o;
    }

    /// <summary>TensorRT-RTX without a runtime cache or explicit profiles.</summary>
    public static Dictionary<string, string> TensorRtRtx(CudaSettings s) => TensorRtRtx(new TensorRtRtxSettings("", [], s.CudaGraph, s.DeviceId));

    /// <summary>
    /// TensorRT-RTX options for one of the model's sessions: the same stream-batch profiles as TensorRT
    /// (<paramref name="profiles"/>, one entry of <see cref="DiffusionSessions.Profiles"/>), the runtime cache in
    /// <see cref="TensorRtRtxRuntimeCacheFolder"/> (created), CUDA graph as the load options say.
    /// </summary>
    public static Dictionary<string, string> TensorRtRtx(DiffusionManifest m, SessionLoadOptions o, IReadOnlyList<ProfileShape> profiles) =>
        TensorRtRtx(new TensorRtRtxSettings(TensorRtRtxRuntimeCacheFolder(m, o), profiles, o.CudaGraph));

    /// <summary>
    /// The runtime-cache folder, keyed as the TensorRT engine cache is (model files and any vae_dir, GPU and
    /// driver, ONNX Runtime version, resolution) but in its own tree: &lt;root&gt;/tensorrt-rtx/&lt;key&gt;, root being
    /// <see cref="SessionLoadOptions.EngineCacheRoot"/> or the user's streamfx-obs cache folder. Created if absent.
    /// </summary>
    public static string TensorRtRtxRuntimeCacheFolder(DiffusionManifest m, SessionLoadOptions o)
    {
        string fingerprint = TensorRtCache.ModelFingerprint(m.Folder)
            + (m.VaeFolder.Length > 0 && m.VaeFolder != m.Folder ? "vae_dir\n" + TensorRtCache.ModelFingerprint(m.VaeFolder) : "");
        string key = TensorRtCache.Key(m.Name, fingerprint, TensorRtCache.GpuIdentity(),
            "ort " + OrtEnv.Instance().GetVersionString() + "; res " + Int(o.Resolution > 0 ? o.Resolution : m.Resolution));
        string root = o.EngineCacheRoot is { } given
            ? Path.Combine(given, "tensorrt-rtx")
            : Path.Combine(Path.GetDirectoryName(TensorRtCache.UserCacheRoot())!, "tensorrt-rtx");
        string folder = Path.Combine(root, key);
        Directory.CreateDirectory(folder);
        return folder;
    }

    /// <summary>RunOptions config key that picks the CUDA graph a run captures or replays (ONNX Runtime 1.17+).</summary>
    public const string GpuGraphIdKey = "gpu_graph_id";

    /// <summary>
    /// The gpu_graph_id for one static shape: each (resolution, batch) pair gets its own captured graph, so a
    /// resolution or batch change captures anew instead of replaying a graph of the wrong shape; -1 (skip capture)
    /// when CUDA graphs are off.
    /// </summary>
    public static string GpuGraphId(bool cudaGraph, int resolution, int batch)
    {
        if (!cudaGraph) return "-1";
        if (resolution <= 0 || resolution > 4096 || batch <= 0 || batch > 64)
            throw new ArgumentOutOfRangeException(nameof(resolution), $"CUDA graph shape: expected resolution 1..4096 and batch 1..64, found {resolution} and {batch}");
        return Int((resolution * 64) + batch);
    }

    /// <summary>
    /// A rough first-build time for TensorRT: about a minute per 500 MB of ONNX weights (an SD UNet of 1.7 GB takes
    /// minutes), at least one minute; shown so a streamer knows the wait is expected.
    /// </summary>
    public static int TensorRtBuildMinutes(long onnxBytes) => (int)Math.Max(1, Math.Ceiling(onnxBytes / 500e6));

    /// <summary>STATUS text while TensorRT builds its engines the first time.</summary>
    public static string TensorRtBuildStatus(int minutes, double elapsedSeconds) =>
        $"building TensorRT engine (first run, about {Int(minutes)} min): {elapsedSeconds.ToString("F0", CultureInfo.InvariantCulture)} s";

    /// <summary>"name:AxBxC,name2:D" as the TensorRT provider expects.</summary>
    public static string ShapeList(IReadOnlyList<ProfileShape> profiles, Func<ProfileShape, long[]> pick)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < profiles.Count; i++)
        {
            if (i > 0) sb.Append(',');
            sb.Append(profiles[i].Input).Append(':');
            var dims = pick(profiles[i]);
            for (int d = 0; d < dims.Length; d++)
            {
                if (d > 0) sb.Append('x');
                sb.Append(dims[d].ToString(CultureInfo.InvariantCulture));
            }
        }
        return sb.ToString();
    }

    private static string Flag(bool b) => b ? "1" : "0";
    private static string Int(int v) => v.ToString(CultureInfo.InvariantCulture);
}
