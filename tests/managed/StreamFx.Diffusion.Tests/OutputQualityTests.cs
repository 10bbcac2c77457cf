using StreamFx.Diffusion.Filtering;
using StreamFx.Diffusion.Guidance;
using StreamFx.Diffusion.Imaging;
using StreamFx.Diffusion.Pipeline;
using StreamFx.Diffusion.Runtime;
using StreamFx.ModelPack.Diffusion;
using Xunit.Abstractions;

namespace StreamFx.Diffusion.Tests;

/// <summary>
/// What a user sees: the default synthetic pack through the real pipeline at default-like settings gives a
/// smooth, visible, prompt-dependent transform of the frame, stable over frames on a still input (OBS once
/// showed saturated colour noise here: 1-step self guidance diverged and the UNet left t=499 noise in).
/// </summary>
[Collection("packs")]
public class OutputQualityTests(SyntheticPacks packs, ITestOutputHelper log)
{
    private const int Size = 256;
    private const int Frames = 8;

    private static readonly EffectSettings Defaults = new()
    {
        ExecutionProvider = ExecutionProviderKind.Cpu,
        Prompt = "a person in a room",
        Strength = 0.5,
        Steps = 1,
        CfgType = CfgType.Self,
        GuidanceScale = 1.5f,
        Resolution = Size,
        Styles = [],
        StyleIndex = -1,
        TransitionFrames = 0,
    };

    /// <summary>The default pack's options (sd-turbo, float32, [-1,1]) at the processing size.</summary>
    private string Pack => packs.Get("default256", new PackOptions { Resolution = Size });

