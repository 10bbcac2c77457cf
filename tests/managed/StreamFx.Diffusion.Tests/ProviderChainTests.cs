using Microsoft.ML.OnnxRuntime;
using StreamFx.Diffusion.Model;
using StreamFx.Diffusion.Pipeline;
using StreamFx.Diffusion.Runtime;

namespace StreamFx.Diffusion.Tests;

/// <summary>Records what would be appended; fails the providers it is told to.</summary>
internal sealed class FakeAppender(params string[] failing) : IProviderAppender
{
    public List<(string Provider, Dictionary<string, string> Options)> Calls { get; } = new();

    public void AppendTensorRt(SessionOptions options, IReadOnlyDictionary<string, string> o) => Record("tensorrt", o);
    public void AppendCuda(SessionOptions options, IReadOnlyDictionary<string, string> o) => Record("cuda", o);
    public void AppendDirectMl(SessionOptions options, int deviceId) => Record("directml", new Dictionary<string, string> { ["device_id"] = deviceId.ToString() });

    private void Record(string provider, IReadOnlyDictionary<string, string> o)
    {
        Calls.Add((provider, new Dictionary<string, string>(o)));
        if (failing.Contains(provider)) throw new InvalidOperationException($"{provider} library not found (fake)");
    }
}

[Collection("packs")]
public class ProviderChainTests(SyntheticPacks packs)
{
    [Fact]
    public void TensorRtOptionsAreExact()
    {
        var o = ProviderOptionsBuilder.TensorRt(new TensorRtSettings("/cache/x",
            [new("sample", [1, 4, 64, 64], [2, 4, 64, 64], [8, 4, 64, 64]), new("timestep", [1], [2], [8])]));
        Assert.Equal(new Dictionary<string, string>
        {
            ["device_id"] = "0",
            ["trt_fp16_enable"] = "1",
            ["trt_engine_cache_enable"] = "1",
            ["trt_engine_cache_path"] = "/cache/x",
            ["trt_timing_cache_enable"] = "1",
            ["trt_timing_cache_path"] = "/cache/x",
            ["trt_max_workspace_size"] = "4294967296",
            ["trt_builder_optimization_level"] = "3",
            ["trt_cuda_graph_enable"] = "0",
            ["trt_profile_min_shapes"] = "sample:1x4x64x64,timestep:1",
            ["trt_profile_opt_shapes"] = "sample:2x4x64x64,timestep:2",
            ["trt_profile_max_shapes"] = "sample:8x4x64x64,timestep:8",
        }, o);
    }

    [Fact]
    public void CudaOptionsAreExact()
    {
        Assert.Equal(new Dictionary<string, string>
        {
            ["device_id"] = "1",
            ["cudnn_conv_algo_search"] = "HEURISTIC",
            ["do_copy_in_default_stream"] = "1",
            ["enable_cuda_graph"] = "1",
        }, ProviderOptionsBuilder.Cuda(new CudaSettings(DeviceId: 1, CudaGraph: true)));
    }

    [Theory]
    [InlineData(ExecutionProviderKind.Auto, false, "tensorrt,cuda,cpu")]
    [InlineData(ExecutionProviderKind.Auto, true, "tensorrt,cuda,directml,cpu")]
    [InlineData(ExecutionProviderKind.Cuda, false, "cuda,cpu")]
    [InlineData(ExecutionProviderKind.DirectMl, false, "directml,cpu")]
    [InlineData(ExecutionProviderKind.Cpu, false, "cpu")]
    public void CandidatesPerSetting(ExecutionProviderKind requested, bool windows, string expected)
    {
        var chain = new ExecutionProviderChain(windows);
        Assert.Equal(expected, string.Join(",", chain.Candidates(requested).Select(ExecutionProviderNames.Name)));
    }

    [Fact]
    public void ChainFallsBackAndRecordsEveryReason()
    {
        var log = new List<string>();
        var chain = new ExecutionProviderChain(isWindows: true, log.Add);
        var tried = new List<ExecutionProviderKind>();
        var result = chain.Select(ExecutionProviderKind.Auto, kind =>
        {
            tried.Add(kind);
            return kind switch
            {
                ExecutionProviderKind.TensorRt => throw new InvalidOperationException("libnvinfer.so.10: cannot open shared object file\nmore detail"),
                ExecutionProviderKind.Cuda => throw new InvalidOperationException("libcudart.so.13 missing"),
                _ => ExecutionProviderNames.Name(kind),
            };
        });
        Assert.Equal("directml", result.Value);
        Assert.Equal(ExecutionProviderKind.DirectMl, result.Provider);
        Assert.Equal([ExecutionProviderKind.TensorRt, ExecutionProviderKind.Cuda, ExecutionProviderKind.DirectMl], tried);
        Assert.Equal("libnvinfer.so.10: cannot open shared object file", result.Attempts[0].Reason);
        Assert.Equal("libcudart.so.13 missing", result.Attempts[1].Reason);
        Assert.True(result.Attempts[2].Succeeded);
        Assert.Contains(log, l => l.Contains("tensorrt unavailable: libnvinfer"));
        Assert.Contains(log, l => l == "execution provider: directml in use");
    }

    [Fact]
    public void DirectMlOffWindowsIsRefusedWithAReason()
    {
        var chain = new ExecutionProviderChain(isWindows: false);
        var result = chain.Select(ExecutionProviderKind.DirectMl, kind => kind);
        Assert.Equal(ExecutionProviderKind.Cpu, result.Provider);
        Assert.Equal("DirectML runs on Windows only", result.Attempts[0].Reason);
    }

