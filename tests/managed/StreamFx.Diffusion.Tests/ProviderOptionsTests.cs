using Microsoft.ML.OnnxRuntime;
using StreamFx.Diffusion.Model;
using StreamFx.Diffusion.Runtime;

namespace StreamFx.Diffusion.Tests;

/// <summary>Plugin-EP calls recorded; registers, lists the devices it is given, or fails as told.</summary>
internal sealed class FakePluginRegistry(Exception? registerFails = null) : IPluginEpRegistry
{
    public List<string> Registered { get; } = new();

    public void Register(string registrationName, string libraryPath)
    {
        if (registerFails is not null) throw registerFails;
        Registered.Add(registrationName + "=" + libraryPath);
    }

    public IReadOnlyList<OrtEpDevice> Devices(string epName) => [];

    public void Append(SessionOptions options, IReadOnlyList<OrtEpDevice> devices, IReadOnlyDictionary<string, string> providerOptions) =>
        throw new InvalidOperationException("no device to append");
}

[Collection("packs")]
public class ProviderOptionsTests(SyntheticPacks packs)
{
    [Fact]
    public void CudaGraphReachesTheCudaTensorRtAndTensorRtRtxOptions()
    {
        Assert.Equal("1", ProviderOptionsBuilder.Cuda(new CudaSettings(CudaGraph: true))["enable_cuda_graph"]);
        Assert.Equal("0", ProviderOptionsBuilder.Cuda(new CudaSettings())["enable_cuda_graph"]);
        var trt = ProviderOptionsBuilder.TensorRt(new TensorRtSettings("/c", [], CudaGraph: true));
        Assert.Equal("1", trt["trt_cuda_graph_enable"]);
        Assert.Equal("1", trt["trt_fp16_enable"]);
        Assert.False(trt.ContainsKey("trt_profile_min_shapes"));
        Assert.Equal(new Dictionary<string, string> { ["device_id"] = "2", ["enable_cuda_graph"] = "1" },
            ProviderOptionsBuilder.TensorRtRtx(new CudaSettings(DeviceId: 2, CudaGraph: true)));
    }

    [Fact]
    public void TensorRtRtxOptionsAreExact()
    {
        var o = ProviderOptionsBuilder.TensorRtRtx(new TensorRtRtxSettings("/cache/rtx",
            [new("sample", [1, 4, 64, 64], [2, 4, 64, 64], [8, 4, 64, 64]), new("timestep", [1], [2], [8])], CudaGraph: true, DeviceId: 1));
        Assert.Equal(new Dictionary<string, string>
        {
            ["device_id"] = "1",
            ["enable_cuda_graph"] = "1",
            ["nv_runtime_cache_path"] = "/cache/rtx",
            ["nv_profile_min_shapes"] = "sample:1x4x64x64,timestep:1",
            ["nv_profile_opt_shapes"] = "sample:2x4x64x64,timestep:2",
            ["nv_profile_max_shapes"] = "sample:8x4x64x64,timestep:8",
        }, o);
    }