    /// <summary>Smooth colour gradients, a yellow disc and a blue square: no value at 0 or 255.</summary>
    internal static byte[] GradientWithShapes(int w, int h)
    {
        var px = new byte[w * h * 4];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                double r = 40 + 170.0 * x / w, g = 50 + 150.0 * y / h, b = 180 - 120.0 * (x + y) / (w + h);
                double dx = x - 0.35 * w, dy = y - 0.4 * h;
                if (dx * dx + dy * dy < 0.025 * w * h) (r, g, b) = (220, 200, 60);
                if (x > 0.6 * w && x < 0.85 * w && y > 0.55 * h && y < 0.8 * h) (r, g, b) = (40, 70, 150);
                int p = (y * w + x) * 4;
                px[p] = (byte)r;
                px[p + 1] = (byte)g;
                px[p + 2] = (byte)b;
                px[p + 3] = 255;
            }
        return px;
    }

    private static List<byte[]> RunStill(StreamDiffusionEffect fx, byte[] frame, int count)
    {
        var outputs = new List<byte[]>();
        for (int i = 0; i < count; i++)
        {
            var output = new byte[frame.Length];
            fx.Process(frame, output, Size, Size, Size * 4, PixelLayout.Rgba);
            outputs.Add(output);
        }
        return outputs;
    }

    private static double Luma(byte[] p, int i) => 0.299 * p[i] + 0.587 * p[i + 1] + 0.114 * p[i + 2];

    internal static double LumaCorrelation(byte[] a, byte[] b)
    {
        int n = a.Length / 4;
        double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
        for (int i = 0; i < n; i++)
        {
            double x = Luma(a, i * 4), y = Luma(b, i * 4);
            sa += x; sb += y; saa += x * x; sbb += y * y; sab += x * y;
        }
        double ca = saa - sa * sa / n, cb = sbb - sb * sb / n, cab = sab - sa * sb / n;
        return cab / Math.Sqrt(ca * cb);
    }

    /// <summary>Fraction of colour channel values (alpha excluded) at 0 or 255.</summary>
    internal static double SaturatedFraction(byte[] a)
    {
        int saturated = 0, n = 0;
        for (int i = 0; i < a.Length; i++)
        {
            if (i % 4 == 3) continue;
            n++;
            if (a[i] is 0 or 255) saturated++;
        }
        return (double)saturated / n;
    }

    /// <summary>Mean absolute difference over colour channels, in levels of 255.</summary>
    internal static double MeanAbsLevels(byte[] a, byte[] b)
    {
        double sum = 0;
        int n = 0;
        for (int i = 0; i < a.Length; i++)
        {
            if (i % 4 == 3) continue;
            n++;
            sum += Math.Abs(a[i] - b[i]);
        }
        return sum / n;
    }

    [Theory]
    // cfg, guidance, steps, minimum luma correlation with the input. Guidance extrapolates away from the
    // input (x0 + g (x0_hat - x0)), so what the estimate lost at t=499 (edges, leftover noise) weighs more.
    [InlineData(CfgType.Self, 1.0f, 1, 0.75)]
    [InlineData(CfgType.None, 1.0f, 1, 0.75)]
    [InlineData(CfgType.Self, 1.2f, 1, 0.7)]
    [InlineData(CfgType.Self, 1.5f, 1, 0.6)]
    [InlineData(CfgType.None, 1.0f, 2, 0.7)]
    [InlineData(CfgType.Self, 1.2f, 2, 0.5)]
    public void StillFrameGivesASmoothStableTransformOfTheInput(CfgType cfg, float guidance, int steps, double minCorrelation)
    {
        byte[] frame = GradientWithShapes(Size, Size);
        using var fx = new StreamDiffusionEffect(Pack, Defaults with { CfgType = cfg, GuidanceScale = guidance, Steps = steps });
        var outputs = RunStill(fx, frame, Frames);
        byte[] last = outputs[^1];
        double corr = LumaCorrelation(last, frame);
        double saturated = SaturatedFraction(last), inputSaturated = SaturatedFraction(frame);
        double change = MeanAbsLevels(last, frame);
        log.WriteLine($"{CfgTypeNames.Name(cfg)} g={guidance} steps={steps}: luma correlation {corr:0.000}, saturated {saturated:P2} (input {inputSaturated:P2}), mean change {change:0.0} levels");

        Assert.True(corr >= minCorrelation, $"luma correlation with the input {corr:0.000}, expected at least {minCorrelation}");
        Assert.True(saturated <= inputSaturated + 0.03, $"saturated channel values {saturated:P2}, input {inputSaturated:P2}");
        Assert.True(change >= 3, $"the effect must be visible: mean change {change:0.0} levels");
        // A still input gives a still output: every frame after the first equals the first (no drift, no growth).
        for (int i = 1; i < outputs.Count; i++)
            Assert.True(outputs[i].AsSpan().SequenceEqual(outputs[0]), $"frame {i} differs from frame 0 by {MeanAbsLevels(outputs[i], outputs[0]):0.00} levels");
    }

    [Theory]
    [InlineData(CfgType.Self, 1.0f, 1)]
    [InlineData(CfgType.Self, 1.5f, 1)]
    [InlineData(CfgType.None, 1.0f, 2)]
    public void AnotherPromptChangesTheOutputVisibly(CfgType cfg, float guidance, int steps)
    {
        byte[] frame = GradientWithShapes(Size, Size);
        var settings = Defaults with { CfgType = cfg, GuidanceScale = guidance, Steps = steps };
        using var fx = new StreamDiffusionEffect(Pack, settings);
        byte[] person = RunStill(fx, frame, 2)[^1];
        fx.Configure(settings with { Prompt = "oil painting, warm light" });
        byte[] painting = RunStill(fx, frame, 2)[^1];
        double diff = MeanAbsLevels(person, painting);
        log.WriteLine($"{CfgTypeNames.Name(cfg)} g={guidance} steps={steps}: prompt change moves the output by {diff:0.0} levels");
        Assert.True(diff >= 3, $"prompt change moved the output by {diff:0.00} levels");
    }

    [Fact]
    public void SameSettingsAndFrameGiveIdenticalBytes()
    {
        byte[] frame = GradientWithShapes(Size, Size);
        using var a = new StreamDiffusionEffect(Pack, Defaults);
        using var b = new StreamDiffusionEffect(Pack, Defaults);
        Assert.Equal(RunStill(a, frame, 3), RunStill(b, frame, 3));
    }

    [Fact]
    public void SettingsChangeOnAStillFrameIsProcessedNotSkippedAsSimilar()
    {
        byte[] frame = GradientWithShapes(Size, Size);
        // Uniform draws of 0 skip every similar frame the filter allows (up to max_skip_frames).
        var settings = Defaults with { SimilarityThreshold = 0.98, MaxSkipFrames = 100 };
        using var fx = new StreamDiffusionEffect(Pack, settings, new EffectOptions { SkipRandom = new ScriptedUniform(0.0) });
        var output = new byte[frame.Length];
        Assert.True(fx.Process(frame, output, Size, Size, Size * 4, PixelLayout.Rgba));
        byte[] first = output.ToArray();
        Assert.False(fx.Process(frame, output, Size, Size, Size * 4, PixelLayout.Rgba));

        // Nothing that changes the output: still skipped.
        fx.Configure(settings with { MaxSkipFrames = 99 });
        Assert.False(fx.Process(frame, output, Size, Size, Size * 4, PixelLayout.Rgba));

        // Prompt, strength, guidance and seed changes each make the next still frame run, with a new output.
        EffectSettings[] changes =
        [
            settings with { Prompt = "oil painting, warm light" },
            settings with { Prompt = "oil painting, warm light", Strength = 0.3 },
            settings with { Prompt = "oil painting, warm light", Strength = 0.3, GuidanceScale = 1.2f },
            settings with { Prompt = "oil painting, warm light", Strength = 0.3, GuidanceScale = 1.2f, Seed = 9 },
        ];
        byte[] previous = first;
        foreach (var change in changes)
        {
            fx.Configure(change);
            Assert.True(fx.Process(frame, output, Size, Size, Size * 4, PixelLayout.Rgba), "the frame after a settings change was skipped");
            Assert.False(output.AsSpan().SequenceEqual(previous));
            previous = output.ToArray();
            // Then the still input is similar again.
            Assert.False(fx.Process(frame, output, Size, Size, Size * 4, PixelLayout.Rgba));
        }
    }

    [Fact]
    public void StyleTransitionAdvancesOnAStillFrameWithTheFilterOn()
    {
        byte[] frame = GradientWithShapes(Size, Size);
        var settings = Defaults with { SimilarityThreshold = 0.98, MaxSkipFrames = 100, TransitionFrames = 4 };
        using var fx = new StreamDiffusionEffect(Pack, settings, new EffectOptions { SkipRandom = new ScriptedUniform(0.0) });
        var output = new byte[frame.Length];
        fx.Process(frame, output, Size, Size, Size * 4, PixelLayout.Rgba);
        fx.Configure(settings with { Prompt = "oil painting, warm light" });
        for (int i = 0; i < 4; i++)
            Assert.True(fx.Process(frame, output, Size, Size, Size * 4, PixelLayout.Rgba), $"transition frame {i} was skipped");
        Assert.False(fx.Status.TransitionActive);
        Assert.False(fx.Process(frame, output, Size, Size, Size * 4, PixelLayout.Rgba));
    }
}
