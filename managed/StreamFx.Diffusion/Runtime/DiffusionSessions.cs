using Microsoft.ML.OnnxRuntime;
using StreamFx.Diffusion.Model;

namespace StreamFx.Diffusion.Runtime;

/// <summary>How to build the four sessions.</summary>
public sealed record SessionLoadOptions
{
    public ExecutionProviderKind Provider { get; init; } = ExecutionProviderKind.Auto;
    public IProviderAppender Appender { get; init; } = OrtProviderAppender.Instance;
    /// <summary>Root of the TensorRT engine caches; default: the user's cache folder.</summary>
    public string? EngineCacheRoot { get; init; }
    /// <summary>Processing size (square) the TensorRT profiles are built for.</summary>
    public int Resolution { get; init; }
    /// <summary>Largest UNet batch the TensorRT profile admits (2 * steps * frames for full CFG).</summary>
    public int MaxUnetBatch { get; init; } = 8;
    /// <summary>The UNet batch the TensorRT profile is optimised for.</summary>
    public int OptUnetBatch { get; init; } = 1;
    public int IntraOpThreads { get; init; }
    /// <summary>
    /// Capture CUDA graphs (CUDA, TensorRT and TensorRT-RTX providers): only for static shapes, with every run
    /// given a gpu_graph_id (<see cref="ProviderOptionsBuilder.GpuGraphId"/>) and inputs bound at fixed addresses.
    /// </summary>
    public bool CudaGraph { get; init; }
    /// <summary>An RTX GPU is present (TensorRT-RTX first in auto); null: ask the driver.</summary>
    public bool? RtxGpu { get; init; }
    public bool? IsWindows { get; init; }
    public Action<string>? Log { get; init; }
    /// <summary>Short progress lines for the UI ("building TensorRT engine (first run, about 4 min): 12 s").</summary>
    public Action<string>? Status { get; init; }
}

/// <summary>The four ONNX sessions of a stream-diffusion folder, built on the first provider that works and validated.</summary>
public sealed class DiffusionSessions : IDisposable
{
    private DiffusionSessions(InferenceSession[] s, ExecutionProviderKind provider, IReadOnlyList<ProviderAttempt> attempts)
    {
        TextEncoder = s[0];
        Unet = s[1];
        VaeEncoder = s[2];
        VaeDecoder = s[3];
        Provider = provider;
        Attempts = attempts;
    }

    public InferenceSession TextEncoder { get; }
    public InferenceSession Unet { get; }
    public InferenceSession VaeEncoder { get; }
    public InferenceSession VaeDecoder { get; }
    public ExecutionProviderKind Provider { get; }
    public IReadOnlyList<ProviderAttempt> Attempts { get; }

    public static DiffusionSessions Load(DiffusionManifest m, SessionLoadOptions o)
    {
        string[] paths = [m.TextEncoderPath, m.UnetPath, m.VaeEncoderPath, m.VaeDecoderPath];
        foreach (var p in paths)
            if (!File.Exists(p)) throw new ModelFolderException(p, "file", "present", "missing");
        // What was derived from the folder, so a streamer can see why a model runs as it does.
        foreach (string fact in m.Facts) o.Log?.Invoke($"model '{m.Name}': {fact}");
        var chain = new ExecutionProviderChain(o.IsWindows, o.Log, o.RtxGpu);
        var selection = chain.Select(o.Provider, kind => CreateAll(m, paths, kind, o));
        var sessions = new DiffusionSessions(selection.Value, selection.Provider, selection.Attempts);
        try
        {
            Check(paths[0], sessions.TextEncoder, DiffusionContracts.TextEncoder(m), outputsExhaustive: false);
            Check(paths[1], sessions.Unet, DiffusionContracts.Unet(m), outputsExhaustive: false);
            Check(paths[2], sessions.VaeEncoder, DiffusionContracts.VaeEncoder(m), outputsExhaustive: false);
            Check(paths[3], sessions.VaeDecoder, DiffusionContracts.VaeDecoder(m), outputsExhaustive: false);
        }
        catch
        {
            sessions.Dispose();
            throw;
        }
        return sessions;
    }

