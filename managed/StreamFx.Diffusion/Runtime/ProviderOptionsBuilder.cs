using System.Globalization;
using System.Text;

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
