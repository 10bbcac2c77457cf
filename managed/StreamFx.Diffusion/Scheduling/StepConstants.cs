namespace StreamFx.Diffusion.Scheduling;

/// <summary>Everything one LCM step at timestep <see cref="Timestep"/> needs, computed once per configuration.</summary>
public readonly record struct StepConstants(int Timestep, float SignalScale, float NoiseScale, float CSkip, float COut)
{
    /// <summary>x0 = P * x_t + Q * eps (the LCM step folded into two coefficients).</summary>
    public float SampleCoefficient => (float)((double)COut / SignalScale + CSkip);

    /// <summary>See <see cref="SampleCoefficient"/>.</summary>
    public float NoiseCoefficient => (float)(-(double)COut * NoiseScale / SignalScale);
}