    [Fact]
    public void TensorRtRtxForAModelHasTheTensorRtProfilesAndAKeyedRuntimeCache()
    {
        var m = DiffusionManifest.Load(packs.Turbo64);
        string root = Path.Combine(Path.GetTempPath(), "sfx-rtx-cache-" + Guid.NewGuid().ToString("N"));
        try
        {
            var load = new SessionLoadOptions { EngineCacheRoot = root, Resolution = 64, OptUnetBatch = 2, MaxUnetBatch = 8, CudaGraph = true };
            var profiles = DiffusionSessions.Profiles(m, load);
            for (int i = 0; i < profiles.Length; i++)
            {
                var rtx = ProviderOptionsBuilder.TensorRtRtx(m, load, profiles[i]);
                var trt = ProviderOptionsBuilder.TensorRt(new TensorRtSettings("/unused", profiles[i]));
                foreach (string end in new[] { "min_shapes", "opt_shapes", "max_shapes" })
                    Assert.Equal(trt["trt_profile_" + end], rtx["nv_profile_" + end]);
                Assert.Equal("1", rtx["enable_cuda_graph"]);
            }

            Assert.Equal("sample:8x4x8x8,timestep:8", ProviderOptionsBuilder.TensorRtRtx(m, load, profiles[1])["nv_profile_max_shapes"][..25]);
            string folder = ProviderOptionsBuilder.TensorRtRtx(m, load, profiles[1])["nv_runtime_cache_path"];
            Assert.Equal(Path.Combine(root, "tensorrt-rtx"), Path.GetDirectoryName(folder));
            Assert.StartsWith("synthetic-sd-turbo-64-", Path.GetFileName(folder));
            Assert.True(Directory.Exists(folder));
            // Same model and resolution: the same cache; another resolution: another one.
            Assert.Equal(folder, ProviderOptionsBuilder.TensorRtRtxRuntimeCacheFolder(m, load));
            Assert.NotEqual(folder, ProviderOptionsBuilder.TensorRtRtxRuntimeCacheFolder(m, load with { Resolution = 128 }));
        }
        finally { if (Directory.Exists(root)) Directory.Delete(root, true); }
    }

    [Fact]
    public void EachStaticShapeGetsItsOwnCudaGraphAndOffSkipsCapture()
    {
        Assert.Equal("-1", ProviderOptionsBuilder.GpuGraphId(false, 512, 1));
        string[] ids = [ProviderOptionsBuilder.GpuGraphId(true, 512, 1), ProviderOptionsBuilder.GpuGraphId(true, 512, 2), ProviderOptionsBuilder.GpuGraphId(true, 256, 1), ProviderOptionsBuilder.GpuGraphId(true, 512, 64)];
        Assert.Equal(ids.Length, ids.Distinct().Count());
        Assert.All(ids, id => Assert.True(int.Parse(id) > 0, id));
        Assert.Throws<ArgumentOutOfRangeException>(() => ProviderOptionsBuilder.GpuGraphId(true, 512, 0));
    }

    [Fact]
    public void FirstTensorRtBuildStatusSaysFirstRunAndAboutHowLong()
    {
        Assert.Equal(4, ProviderOptionsBuilder.TensorRtBuildMinutes(1_730_000_000));
        Assert.Equal(1, ProviderOptionsBuilder.TensorRtBuildMinutes(5_000_000));
        Assert.Equal("building TensorRT engine (first run, about 4 min): 12 s", ProviderOptionsBuilder.TensorRtBuildStatus(4, 12.2));
    }

    [Theory]
    [InlineData(true, false, "tensorrt-rtx,tensorrt,cuda,cpu")]
    [InlineData(true, true, "tensorrt-rtx,tensorrt,cuda,directml,cpu")]
    [InlineData(false, false, "tensorrt,cuda,cpu")]
    public void TensorRtRtxLeadsAutoOnRtxCardsOnly(bool rtx, bool windows, string expected)
    {
        var chain = new ExecutionProviderChain(windows, rtxGpu: rtx);
        Assert.Equal(expected, string.Join(",", chain.Candidates(ExecutionProviderKind.Auto).Select(ExecutionProviderNames.Name)));
        Assert.Equal("tensorrt-rtx,cpu", string.Join(",", chain.Candidates(ExecutionProviderKind.TensorRtRtx).Select(ExecutionProviderNames.Name)));
    }

    [Fact]
    public void RtxCardsAreToldApartFromDataCentreGpus()
    {
        Assert.True(ExecutionProviderChain.IsRtxGpu("NVIDIA GeForce RTX 4090;NVRM version: 570"));
        Assert.True(ExecutionProviderChain.IsRtxGpu("NVIDIA RTX A6000;"));
        Assert.False(ExecutionProviderChain.IsRtxGpu("NVIDIA H100 80GB HBM3;"));
        Assert.False(ExecutionProviderChain.IsRtxGpu("unknown-gpu"));
        Assert.True(ExecutionProviderNames.TryParse("tensorrt-rtx", out var kind));
        Assert.Equal(ExecutionProviderKind.TensorRtRtx, kind);
    }

