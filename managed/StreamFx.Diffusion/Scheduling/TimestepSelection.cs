namespace StreamFx.Diffusion.Scheduling;

/// <summary>Maps the user-facing strength/steps controls to a t_index_list.</summary>
public static class TimestepSelection
{
    public const int MaxSteps = 4;
    public const int LastIndex = LcmScheduler.InferenceSteps - 1;

    /// <summary>
    /// strength 1 starts at index 0 (most noise, most change), strength 0 at index 49 (closest to
    /// the input). Further steps are spread evenly between the first index and 50, duplicates dropped.
    /// </summary>
    public static int[] FromStrength(double strength, int steps)
    {
        if (double.IsNaN(strength) || strength < 0 || strength > 1)
            throw new ArgumentOutOfRangeException(nameof(strength), strength, "strength must be in 0..1");
        if (steps < 1 || steps > MaxSteps)
            throw new ArgumentOutOfRangeException(nameof(steps), steps, $"steps must be in 1..{MaxSteps}");
        int first = (int)Math.Round((1.0 - strength) * LastIndex, MidpointRounding.AwayFromZero);
        var list = new List<int>(steps);
        for (int k = 0; k < steps; k++)
        {
            int index = first + k * (LastIndex + 1 - first) / steps;
            if (index > LastIndex) index = LastIndex;
            if (list.Count == 0 || list[^1] < index) list.Add(index);
        }
        return list.ToArray();
    }

    /// <summary>Checks an explicit t_index_list: 1..4 strictly increasing indices in 0..49.</summary>
    public static void Validate(ReadOnlySpan<int> tIndexList)
    {
        if (tIndexList.Length < 1 || tIndexList.Length > MaxSteps)
            throw new ArgumentException($"t_index_list must hold 1..{MaxSteps} indices, found {tIndexList.Length}");
        for (int i = 0; i < tIndexList.Length; i++)
        {
            if (tIndexList[i] < 0 || tIndexList[i] > LastIndex)
                throw new ArgumentException($"t_index_list[{i}] must be in 0..{LastIndex}, found {tIndexList[i]}");
            if (i > 0 && tIndexList[i] <= tIndexList[i - 1])
                throw new ArgumentException($"t_index_list must be strictly increasing, found {tIndexList[i - 1]} then {tIndexList[i]}");
        }
    }
}