    private static void Check(string file, InferenceSession s, (TensorContract[] Inputs, TensorContract[] Outputs) c, bool outputsExhaustive)
    {
        TensorContract.Validate(file, s.InputMetadata, c.Inputs, "input", exhaustive: true);
        TensorContract.Validate(file, s.OutputMetadata, c.Outputs, "output", outputsExhaustive);
    }

    /// <summary>Dynamic-input profiles for TensorRT at the configured size and batch range.</summary>
    public static IReadOnlyList<ProfileShape>[] Profiles(DiffusionManifest m, SessionLoadOptions o)
    {
        long r = o.Resolution > 0 ? o.Resolution : m.Resolution;
        long lr = r / m.VaeScaleFactor, c = m.LatentChannels, t = m.MaxLength, h = m.TextHiddenSize;
        long opt = Math.Max(1, o.OptUnetBatch), max = Math.Max(opt, o.MaxUnetBatch);
        var unet = new List<ProfileShape>
        {
            new(DiffusionContracts.Sample, [1, c, lr, lr], [opt, c, lr, lr], [max, c, lr, lr]),
            new(DiffusionContracts.Timestep, [1], [opt], [max]),
            new(DiffusionContracts.EncoderHiddenStates, [1, t, h], [opt, t, h], [max, t, h]),
        };
        long w = m.TimestepCondWidth;
        if (w > 0) unet.Add(new(DiffusionContracts.TimestepCond, [1, w], [opt, w], [max, w]));
        return
        [
            [new(DiffusionContracts.InputIds, [1, t], [1, t], [1, t])],
            unet,
            [new(DiffusionContracts.Sample, [1, 3, r, r], [1, 3, r, r], [1, 3, r, r])],
            [new(DiffusionContracts.LatentSample, [1, c, lr, lr], [1, c, lr, lr], [1, c, lr, lr])],
        ];
    }

    private static InferenceSession[] CreateAll(DiffusionManifest m, string[] paths, ExecutionProviderKind kind, SessionLoadOptions o)
    {
        string[] names = ["text_encoder", "unet", "vae_encoder", "vae_decoder"];
        var profiles = Profiles(m, o);
        string cacheFolder = "";
        if (kind == ExecutionProviderKind.TensorRt)
        {
            // A vae_dir autoencoder is part of what the engines were built from.
            string fingerprint = TensorRtCache.ModelFingerprint(m.Folder) + (m.VaeFolder.Length > 0 && m.VaeFolder != m.Folder ? "vae_dir\n" + TensorRtCache.ModelFingerprint(m.VaeFolder) : "");
            string key = TensorRtCache.Key(m.Name, fingerprint, TensorRtCache.GpuIdentity(),
                "ort " + OrtEnv.Instance().GetVersionString() + "; res " + (o.Resolution > 0 ? o.Resolution : m.Resolution));
            cacheFolder = Path.Combine(o.EngineCacheRoot ?? TensorRtCache.UserCacheRoot(), key);
            Directory.CreateDirectory(cacheFolder);
        }
        bool firstBuild = kind == ExecutionProviderKind.TensorRt && !TensorRtCache.HasEngines(cacheFolder);
        int minutes = firstBuild ? ProviderOptionsBuilder.TensorRtBuildMinutes(paths.Sum(ModelBytes)) : 0;
        var started = System.Diagnostics.Stopwatch.StartNew();
        // A first engine build can take minutes: report it at once and then every second so the panel never looks frozen.
        var progressLock = new object();
        bool building = firstBuild && o.Status is not null;
        void Report()
        {
            lock (progressLock)
                if (building) o.Status!(ProviderOptionsBuilder.TensorRtBuildStatus(minutes, started.Elapsed.TotalSeconds));
        }
        if (building) Report();
        using var progress = building ? new Timer(_ => Report(), null, 1000, 1000) : null;
        var sessions = new List<InferenceSession>(4);
        try
        {
            for (int i = 0; i < 4; i++)
            {
                using var options = new SessionOptions
                {
                    GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
                    ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
                    LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
                };
                if (o.IntraOpThreads > 0) options.IntraOpNumThreads = o.IntraOpThreads;
                switch (kind)
                {
                    case ExecutionProviderKind.TensorRt:
                        o.Appender.AppendTensorRt(options, ProviderOptionsBuilder.TensorRt(new TensorRtSettings(cacheFolder, profiles[i], CudaGraph: o.CudaGraph)));
                        // Nodes TensorRT cannot take run on CUDA.
                        o.Appender.AppendCuda(options, ProviderOptionsBuilder.Cuda(new CudaSettings(CudaGraph: o.CudaGraph)));
                        break;
                    case ExecutionProviderKind.Cuda:
                        o.Appender.AppendCuda(options, ProviderOptionsBuilder.Cuda(new CudaSettings(CudaGraph: o.CudaGraph)));
                        break;
                    case ExecutionProviderKind.TensorRtRtx:
                        o.Appender.AppendTensorRtRtx(options, ProviderOptionsBuilder.TensorRtRtx(new CudaSettings(CudaGraph: o.CudaGraph)));
                        // Nodes TensorRT-RTX cannot take run on the CPU provider ONNX Runtime always adds.
                        break;
                    case ExecutionProviderKind.DirectMl:
                        options.EnableMemoryPattern = false; // DirectML requires it off
                        o.Appender.AppendDirectMl(options, 0);
                        break;
                }
                try
                {
                    sessions.Add(new InferenceSession(paths[i], options));
                }
                catch (OnnxRuntimeException e) when (kind == ExecutionProviderKind.Cpu && NeedsCuda(paths[i], e))
                {
                    throw ModelFolderException.NeedsProvider(paths[i], CudaOnlyMessage, FirstLine(e.Message), e);
                }
                catch (OnnxRuntimeException e) when (kind == ExecutionProviderKind.Cpu)
                {
                    throw new ModelFolderException(paths[i], $"{names[i]} model", "a model ONNX Runtime can load", FirstLine(e.Message), e);
                }
                catch (OnnxRuntimeException e)
                {
                    throw new InvalidOperationException($"{paths[i]}: {FirstLine(e.Message)}", e);
                }
            }
            lock (progressLock) building = false;
            if (firstBuild) o.Status?.Invoke($"TensorRT engines built in {started.Elapsed.TotalSeconds:F0} s");
            return sessions.ToArray();
        }
        catch
        {
            lock (progressLock) building = false;
            foreach (var s in sessions) s.Dispose();
            throw;
        }
    }

