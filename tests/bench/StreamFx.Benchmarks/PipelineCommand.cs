using System.Globalization;
using StreamFx.Diffusion.Guidance;
using StreamFx.Diffusion.Imaging;
using StreamFx.Diffusion.Pipeline;
using StreamFx.Diffusion.Runtime;

namespace StreamFx.Benchmarks;

/// <summary>
/// The StreamDiffusion pipeline on the CPU provider with a (synthetic) pack: per-stage times of every
/// frame for steps 1 and 2 and each cfg_type, at 512x512, written to pipeline.tsv (milliseconds).
/// A distribution over frames, not a micro-benchmark: each frame runs five ONNX stages.
/// </summary>
public static class PipelineCommand
{
    public const string FileName = "pipeline.tsv";
    private const int Side = 512;

    public static int Run(string packDir, string outDir, int frames, int warmup)
    {
        if (!File.Exists(Path.Combine(packDir, "manifest.json")))
        {
            Console.Error.WriteLine($"streamfx-bench: pipeline: '{packDir}' has no manifest.json (build the pack with scripts/build.sh)");
            return 2;
        }
        Directory.CreateDirectory(outDir);
        var rows = new List<string> { "steps\tcfg_type\tframe\tpre_ms\tencode_ms\tunet_ms\tdecode_ms\tpost_ms\ttotal_ms\tunet_batch" };
        byte[] output = new byte[Side * Side * 4];
        byte[][] inputs = Enumerable.Range(0, 8).Select(MovingFrame).ToArray();
        var baseline = new EffectSettings
        {
            ExecutionProvider = ExecutionProviderKind.Cpu,
            Prompt = "a watercolor painting of a city street",
            NegativePrompt = "blurry",
            GuidanceScale = 1.4f,
            Strength = 0.6,
            Resolution = Side,
            StyleIndex = -1,
            TransitionFrames = 0,
        };
        using var effect = new StreamDiffusionEffect(packDir, baseline with { Steps = 1, CfgType = CfgType.None });
        Console.WriteLine($"streamfx-bench: pipeline on {effect.Status.ProviderName}, pack {effect.Manifest.Name}, {Side}x{Side}");
        foreach (int steps in new[] { 1, 2 })
        {
            foreach (CfgType cfg in new[] { CfgType.None, CfgType.Self, CfgType.Initialize, CfgType.Full })
            {
                if (effect.Configure(baseline with { Steps = steps, CfgType = cfg }) != ConfigureOutcome.Applied)
                {
                    Console.Error.WriteLine("streamfx-bench: pipeline: the effect asked for a reload on a steps/cfg change");
                    return 1;
                }
                var totals = new List<double>();
                for (int f = 0; f < warmup + frames; f++)
                {
                    byte[] input = inputs[f % inputs.Length];
                    if (!effect.Process(input, output, Side, Side, Side * 4, PixelLayout.Rgba))
                    {
                        Console.Error.WriteLine("streamfx-bench: pipeline: a frame was skipped (the similarity filter must be off)");
                        return 1;
                    }
                    if (f < warmup) continue;
                    StageTimings t = effect.Status.LastTimings;
                    totals.Add(t.TotalMs);
                    rows.Add(string.Join('\t', steps.ToString(CultureInfo.InvariantCulture), CfgTypeNames.Name(cfg),
                        (f - warmup).ToString(CultureInfo.InvariantCulture), F(t.PreMs), F(t.EncodeMs), F(t.UnetMs),
                        F(t.DecodeMs), F(t.PostMs), F(t.TotalMs), effect.Status.UnetBatch.ToString(CultureInfo.InvariantCulture)));
                }
                totals.Sort();
                Console.WriteLine($"streamfx-bench: steps={steps} cfg={CfgTypeNames.Name(cfg),-10} batch={effect.Status.UnetBatch} total p50={totals[totals.Count / 2]:0.0} ms");
            }
        }
        File.WriteAllLines(Path.Combine(outDir, FileName), rows);
        return 0;
    }

    private static byte[] MovingFrame(int t)
    {
        var px = new byte[Side * Side * 4];
        for (int y = 0; y < Side; y++)
            for (int x = 0; x < Side; x++)
            {
                int p = (y * Side + x) * 4;
                bool square = x >= t * 40 && x < t * 40 + 96 && y >= 200 && y < 296;
                px[p] = (byte)(x / 2);
                px[p + 1] = (byte)(y / 2);
                px[p + 2] = square ? (byte)255 : (byte)((x + y + t * 9) & 255);
                px[p + 3] = 255;
            }
        return px;
    }

    private static string F(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
}
