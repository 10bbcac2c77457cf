using System.Diagnostics;
using StreamFx.Diffusion.Imaging;
using StreamFx.Diffusion.Pipeline;

namespace StreamFx.PipelineProbe;

/// <summary>
/// streamfx-pipeline-probe --model-dir D [--provider auto|tensorrt|cuda|cpu] [--frames N]
///   [--size WxH] [--resolution N] [--steps 1..4|1,2] [--cfg none|self|initialize|full|all]
/// (or --session ...: one model alone on device-bound buffers, see SessionTiming)
/// Prints one line per provider attempt, then per (steps, cfg) median, p90 and p95 per stage over the frames
/// after warm-up. Several steps/cfg values are switched live on one loaded effect (Configure), as a user would.
/// </summary>
public static class Program
{
    private static readonly string[] AllCfg = ["none", "self", "initialize", "full"];

    public static int Main(string[] args)
    {
        if (args.Contains("--session"))
        {
            return SessionTiming.Run(args);
        }

        string? modelDir = null;
        string provider = "auto", cfgArg = "self", stepsArg = "1";
        int frames = 100, width = 512, height = 512, resolution = 512;
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--model-dir": modelDir = args[i + 1]; break;
                case "--provider": provider = args[i + 1]; break;
                case "--frames": frames = int.Parse(args[i + 1]); break;
                case "--steps": stepsArg = args[i + 1]; break;
                case "--cfg": cfgArg = args[i + 1]; break;
                case "--resolution": resolution = int.Parse(args[i + 1]); break;
                case "--size":
                    string[] wh = args[i + 1].Split('x');
                    width = int.Parse(wh[0]);
                    height = int.Parse(wh[1]);
                    break;
                default:
                    Console.Error.WriteLine($"unknown option {args[i]}");
                    return 2;
            }
        }

        if (modelDir is null)
        {
            Console.Error.WriteLine("--model-dir is required");
            return 2;
        }

        int[] stepsList = stepsArg.Split(',').Select(int.Parse).ToArray();
        string[] cfgList = cfgArg == "all" ? AllCfg : cfgArg.Split(',');
        string Json(int steps, string cfg) =>
            $"{{\"prompt\":\"oil painting, warm light\",\"steps\":{steps},\"cfg_type\":\"{cfg}\",\"guidance_scale\":1.4,\"execution_provider\":\"{provider}\",\"style_index\":-1,\"resolution\":{resolution}}}";
        var load = Stopwatch.StartNew();
        using var effect = new StreamDiffusionEffect(modelDir, EffectSettings.FromJson(Json(stepsList[0], cfgList[0])), new EffectOptions { Log = Console.WriteLine, StatusMessage = Console.WriteLine });
        Console.WriteLine($"loaded in {load.Elapsed.TotalMilliseconds:F0} ms; provider in use: {effect.Status.ProviderName}");
        foreach (var attempt in effect.Status.ProviderAttempts)
        {
            Console.WriteLine($"attempt {attempt.Provider}: {(attempt.Succeeded ? "ok" : "failed")} {attempt.Reason}");
        }

        foreach (int steps in stepsList)
        {
            foreach (string cfg in cfgList)
            {
                if (effect.Configure(EffectSettings.FromJson(Json(steps, cfg))) != ConfigureOutcome.Applied)
                {
                    Console.Error.WriteLine($"steps={steps} cfg={cfg}: the effect asked for a reload");
                    return 1;
                }

                Time(effect, frames, width, height, $"resolution={resolution} steps={steps} cfg={cfg}");
            }
        }

        return 0;
    }

    private static void Time(StreamDiffusionEffect effect, int frames, int width, int height, string label)
    {
        int rowBytes = width * 4;
        byte[] input = new byte[rowBytes * height];
        byte[] output = new byte[input.Length];
        const int warmup = 5;
        var totals = new double[frames];
        var stages = new StageTimings[frames];
        for (int f = 0; f < warmup + frames; f++)
        {
            // A moving gradient so the similarity filter (off by default) and caches see real change.
            for (int y = 0; y < height; y++)
            {
                for (int x = 0; x < width; x++)
                {
                    int o = y * rowBytes + x * 4;
                    input[o] = (byte)(x + f);
                    input[o + 1] = (byte)(y + 2 * f);
                    input[o + 2] = (byte)(x ^ y);
                    input[o + 3] = 255;
                }
            }

            long start = Stopwatch.GetTimestamp();
            effect.Process(input, output, width, height, rowBytes, PixelLayout.Rgba);
            double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            if (f >= warmup)
            {
                totals[f - warmup] = ms;
                stages[f - warmup] = effect.Status.LastTimings;
            }
        }

        Console.WriteLine($"frames={frames} size={width}x{height} {label} unet_batch={effect.Status.UnetBatch} provider={effect.Status.ProviderName}");
        Report("total", totals);
        Report("pre", Array.ConvertAll(stages, s => s.PreMs));
        Report("encode", Array.ConvertAll(stages, s => s.EncodeMs));
        Report("unet", Array.ConvertAll(stages, s => s.UnetMs));
        Report("decode", Array.ConvertAll(stages, s => s.DecodeMs));
        Report("post", Array.ConvertAll(stages, s => s.PostMs));
        Array.Sort(totals);
        Console.WriteLine($"fps_at_median={1000.0 / totals[totals.Length / 2]:F1}");
    }

    private static void Report(string name, double[] values)
    {
        double[] sorted = (double[])values.Clone();
        Array.Sort(sorted);
        double P(double q) => sorted[Math.Min(sorted.Length - 1, (int)(q * sorted.Length))];
        Console.WriteLine($"{name,-7} p50={P(0.5):F2} ms p90={P(0.9):F2} ms p95={P(0.95):F2} ms max={sorted[^1]:F2} ms");
    }
}
