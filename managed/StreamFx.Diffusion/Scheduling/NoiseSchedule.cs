namespace StreamFx.Diffusion.Scheduling;

/// <summary>
/// The training noise schedule of Stable Diffusion 1.x/2.x: "scaled linear" betas over 1000 steps,
/// the cumulative product alpha_bar, and the forward-noising coefficients a_t = sqrt(alpha_bar_t),
/// b_t = sqrt(1 - alpha_bar_t). Computed once in double precision.
/// </summary>
public sealed class NoiseSchedule
{
    public const double DefaultBetaStart = 0.00085;
    public const double DefaultBetaEnd = 0.012;
    public const int DefaultTrainSteps = 1000;

    private readonly double[] _alphaBar;

    private NoiseSchedule(double[] alphaBar, double betaStart, double betaEnd)
    {
        _alphaBar = alphaBar;
        BetaStart = betaStart;
        BetaEnd = betaEnd;
    }

    public int TrainSteps => _alphaBar.Length;
    public double BetaStart { get; }
    public double BetaEnd { get; }

    /// <summary>beta_i = (sqrt(start) + i/(N-1) * (sqrt(end) - sqrt(start)))^2.</summary>
    public static NoiseSchedule ScaledLinear(
        double betaStart = DefaultBetaStart, double betaEnd = DefaultBetaEnd, int trainSteps = DefaultTrainSteps)
    {
        if (trainSteps < 2)
            throw new ArgumentOutOfRangeException(nameof(trainSteps), trainSteps, "at least 2 training steps are needed");
        if (!(betaStart > 0 && betaEnd > betaStart && betaEnd < 1))
            throw new ArgumentOutOfRangeException(nameof(betaEnd), $"betas must satisfy 0 < start < end < 1, found start={betaStart}, end={betaEnd}");
        double s0 = Math.Sqrt(betaStart), s1 = Math.Sqrt(betaEnd);
        var alphaBar = new double[trainSteps];
        double product = 1.0;
        for (int i = 0; i < trainSteps; i++)
        {
            double root = s0 + (s1 - s0) * i / (trainSteps - 1);
            product *= 1.0 - root * root;
            alphaBar[i] = product;
        }
        return new NoiseSchedule(alphaBar, betaStart, betaEnd);
    }

    public double AlphaBar(int t)
    {
        if ((uint)t >= (uint)_alphaBar.Length)
            throw new ArgumentOutOfRangeException(nameof(t), t, $"timestep must be in 0..{_alphaBar.Length - 1}");
        return _alphaBar[t];
    }

    /// <summary>Signal coefficient a_t = sqrt(alpha_bar_t).</summary>
    public double SignalScale(int t) => Math.Sqrt(AlphaBar(t));

    /// <summary>Noise coefficient b_t = sqrt(1 - alpha_bar_t).</summary>
    public double NoiseScale(int t) => Math.Sqrt(1.0 - AlphaBar(t));
}
