using StreamFx.Diffusion.Guidance;
using StreamFx.Diffusion.Scheduling;
using StreamFx.Diffusion.Streaming;

namespace StreamFx.Diffusion.Tests;

/// <summary>A noise predictor given as a formula, recording what it was asked.</summary>
internal sealed class FormulaPredictor(Func<float, int, bool, float> eps) : INoisePredictor
{
    public List<float[]> Samples { get; } = new();
    public List<int[]> Timesteps { get; } = new();
    public List<int> Uncond { get; } = new();

    public void Predict(ReadOnlySpan<float> sample, ReadOnlySpan<int> timesteps, int uncondLeading, Span<float> noise)
    {
        Samples.Add(sample.ToArray());
        Timesteps.Add(timesteps.ToArray());
        Uncond.Add(uncondLeading);
        int L = sample.Length / timesteps.Length;
        for (int i = 0; i < sample.Length; i++)
            noise[i] = eps(sample[i], timesteps[i / L], i / L < uncondLeading);
    }
}

public class StreamingTests
{
    // Identity steps: a=1, b=0, c_skip=0, c_out=1 make x0 = x_t and the buffer = x0, so latents pass through unchanged.
    private static StepConstants[] IdentitySteps(int n) =>
        Enumerable.Range(0, n).Select(i => new StepConstants(900 - 100 * i, 1f, 0f, 0f, 1f)).ToArray();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void OutputKComesFromInputKMinusNMinus1(int n)
    {
        const int L = 3;
        var batch = new StreamBatch(IdentitySteps(n), 1, L, new float[n * L]);
        var predictor = new FormulaPredictor((x, t, u) => 0f);
        var denoiser = new StreamDenoiser(predictor, batch, CfgType.None, 1f, 1f);
        var output = new float[L];
        for (int k = 0; k < 8; k++)
        {
            var input = Enumerable.Repeat((float)(k + 1), L).ToArray();
            denoiser.Denoise(input, output);
            // Inputs before the first are the warm-up copies of frame 0: never an empty-buffer (zero) output.
            float expected = Math.Max(0, k - (n - 1)) + 1;
            Assert.All(output, v => Assert.Equal(expected, v));
        }
        // Warm-up runs frame 0 n times, then one call per frame.
        Assert.Equal(n + 7, denoiser.PredictorCalls);
    }

    [Fact]
    public void BatchIsNewestNoisedThenBufferWithTimestepsInOrder()
    {
        // n=2, f=1, L=1, real constants; eps = 0.1*x so every value is checkable by hand.
        var lcm = new LcmScheduler(NoiseSchedule.ScaledLinear());
        var steps = new[] { lcm.ConstantsForIndex(32), lcm.ConstantsForIndex(45) };
        float[] noise = [0.3f, -0.7f];
        var batch = new StreamBatch(steps, 1, 1, noise);
        var predictor = new FormulaPredictor((x, t, u) => 0.1f * x);
        var denoiser = new StreamDenoiser(predictor, batch, CfgType.None, 1f, 1f);
        var output = new float[1];

        double a0 = steps[0].SignalScale, b0 = steps[0].NoiseScale, a1 = steps[1].SignalScale, b1 = steps[1].NoiseScale;
        double X0(double xt, StepConstants k) =>
            k.COut * (xt - k.NoiseScale * 0.1 * xt) / k.SignalScale + k.CSkip * xt;

        denoiser.Denoise([2f], output); // warm-up call + real call
        denoiser.Denoise([5f], output);
        Assert.Equal(3, predictor.Samples.Count);
        Assert.All(predictor.Timesteps, ts => Assert.Equal(new[] { 359, 99 }, ts));

        // Call 1 (warm-up): [a0*2 + b0*0.3, 0 (empty buffer)]
        double x1new = a0 * 2 + b0 * 0.3;
        Assert.Equal(x1new, predictor.Samples[0][0], 5);
        Assert.Equal(0, predictor.Samples[0][1], 6);
        // Call 2: buffer = a1 * x0(call1 item0) + b1 * noise[1]
        double buf1 = a1 * X0(x1new, steps[0]) + b1 * -0.7;
        Assert.Equal(x1new, predictor.Samples[1][0], 5);
        Assert.Equal(buf1, predictor.Samples[1][1], 5);
        // Call 3 (frame 5): output is x0 of the buffered item from frame 2's second pass.
        double x3new = a0 * 5 + b0 * 0.3;
        double buf2 = a1 * X0(x1new, steps[0]) + b1 * -0.7;
        Assert.Equal(x3new, predictor.Samples[2][0], 5);
        Assert.Equal(buf2, predictor.Samples[2][1], 5);
        Assert.Equal(X0(buf2, steps[1]), output[0], 4);
    }