    [Fact]
    public void ModelFolderErrorsAreNotTreatedAsProviderFailures()
    {
        var chain = new ExecutionProviderChain(isWindows: false);
        Assert.Throws<ModelFolderException>(() => chain.Select<int>(ExecutionProviderKind.Auto,
            _ => throw new ModelFolderException("/x/unet/model.onnx", "input \"sample\"", "present", "missing")));
    }

    [Fact]
    public void SessionsGetPerModelTensorRtProfilesThroughTheAppender()
    {
        // TensorRT fails (fake), CUDA "succeeds" (the fake appends nothing, so the sessions run on CPU).
        var appender = new FakeAppender("tensorrt");
        string cache = Path.Combine(Path.GetTempPath(), "sfx-trt-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var fx = new StreamDiffusionEffect(packs.Turbo64,
                new EffectSettings { ExecutionProvider = ExecutionProviderKind.Auto, TIndexList = [30, 45], Resolution = 64 },
                new EffectOptions { Appender = appender, EngineCacheRoot = cache, IsWindows = false });
            Assert.Equal(ExecutionProviderKind.Cuda, fx.Status.Provider);
            Assert.Equal("tensorrt library not found (fake)", fx.Status.ProviderAttempts[0].Reason);
            var trt = appender.Calls.First(c => c.Provider == "tensorrt").Options;
            Assert.Equal("input_ids:1x77", trt["trt_profile_min_shapes"]);
            Assert.StartsWith(cache, trt["trt_engine_cache_path"]);
            Assert.Contains("synthetic-sd-turbo-64-", trt["trt_engine_cache_path"]);
            // After TensorRT failed on the text encoder, the CUDA attempt builds all four sessions.
            Assert.Equal(4, appender.Calls.Count(c => c.Provider == "cuda"));
            Assert.Equal("HEURISTIC", appender.Calls.Last().Options["cudnn_conv_algo_search"]);
        }
        finally { if (Directory.Exists(cache)) Directory.Delete(cache, true); }
    }

    [Fact]
    public void FirstTensorRtBuildReportsProgressThenCompletion()
    {
        // The fake TensorRT "works" (appends nothing), the cache is empty: a first build.
        var status = new List<string>();
        string cache = Path.Combine(Path.GetTempPath(), "sfx-trt-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var fx = new StreamDiffusionEffect(packs.Turbo64, new EffectSettings { ExecutionProvider = ExecutionProviderKind.TensorRt, Resolution = 64 },
                new EffectOptions { Appender = new FakeAppender(), EngineCacheRoot = cache, StatusMessage = m => { lock (status) status.Add(m); } });
            Assert.Equal(ExecutionProviderKind.TensorRt, fx.Status.Provider);
            lock (status)
            {
                Assert.Matches(@"^building TensorRT engine \(first run, about \d+ min\): \d+ s$", status[0]);
                Assert.Matches(@"^TensorRT engines built in \d+ s$", status[^1]);
            }
        }
        finally { if (Directory.Exists(cache)) Directory.Delete(cache, true); }
    }

    [Fact]
    public void UnetProfileCoversEveryDynamicInputAtTheConfiguredSizeAndBatch()
    {
        var m = DiffusionManifest.Load(packs.Turbo64);
        var profiles = DiffusionSessions.Profiles(m, new SessionLoadOptions { Resolution = 128, OptUnetBatch = 2, MaxUnetBatch = 8 });
        var unet = profiles[1];
        Assert.Equal("sample:1x4x16x16,timestep:1,encoder_hidden_states:1x77x1024", ProviderOptionsBuilder.ShapeList(unet, p => p.Min));
        Assert.Equal("sample:2x4x16x16,timestep:2,encoder_hidden_states:2x77x1024", ProviderOptionsBuilder.ShapeList(unet, p => p.Opt));
        Assert.Equal("sample:8x4x16x16,timestep:8,encoder_hidden_states:8x77x1024", ProviderOptionsBuilder.ShapeList(unet, p => p.Max));
        Assert.Equal("sample:1x3x128x128", ProviderOptionsBuilder.ShapeList(profiles[2], p => p.Opt));
        Assert.Equal("latent_sample:1x4x16x16", ProviderOptionsBuilder.ShapeList(profiles[3], p => p.Max));
    }

    [Fact]
    public void AutoOnThisMachineEndsOnCpuWithReasonsForTensorRtAndCuda()
    {
        string cache = Path.Combine(Path.GetTempPath(), "sfx-trt-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var fx = new StreamDiffusionEffect(packs.Turbo64, new EffectSettings { ExecutionProvider = ExecutionProviderKind.Auto, Resolution = 64 },
                new EffectOptions { EngineCacheRoot = cache });
            Assert.Equal(ExecutionProviderKind.Cpu, fx.Status.Provider);
            var attempts = fx.Status.ProviderAttempts;
            Assert.Equal(ExecutionProviderKind.TensorRt, attempts[0].Provider);
            Assert.False(attempts[0].Succeeded);
            Assert.False(string.IsNullOrWhiteSpace(attempts[0].Reason));
            Assert.Equal(ExecutionProviderKind.Cuda, attempts[1].Provider);
            Assert.False(attempts[1].Succeeded);
            Assert.False(string.IsNullOrWhiteSpace(attempts[1].Reason));
            Assert.True(attempts[^1].Succeeded);
            Console.WriteLine($"tensorrt: {attempts[0].Reason}\ncuda: {attempts[1].Reason}");
        }
        finally { if (Directory.Exists(cache)) Directory.Delete(cache, true); }
    }
}
