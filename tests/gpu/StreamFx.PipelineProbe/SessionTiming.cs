using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using StreamFx.Diffusion.Model;
using StreamFx.Diffusion.Runtime;

namespace StreamFx.PipelineProbe;

/// <summary>
/// streamfx-pipeline-probe --session unet|vae_encoder|vae_decoder --model-dir D
///   [--provider cuda|tensorrt|cpu] [--batch B[,B2..]] [--size N] [--cuda-graph off|on|off,on] [--frames N]
/// Times one model alone with every input and output bound once to buffers from the session's own allocator
/// (device memory on CUDA, host memory on the CPU provider), so nothing crosses the bus between runs: the
/// model's own cost, with or without a captured CUDA graph (gpu_graph_id per shape). Contents are whatever the
/// allocator gives (the timing does not depend on them).
/// </summary>
public static class SessionTiming
{
    public static int Run(string[] args)
    {
        string? modelDir = null, session = null;
        string provider = "cuda";
        int size = 512, frames = 50;
        int[] batches = [1];
        bool[] graphs = [false];
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--model-dir": modelDir = args[i + 1]; break;
                case "--session": session = args[i + 1]; break;
                case "--provider": provider = args[i + 1]; break;
                case "--batch": batches = args[i + 1].Split(',').Select(int.Parse).ToArray(); break;
                case "--size": size = int.Parse(args[i + 1]); break;
                case "--frames": frames = int.Parse(args[i + 1]); break;
                case "--cuda-graph": graphs = args[i + 1].Split(',').Select(v => v == "on").ToArray(); break;
                default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
            }
        }

        if (modelDir is null || session is null || !ExecutionProviderNames.TryParse(provider, out var kind))
        {
            Console.Error.WriteLine("--model-dir, --session and a known --provider are required");
            return 2;
        }

        var m = DiffusionManifest.Load(modelDir);
        string path = session switch
        {
            "unet" => m.UnetPath,
            "vae_encoder" => m.VaeEncoderPath,
            "vae_decoder" => m.VaeDecoderPath,
            // Not the text encoder: its ids must be valid token ids, and unfilled buffers are not.
            _ => throw new ArgumentException($"--session: expected unet, vae_encoder or vae_decoder, found '{session}'"),
        };
        foreach (bool cudaGraph in graphs)
        {
            int status = TimeOne(m, session, path, kind, provider, size, frames, batches, cudaGraph);
            if (status != 0) return status;
        }

        return 0;
    }

    private static int TimeOne(DiffusionManifest m, string session, string path, ExecutionProviderKind kind, string provider, int size, int frames, int[] batches, bool cudaGraph)
    {
        int batch = batches.Max();
        int latent = size / 8;
        long[] Shape(string input) => (session, input) switch
        {
            ("unet", "sample") => [batch, 4, latent, latent],
            ("unet", "timestep") => [batch],
            ("unet", "encoder_hidden_states") => [batch, 77, m.TextHiddenSize],
            ("unet", "timestep_cond") => [batch, m.TimestepCondWidth],
            ("unet", "out_sample") => [batch, 4, latent, latent],
            ("vae_encoder", "sample") => [batch, 3, size, size],
            ("vae_encoder", _) => [batch, 4, latent, latent],
            ("vae_decoder", "latent_sample") => [batch, 4, latent, latent],
            ("vae_decoder", "sample") => [batch, 3, size, size],
            _ => throw new ArgumentException($"{session}: no shape known for '{input}'"),
        };

        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        var appender = OrtProviderAppender.Instance;
        switch (kind)
        {
            case ExecutionProviderKind.Cuda:
                appender.AppendCuda(options, ProviderOptionsBuilder.Cuda(new CudaSettings(CudaGraph: cudaGraph)));
                break;
            case ExecutionProviderKind.TensorRt:
                string cache = Path.Combine(Path.GetTempPath(), "streamfx-probe-trt");
                Directory.CreateDirectory(cache);
                var profile = new List<ProfileShape>();
                foreach (var (name, _) in Inputs(path)) { long[] dims = Shape(name); profile.Add(new ProfileShape(name, dims, dims, dims)); }
                appender.AppendTensorRt(options, ProviderOptionsBuilder.TensorRt(new TensorRtSettings(cache, profile, CudaGraph: cudaGraph)));
                appender.AppendCuda(options, ProviderOptionsBuilder.Cuda(new CudaSettings()));
                break;
            case ExecutionProviderKind.Cpu:
                if (cudaGraph) { Console.Error.WriteLine("--cuda-graph on needs a CUDA provider"); return 2; }
                break;
            default:
                Console.Error.WriteLine($"--provider {provider}: not timed in session mode");
                return 2;
        }

        var load = Stopwatch.StartNew();
        using var s = new InferenceSession(path, options);
        double loadMs = load.Elapsed.TotalMilliseconds;
        using var memory = kind == ExecutionProviderKind.Cpu
            ? new OrtMemoryInfo(OrtMemoryInfo.allocatorCPU, OrtAllocatorType.ArenaAllocator, 0, OrtMemType.Default)
            : new OrtMemoryInfo(OrtMemoryInfo.allocatorCUDA, OrtAllocatorType.DeviceAllocator, 0, OrtMemType.Default);
        using var allocator = new OrtAllocator(s, memory);
        foreach (int b in batches)
        {
            batch = b;
            using var binding = s.CreateIoBinding();
            var values = new List<OrtValue>();
            try
            {
                foreach (var (name, meta) in s.InputMetadata.Select(p => (p.Key, p.Value)))
                {
                    var v = OrtValue.CreateAllocatedTensorValue(allocator, meta.ElementDataType, Shape(name));
                    values.Add(v);
                    binding.BindInput(name, v);
                }

                foreach (var (name, meta) in s.OutputMetadata.Select(p => (p.Key, p.Value)))
                {
                    var v = OrtValue.CreateAllocatedTensorValue(allocator, meta.ElementDataType, Shape(name));
                    values.Add(v);
                    binding.BindOutput(name, v);
                }

                // Each batch is its own static shape: its own graph id, captured on its first run.
                using var run = new RunOptions();
                run.AddRunConfigEntry(ProviderOptionsBuilder.GpuGraphIdKey, ProviderOptionsBuilder.GpuGraphId(cudaGraph, size, batch));
                const int warmup = 3;
                var ms = new double[frames];
                for (int f = 0; f < warmup + frames; f++)
                {
                    long start = Stopwatch.GetTimestamp();
                    s.RunWithBinding(run, binding);
                    binding.SynchronizeBoundOutputs();
                    if (f >= warmup) ms[f - warmup] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                }

                Array.Sort(ms);
                double P(double q) => ms[Math.Min(ms.Length - 1, (int)(q * ms.Length))];
                Console.WriteLine($"session={session} provider={provider} batch={batch} size={size} cuda_graph={(cudaGraph ? "on" : "off")} " +
                    $"type={m.UnetFloatType} frames={frames} load_ms={loadMs:F0} p50={P(0.5):F2} ms p95={P(0.95):F2} ms fps_at_p50={1000 / P(0.5):F1}");
            }
            finally
            {
                foreach (var v in values) v.Dispose();
            }
        }

        return 0;
    }

    private static IEnumerable<(string Name, NodeMetadata Meta)> Inputs(string path)
    {
        using var probe = new InferenceSession(path);
        return probe.InputMetadata.Select(p => (p.Key, p.Value)).ToList();
    }
}
