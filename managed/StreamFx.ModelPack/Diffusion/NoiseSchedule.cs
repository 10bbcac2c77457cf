namespace StreamFx.ModelPack.Diffusion;

/// <summary>
/// The "scaled_linear" DDPM schedule of Stable Diffusion: beta_i = (sqrt(b0) + i/(n-1)(sqrt(b1) - sqrt(b0)))^2,
/// alpha_bar_t = prod_{i&lt;=t}(1 - beta_i); A(t) = sqrt(alpha_bar_t), B(t) = sqrt(1 - alpha_bar_t).
/// </summary>
/// <remarks>
/// Why a second copy of StreamFx.Diffusion.Scheduling.NoiseSchedule: the pack generator must not depend on
/// the pipeline assembly (it would pull ONNX Runtime into an offline tool that only writes files, and the
/// packs are the pipeline's test input, so a shared bug would cancel out). The two must still agree to the
/// bit, or a synthetic UNet baked with this table would not match the scheduler that inverts it: the same
/// expression in the same order, checked by SchedulingTests.PackGeneratorScheduleMatchesThePipelines.
/// </remarks>
public sealed class NoiseSchedule
{
    public const double DefaultBetaStart = 0.00085;
    public const double DefaultBetaEnd = 0.012;
    public const int DefaultTrainSteps = 1000;

    private readonly double[] _alphaBar;

    public NoiseSchedule(double betaStart = DefaultBetaStart, double betaEnd = DefaultBetaEnd, int trainSteps = DefaultTrainSteps)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(trainSteps, 2);
        BetaStart = betaStart;
        BetaEnd = betaEnd;
        TrainSteps = trainSteps;
        _alphaBar = new double[trainSteps];
        double s0 = Math.Sqrt(betaStart);
        double s1 = Math.Sqrt(betaEnd);
        double product = 1.0;
        for (int i = 0; i < trainSteps; i++)
        {
            double root = s0 + (s1 - s0) * i / (trainSteps - 1);
            product *= 1.0 - root * root;
            _alphaBar[i] = product;
        }
    }

    public double BetaStart { get; }

    public double BetaEnd { get; }

    public int TrainSteps { get; }

    public double AlphaBar(int t) => _alphaBar[t];

    /// <summary>sqrt(alpha_bar_t): how much of the clean sample x_t keeps.</summary>
    public double A(int t) => Math.Sqrt(_alphaBar[t]);

    /// <summary>sqrt(1 - alpha_bar_t): how much noise x_t holds.</summary>
    public double B(int t) => Math.Sqrt(1.0 - _alphaBar[t]);
}