    [Theory]
    [InlineData(CfgType.None, 1.5f, 3, 3)]
    [InlineData(CfgType.Self, 1.5f, 3, 3)]
    [InlineData(CfgType.Initialize, 1.5f, 3, 4)]
    [InlineData(CfgType.Full, 1.5f, 3, 6)]
    [InlineData(CfgType.Full, 1.0f, 3, 3)]       // guidance off: no extra pass
    [InlineData(CfgType.Initialize, 1.0f, 2, 2)]
    public void UnetBatchSizePerCfgType(CfgType type, float g, int n, int expected)
    {
        Assert.Equal(expected, ResidualCfg.UnetBatchSize(type, g, n));
        var batch = new StreamBatch(IdentitySteps(n), 1, 2, new float[n * 2]);
        var predictor = new FormulaPredictor((x, t, u) => 0f);
        var denoiser = new StreamDenoiser(predictor, batch, type, g, 1f);
        denoiser.Denoise(new float[2], new float[2]);
        Assert.All(predictor.Timesteps, ts => Assert.Equal(expected, ts.Length));
        int lead = g > 1 ? type switch { CfgType.Initialize => 1, CfgType.Full => n, _ => 0 } : 0;
        Assert.All(predictor.Uncond, u => Assert.Equal(lead, u));
    }

    [Fact]
    public void FullCfgCombinesUncondAndCond()
    {
        var cfg = new ResidualCfg(2, 1) { Type = CfgType.Full, GuidanceScale = 3f };
        // UNet output: [u0, u1, c0, c1] = [1, 2, 5, 10]; eps = u + 3(c - u) = [13, 26]
        var eps = new float[2];
        cfg.Combine([1f, 2f, 5f, 10f], eps);
        Assert.Equal(new[] { 13f, 26f }, eps);
    }

    // Independent scalar model of the reference algorithm (streamdiffusion.md), one value per item (L=1, f=1).
    private sealed class ScalarReference(StepConstants[] k, double[] init, string cfg, double g, double delta, Func<double, int, bool, double> eps)
    {
        private readonly int n = k.Length;
        private double[] buffer = new double[k.Length - 1];
        private double[] stock = new double[k.Length];

        private double Step(double eHat, double x, StepConstants c) => c.COut * (x - c.NoiseScale * eHat) / c.SignalScale + c.CSkip * x;

        public double Call(double latent)
        {
            var x = new double[n];
            x[0] = k[0].SignalScale * latent + k[0].NoiseScale * init[0];
            for (int i = 1; i < n; i++) x[i] = buffer[i - 1];
            // The newest item's virtual residual is its init noise, also when n = 1 (the reference code skips
            // this for n = 1 and then feeds the last item's update back into itself: divergent for g * b/a > 1).
            {
                var s = new double[n];
                s[0] = init[0];
                for (int i = 1; i < n; i++) s[i] = stock[i - 1];
                stock = s;
            }
            bool guided = g > 1 && cfg != "none";
            var e = new double[n];
            for (int i = 0; i < n; i++)
            {
                double c = eps(x[i], k[i].Timestep, false);
                double u = 0;
                if (guided && cfg == "full") u = eps(x[i], k[i].Timestep, true);
                if (guided && cfg == "initialize" && i == 0) stock[0] = eps(x[0], k[0].Timestep, true);
                if (guided && (cfg == "self" || cfg == "initialize")) u = delta * stock[i];
                e[i] = guided ? u + g * (c - u) : c;
            }
            var x0 = new double[n];
            for (int i = 0; i < n; i++) x0[i] = Step(e[i], x[i], k[i]);
            if (cfg == "self" || cfg == "initialize")
            {
                var s = new double[n];
                for (int i = 0; i < n; i++)
                {
                    double aNext = i + 1 < n ? k[i + 1].SignalScale : 1, bNext = i + 1 < n ? k[i + 1].NoiseScale : 1;
                    double dx = Step(e[i], k[i].NoiseScale * stock[i], k[i]) * aNext / bNext;
                    s[i] = init[(i + 1) % n] + dx;
                }
                stock = s;
            }
            for (int i = 0; i + 1 < n; i++) buffer[i] = k[i + 1].SignalScale * x0[i] + k[i + 1].NoiseScale * init[i + 1];
            return x0[n - 1];
        }
    }

