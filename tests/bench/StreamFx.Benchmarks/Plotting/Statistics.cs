namespace StreamFx.Benchmarks.Plotting;

/// <summary>Order statistics over samples (nearest rank, as the C benchmarks print them).</summary>
public static class Statistics
{
    public static double Percentile(IReadOnlyList<double> values, double p)
    {
        if (values.Count == 0) return double.NaN;
        double[] sorted = values.Order().ToArray();
        int rank = (int)Math.Ceiling(p / 100.0 * sorted.Length);
        return sorted[Math.Clamp(rank, 1, sorted.Length) - 1];
    }

    public static double Max(IReadOnlyList<double> values) => values.Count == 0 ? double.NaN : values.Max();
}