    [Fact]
    public void PluginAbsentBesideTheHostIsAReasonNotACrash()
    {
        string folder = Path.Combine(Path.GetTempPath(), "sfx-rtx-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var registry = new FakePluginRegistry();
            using var options = new SessionOptions();
            var e = Assert.Throws<InvalidOperationException>(() => new TensorRtRtxProvider(registry, folder, isWindows: false).Append(options, new Dictionary<string, string>()));
            Assert.Equal($"TensorRT-RTX plugin not found: libonnxruntime_providers_nv_tensorrt_rtx.so is not beside the host ({folder})", e.Message);
            Assert.Empty(registry.Registered);

            // Present but no RTX device: registered once, then the reason says what is missing.
            File.WriteAllBytes(Path.Combine(folder, TensorRtRtxProvider.LibraryFileName(false)), [0]);
            e = Assert.Throws<InvalidOperationException>(() => new TensorRtRtxProvider(registry, folder, isWindows: false).Append(options, new Dictionary<string, string>()));
            Assert.StartsWith("TensorRT-RTX plugin registered but offers no device", e.Message);
            Assert.Single(registry.Registered);
            Assert.Equal("NvTensorRtRtx=" + Path.Combine(folder, "libonnxruntime_providers_nv_tensorrt_rtx.so"), registry.Registered[0]);
        }
        finally { Directory.Delete(folder, true); }
    }

    [Fact]
    public void APluginThatFailsToLoadGivesItsFirstLine()
    {
        string folder = Path.Combine(Path.GetTempPath(), "sfx-rtx-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            File.WriteAllBytes(Path.Combine(folder, TensorRtRtxProvider.LibraryFileName(true)), [0]);
            var registry = new FakePluginRegistry(new DllNotFoundException("tensorrt_rtx_1_3.dll not found\nsearched: ..."));
            using var options = new SessionOptions();
            var e = Assert.Throws<InvalidOperationException>(() => new TensorRtRtxProvider(registry, folder, isWindows: true).Append(options, new Dictionary<string, string>()));
            Assert.Equal("TensorRT-RTX plugin did not register: tensorrt_rtx_1_3.dll not found", e.Message);
        }
        finally { Directory.Delete(folder, true); }
    }

    [Fact]
    public void AutoOnAnRtxCardWithoutThePluginFallsThroughWithTheReasonRecorded()
    {
        // The real registration path (the fake appender leaves TensorRT-RTX to IProviderAppender's default): no
        // plugin beside this test host, so the attempt fails with the reason, TensorRT and CUDA fail (fake), CPU runs.
        var m = DiffusionManifest.Load(packs.Turbo64);
        var log = new List<string>();
        using var sessions = DiffusionSessions.Load(m, new SessionLoadOptions
        {
            Provider = ExecutionProviderKind.Auto, RtxGpu = true, IsWindows = false, Appender = new FakeAppender("tensorrt", "cuda"),
            EngineCacheRoot = Path.Combine(Path.GetTempPath(), "sfx-trt-" + Guid.NewGuid().ToString("N")), Log = log.Add,
        });
        Assert.Equal(ExecutionProviderKind.Cpu, sessions.Provider);
        Assert.Equal(ExecutionProviderKind.TensorRtRtx, sessions.Attempts[0].Provider);
        Assert.False(sessions.Attempts[0].Succeeded);
        Assert.Equal($"TensorRT-RTX plugin not found: libonnxruntime_providers_nv_tensorrt_rtx.so is not beside the host ({AppContext.BaseDirectory})", sessions.Attempts[0].Reason);
        Assert.Equal([ExecutionProviderKind.TensorRtRtx, ExecutionProviderKind.TensorRt, ExecutionProviderKind.Cuda, ExecutionProviderKind.Cpu], sessions.Attempts.Select(a => a.Provider));
        Assert.Contains(log, l => l.StartsWith("execution provider: tensorrt-rtx unavailable: TensorRT-RTX plugin not found", StringComparison.Ordinal));
    }
}
