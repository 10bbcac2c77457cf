using System.Numerics.Tensors;

namespace StreamFx.Diffusion.Scheduling;

/// <summary>
/// Latent-consistency scheduler as StreamDiffusion uses it: 50 inference steps over 50 "original" steps,
/// timesteps selected by index (t_index_list), and the consistency boundary condition
/// (sigma_data 0.5, timestep scaling 10).
/// </summary>
public sealed class LcmScheduler
{
    public const double SigmaData = 0.5;
    public const double TimestepScaling = 10.0;
    public const int InferenceSteps = 50;

    private readonly int[] _timesteps;

    public LcmScheduler(NoiseSchedule schedule, int originalSteps = 50)
    {
        Schedule = schedule;
        if (originalSteps < InferenceSteps || schedule.TrainSteps % originalSteps != 0)
            throw new ArgumentOutOfRangeException(nameof(originalSteps), originalSteps,
                $"original steps must divide {schedule.TrainSteps} and be at least {InferenceSteps}");
        // Original-schedule timesteps are (k+1)*c - 1 (c = train/original), taken newest first,
        // every (original/inference)-th one.
        int c = schedule.TrainSteps / originalSteps;
        int skip = originalSteps / InferenceSteps;
        _timesteps = new int[InferenceSteps];
        for (int i = 0; i < InferenceSteps; i++)
            _timesteps[i] = (originalSteps - i * skip) * c - 1;
    }

    public NoiseSchedule Schedule { get; }

    public ReadOnlySpan<int> Timesteps => _timesteps;

    public int TimestepAt(int index)
    {
        if ((uint)index >= (uint)_timesteps.Length)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"t_index must be in 0..{_timesteps.Length - 1}");
        return _timesteps[index];
    }

    public static double CSkip(int timestep)
    {
        double s = TimestepScaling * timestep;
        return SigmaData * SigmaData / (s * s + SigmaData * SigmaData);
    }

    public static double COut(int timestep)
    {
        double s = TimestepScaling * timestep;
        return s / Math.Sqrt(s * s + SigmaData * SigmaData);
    }

    public StepConstants ConstantsAt(int timestep) => new(
        timestep,
        (float)Schedule.SignalScale(timestep),
        (float)Schedule.NoiseScale(timestep),
        (float)CSkip(timestep),
        (float)COut(timestep));

    public StepConstants ConstantsForIndex(int index) => ConstantsAt(TimestepAt(index));

    /// <summary>
    /// One LCM step: x0_hat = c_out * (x_t - b_t * eps) / a_t + c_skip * x_t, written to
    /// <paramref name="x0"/> (which may be the same span as either input).
    /// </summary>
    public static void Step(ReadOnlySpan<float> xt, ReadOnlySpan<float> eps, in StepConstants k, Span<float> x0)
    {
        if (eps.Length != xt.Length || x0.Length != xt.Length)
            throw new ArgumentException($"LCM step needs equal lengths: x_t {xt.Length}, eps {eps.Length}, x0 {x0.Length}");
        float p = k.SampleCoefficient, q = k.NoiseCoefficient;
        if (x0.Overlaps(eps))
        {
            // x0 aliases eps: scale eps first, then add the x_t term.
            TensorPrimitives.Multiply(eps, q, x0);
            TensorPrimitives.MultiplyAdd(xt, p, x0, x0);
        }
        else
        {
            TensorPrimitives.Multiply(xt, p, x0);
            TensorPrimitives.MultiplyAdd(eps, q, x0, x0);
        }
    }
}