    /// <summary>A model's bytes with its external data (what a TensorRT build has to read and optimise).</summary>
    private static long ModelBytes(string path)
    {
        long bytes = new FileInfo(path).Length;
        string folder = Path.GetDirectoryName(path) ?? ".";
        foreach (string data in new[] { "model.onnx_data", "model.onnx.data" })
        {
            string side = Path.Combine(folder, data);
            if (File.Exists(side)) bytes += new FileInfo(side).Length;
        }
        return bytes;
    }

    /// <summary>STATUS text for a float16 CUDA export on a machine where only the CPU provider could be used.</summary>
    public const string CudaOnlyMessage = "this model needs the CUDA provider (float16 CUDA export); the CPU provider cannot run it";

    /// <summary>
    /// A float16-I/O model whose graph has nodes without a CPU kernel: what Olive's CUDA exports (fused
    /// float16 contrib ops, float16 convolutions) give on the CPU provider. Named as such, not as a broken file.
    /// </summary>
    private static bool NeedsCuda(string path, OnnxRuntimeException e)
    {
        // ORT 1.31 says "[ErrorCode:NotImplemented] Failed to find kernel for com.microsoft.BiasAdd(1) ..."; older
        // versions "Could not find an implementation for ...".
        bool noKernel = e.Message.Contains("NotImplemented", StringComparison.Ordinal)
            || e.Message.Contains("NOT_IMPLEMENTED", StringComparison.Ordinal)
            || e.Message.Contains("Failed to find kernel", StringComparison.Ordinal)
            || e.Message.Contains("Could not find an implementation", StringComparison.Ordinal);
        if (!noKernel) return false;
        try { return OnnxSignature.Read(path).HasFloat16Io; }
        catch (ModelFolderException) { return false; }
    }

    private static string FirstLine(string m)
    {
        int nl = m.IndexOf('\n');
        return (nl >= 0 ? m[..nl] : m).Trim();
    }

    public void Dispose()
    {
        TextEncoder.Dispose();
        Unet.Dispose();
        VaeEncoder.Dispose();
        VaeDecoder.Dispose();
    }
}
