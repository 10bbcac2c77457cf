using StreamFx.Diffusion.Scheduling;
using PackSchedule = StreamFx.ModelPack.Diffusion.NoiseSchedule;

namespace StreamFx.Diffusion.Tests;

public class SchedulingTests
{
    // Independent: the scaled-linear betas and their cumulative product, written out directly.
    private static double IndependentAlphaBar(int t)
    {
        double product = 1.0;
        for (int i = 0; i <= t; i++)
        {
            double root = Math.Sqrt(0.00085) + i / 999.0 * (Math.Sqrt(0.012) - Math.Sqrt(0.00085));
            product *= 1.0 - root * root;
        }
        return product;
    }

    [Fact]
    public void AlphaBarAtZeroIsOneMinusFirstBeta()
    {
        var s = NoiseSchedule.ScaledLinear();
        Assert.Equal(1.0 - 0.00085, s.AlphaBar(0), 12);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(99)]
    [InlineData(359)]
    [InlineData(999)]
    public void AlphaBarMatchesDirectProduct(int t)
    {
        var s = NoiseSchedule.ScaledLinear();
        double expected = IndependentAlphaBar(t);
        Assert.True(Math.Abs(s.AlphaBar(t) - expected) <= 1e-12 * expected, $"t={t}: {s.AlphaBar(t)} vs {expected}");
        Assert.Equal(Math.Sqrt(expected), s.SignalScale(t), 12);
        Assert.Equal(Math.Sqrt(1 - expected), s.NoiseScale(t), 12);
    }

    // The pack generator keeps its own copy (see its remarks): a synthetic UNet bakes that table, and the
    // scheduler here must invert it exactly, so the two must give the same bits at every timestep.
    [Theory]
    [InlineData(0.00085, 0.012, 1000)]
    [InlineData(0.0001, 0.02, 1000)]
    [InlineData(0.001, 0.5, 7)]
    public void PackGeneratorScheduleMatchesThePipelines(double betaStart, double betaEnd, int trainSteps)
    {
        var pipeline = NoiseSchedule.ScaledLinear(betaStart, betaEnd, trainSteps);
        var pack = new PackSchedule(betaStart, betaEnd, trainSteps);
        Assert.Equal(pipeline.TrainSteps, pack.TrainSteps);
        for (int t = 0; t < trainSteps; t++)
        {
            Assert.Equal(pipeline.AlphaBar(t), pack.AlphaBar(t));
            Assert.Equal(pipeline.SignalScale(t), pack.A(t));
            Assert.Equal(pipeline.NoiseScale(t), pack.B(t));
        }
    }

    [Fact]
    public void TerminalSignalScaleMatchesPublishedValue()
    {
        // Lin et al. 2023 ("Common diffusion noise schedules ... are flawed") quote sqrt(alpha_bar_T) = 0.068265 for SD.
        Assert.InRange(NoiseSchedule.ScaledLinear().SignalScale(999), 0.068265 - 5e-7, 0.068265 + 5e-7);
    }

    [Fact]
    public void LcmTimestepsAre999Minus20i()
    {
        var lcm = new LcmScheduler(NoiseSchedule.ScaledLinear());
        Assert.Equal(50, lcm.Timesteps.Length);
        for (int i = 0; i < 50; i++) Assert.Equal(999 - 20 * i, lcm.TimestepAt(i));
        // StreamDiffusion's img2img default [32, 45] -> t = 359, 99.
        Assert.Equal(359, lcm.TimestepAt(32));
        Assert.Equal(99, lcm.TimestepAt(45));
        Assert.Equal(19, lcm.TimestepAt(49));
        Assert.Throws<ArgumentOutOfRangeException>(() => lcm.TimestepAt(50));
    }

    [Theory]
    [InlineData(0, 1.0, 0.0)]
    [InlineData(359, 0.25 / (3590.0 * 3590.0 + 0.25), 3590.0 / 3590.0000348189)]
    public void BoundaryScalings(int t, double cSkip, double cOut)
    {
        Assert.Equal(cSkip, LcmScheduler.CSkip(t), 12);
        Assert.Equal(cOut, LcmScheduler.COut(t), 9);
    }

    [Fact]
    public void ConstantsCombineScheduleAndBoundary()
    {
        var lcm = new LcmScheduler(NoiseSchedule.ScaledLinear());
        var k = lcm.ConstantsForIndex(45);
        Assert.Equal(99, k.Timestep);
        Assert.Equal((float)Math.Sqrt(IndependentAlphaBar(99)), k.SignalScale, 6);
        Assert.Equal((float)Math.Sqrt(1 - IndependentAlphaBar(99)), k.NoiseScale, 6);
        Assert.Equal((float)(0.25 / (990.0 * 990.0 + 0.25)), k.CSkip, 9);
    }

    [Fact]
    public void OneLcmStepOnHandComputedValues()
    {
        // a=0.5, b=0.8, c_skip=0.25, c_out=0.75; x_t=[1,2], eps=[0.5,-1]
        // F = (x_t - b*eps)/a = [(1-0.4)/0.5, (2+0.8)/0.5] = [1.2, 5.6]
        // x0 = 0.75*F + 0.25*x_t = [0.9+0.25, 4.2+0.5] = [1.15, 4.7]
        var k = new StepConstants(100, 0.5f, 0.8f, 0.25f, 0.75f);
        float[] xt = [1f, 2f], eps = [0.5f, -1f], x0 = new float[2];
        LcmScheduler.Step(xt, eps, k, x0);
        Assert.Equal(1.15f, x0[0], 5);
        Assert.Equal(4.7f, x0[1], 5);
        // Writing over eps gives the same result.
        LcmScheduler.Step(xt, eps, k, eps);
        Assert.Equal(1.15f, eps[0], 5);
        Assert.Equal(4.7f, eps[1], 5);
    }

    [Theory]
    [InlineData(1.0, 1, new[] { 0 })]
    [InlineData(0.0, 1, new[] { 49 })]
    [InlineData(0.5, 2, new[] { 25, 37 })]   // first round(24.5)=25; 25 + 25/2 = 37
    [InlineData(0.35, 2, new[] { 32, 41 })]  // round(0.65*49=31.85)=32; 32 + 18/2 = 41
    [InlineData(0.0, 4, new[] { 49 })]       // nothing left between 49 and 50: one step
    [InlineData(1.0, 4, new[] { 0, 12, 25, 37 })]
    public void StrengthMapsToIndexList(double strength, int steps, int[] expected)
    {
        Assert.Equal(expected, TimestepSelection.FromStrength(strength, steps));
    }

    [Fact]
    public void InvalidIndexListsAreRejected()
    {
        Assert.Throws<ArgumentException>(() => TimestepSelection.Validate([32, 32]));
        Assert.Throws<ArgumentException>(() => TimestepSelection.Validate([50]));
        Assert.Throws<ArgumentException>(() => TimestepSelection.Validate([1, 2, 3, 4, 5]));
        Assert.Throws<ArgumentOutOfRangeException>(() => TimestepSelection.FromStrength(1.5, 1));
        TimestepSelection.Validate([32, 45]);
    }
}