    [Theory]
    [InlineData("none", 1.0, 3)]
    [InlineData("self", 1.4, 3)]
    [InlineData("initialize", 1.4, 3)]
    [InlineData("full", 1.4, 3)]
    [InlineData("self", 1.0, 3)]
    [InlineData("self", 1.5, 1)]
    [InlineData("initialize", 1.5, 1)]
    [InlineData("self", 1.5, 2)]
    public void DenoiserMatchesScalarReferenceOverSeveralFrames(string cfgName, double g, int n)
    {
        Assert.True(CfgTypeNames.TryParse(cfgName, out var type));
        var lcm = new LcmScheduler(NoiseSchedule.ScaledLinear());
        var k = new[] { lcm.ConstantsForIndex(20), lcm.ConstantsForIndex(35), lcm.ConstantsForIndex(45) }.Take(n).ToArray();
        double[] init = new[] { 0.4, -1.1, 0.8 }.Take(n).ToArray();
        Func<double, int, bool, double> eps = (x, t, u) => u ? 0.2 * x - 0.05 : 0.3 * x + t / 2000.0;
        var reference = new ScalarReference(k, init, cfgName, g, 0.7, eps);
        var predictor = new FormulaPredictor((x, t, u) => (float)eps(x, t, u));
        var denoiser = new StreamDenoiser(predictor, new StreamBatch(k, 1, 1, init.Select(v => (float)v).ToArray()), type, (float)g, 0.7f);
        var output = new float[1];
        double[] frames = [1.0, 0.5, -0.25, 2.0, 1.5];
        // The library warms up by running frame 0 until the buffer is full: do the same to the reference.
        for (int w = 0; w < k.Length - 1; w++) reference.Call(frames[0]);
        foreach (var f in frames)
        {
            double expected = reference.Call(f);
            denoiser.Denoise([(float)f], output);
            Assert.True(Math.Abs(expected - output[0]) < 1e-4 * Math.Max(1, Math.Abs(expected)), $"{cfgName} g={g}: expected {expected}, found {output[0]}");
        }
    }

    [Theory]
    [InlineData(CfgType.Self, 1)]
    [InlineData(CfgType.Self, 2)]
    [InlineData(CfgType.Initialize, 1)]
    public void SelfGuidanceOnAStillFrameIsStationaryAndExtrapolatesFromTheInput(CfgType type, int n)
    {
        // A model that always predicts clean latent m: eps = (x_t - a m) / b. With the input latent x0, the
        // self-negative branch stands for "back to x0" at every step (virtual residual noise, paper eq. 5-6),
        // so every output is x0 + g (m - x0), the same on every frame. Before the n = 1 fix the stock fed itself back
        // with gain g * b/a (2.4 at t=499, g=1.5) and the output grew without bound.
        const float m = 0.3f, x0 = 1.0f, g = 1.5f;
        var lcm = new LcmScheduler(NoiseSchedule.ScaledLinear());
        var steps = new[] { lcm.ConstantsForIndex(25), lcm.ConstantsForIndex(37) }.Take(n).ToArray();
        var byTimestep = steps.ToDictionary(s => s.Timestep);
        var predictor = new FormulaPredictor((x, t, u) =>
        {
            var c = byTimestep[t];
            return (x - c.SignalScale * (u ? x0 : m)) / c.NoiseScale;
        });
        var denoiser = new StreamDenoiser(predictor, new StreamBatch(steps, 1, 1, new[] { 0.7f, -0.4f }.Take(n).ToArray()), type, g, 1f);
        var output = new float[1];
        // The LCM boundary condition blends in c_skip * x_t (about 1e-5 here): allow for it.
        double expected = x0 + g * (m - x0);
        for (int frame = 0; frame < 30; frame++)
        {
            denoiser.Denoise([x0], output);
            Assert.True(Math.Abs(output[0] - expected) < 2e-3, $"frame {frame}: expected {expected}, found {output[0]}");
        }
    }
}
