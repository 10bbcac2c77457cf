using ScottPlot;

namespace StreamFx.Benchmarks.Plotting;

// The report's three chart kinds drawn with ScottPlot (real axes, tick labels and fonts; PNG through SkiaSharp).

/// <summary>A named set of values for one curve or bar group.</summary>
public sealed record Series(string Label, double[] Values);

/// <summary>One horizontal bar made of stacked segments (values in the chart's unit).</summary>
public sealed record Bar(string Label, double[] Segments);

/// <summary>The three chart kinds the report draws: CDF curves, integer histograms, stacked bars.</summary>
public static class Charts
{
    private const int W = 960, H = 540, BarRowHeight = 34, BarChartMargin = 140;

    // Kept from the hand-drawn plots so the figures in docs/benchmarks.md keep their colours per series.
    private static readonly Color[] Palette =
        new[] { "#1F77B4", "#D62728", "#2CA02C", "#FF7F0E", "#9467BD", "#8C564B", "#17BECF", "#7F7F7F" }.Select(Color.FromHex).ToArray();

    /// <summary>Cumulative distribution of each series; x runs to the largest p99.9 (the tail past it is clipped).</summary>
    public static void Cdf(string path, string title, string xLabel, IReadOnlyList<Series> series)
    {
        Plot plot = Frame(title, xLabel, "fraction of frames");
        double xMax = NiceCeiling(series.Where(s => s.Values.Length > 0).Select(s => Statistics.Percentile(s.Values, 99.9)).DefaultIfEmpty(1).Max());
        for (int i = 0; i < series.Count; i++)
        {
            double[] sorted = series[i].Values.Order().ToArray();
            if (sorted.Length == 0) continue;

            // A step from (0, 0): y jumps to k/n at the k-th smallest sample.
            double[] xs = new double[sorted.Length + 1], ys = new double[sorted.Length + 1];
            for (int k = 0; k < sorted.Length; k++)
            {
                xs[k + 1] = Math.Min(sorted[k], xMax);
                ys[k + 1] = (k + 1.0) / sorted.Length;
            }

            var line = plot.Add.ScatterLine(xs, ys, Palette[i % Palette.Length]);
            line.ConnectStyle = ConnectStyle.StepHorizontal;
            line.LineWidth = 2;
            line.LegendText = series[i].Label;
        }

        plot.Axes.SetLimits(0, xMax, 0, 1);
        // Bottom right: CDF curves rise to the top left, so the legend covers least there.
        plot.ShowLegend(Alignment.LowerRight);
        plot.SavePng(path, W, H);
    }

    /// <summary>Share of samples at each integer value 0..max (the last bin holds everything above), one bar per series in each group.</summary>
    public static void Histogram(string path, string title, string xLabel, IReadOnlyList<Series> series)
    {
        Plot plot = Frame(title, xLabel, "fraction of frames");
        int max = (int)Math.Max(1, series.SelectMany(s => s.Values).DefaultIfEmpty(1).Max());
        max = Math.Min(max, 40);
        double barWidth = 0.8 / Math.Max(1, series.Count);
        for (int i = 0; i < series.Count; i++)
        {
            double[] v = series[i].Values;
            if (v.Length == 0) continue;
            var bars = new List<ScottPlot.Bar>();
            for (int value = 0; value <= max; value++)
            {
                double share = v.Count(x => value == max ? x >= max : (int)x == value) / (double)v.Length;
                bars.Add(new ScottPlot.Bar
                {
                    Position = value - 0.4 + (i + 0.5) * barWidth,
                    Value = share,
                    Size = barWidth * 0.95,
                    FillColor = Palette[i % Palette.Length],
                    LineWidth = 0,
                });
            }

            plot.Add.Bars(bars).LegendText = series[i].Label;
        }

        // Whole frames only: a tick every frame, or every few when there are many.
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericFixedInterval(Math.Max(1, Math.Ceiling(max / 20.0)));
        plot.Axes.SetLimits(-0.5, max + 0.5, 0, 1);
        plot.ShowLegend(Alignment.UpperRight);
        plot.SavePng(path, W, H);
    }

    /// <summary>Horizontal bars, top to bottom in list order, each a stack of segments named by <paramref name="segmentNames"/>.</summary>
    public static void StackedBars(string path, string title, string xLabel, IReadOnlyList<Bar> bars, string[] segmentNames)
    {
        Plot plot = Frame(title, xLabel, null);
        var drawn = new List<ScottPlot.Bar>();
        var ticks = new List<Tick>();
        for (int b = 0; b < bars.Count; b++)
        {
            double y = bars.Count - 1 - b, start = 0;
            ticks.Add(Tick.Major(y, bars[b].Label));
            for (int s = 0; s < bars[b].Segments.Length; s++)
            {
                double end = start + bars[b].Segments[s];
                drawn.Add(new ScottPlot.Bar { Position = y, ValueBase = start, Value = end, Size = 0.7, FillColor = Palette[s % Palette.Length], LineWidth = 0 });
                start = end;
            }
        }

        var barPlot = plot.Add.Bars(drawn);
        barPlot.Horizontal = true;
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks.ToArray());
        plot.Axes.Left.MajorTickStyle.Length = 0;
        double xMax = NiceCeiling(bars.Select(b => b.Segments.Sum()).DefaultIfEmpty(1).Max());
        plot.Axes.SetLimits(0, xMax, -0.5, bars.Count - 0.5);
        if (segmentNames.Length > 1)
        {
            for (int s = 0; s < segmentNames.Length; s++)
                plot.Legend.ManualItems.Add(new LegendItem { LabelText = segmentNames[s], FillColor = Palette[s % Palette.Length] });
            // Beside the plot: a bar may run to the right edge anywhere in the stack.
            plot.ShowLegend(Edge.Right);
        }

        plot.SavePng(path, W, Math.Max(H, BarChartMargin + bars.Count * BarRowHeight));
    }

    private static Plot Frame(string title, string xLabel, string? yLabel)
    {
        var plot = new Plot();
        plot.Title(title);
        plot.XLabel(xLabel);
        if (yLabel is not null) plot.YLabel(yLabel);
        return plot;
    }

    /// <summary>The smallest of 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 times a power of ten at or above <paramref name="v"/>.</summary>
    public static double NiceCeiling(double v)
    {
        if (v <= 0 || double.IsNaN(v)) return 1;
        double p = Math.Pow(10, Math.Floor(Math.Log10(v)));
        foreach (double m in new[] { 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0 })
            if (m * p >= v) return m * p;
        return 10 * p;
    }
}
