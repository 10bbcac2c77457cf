using System.Globalization;

namespace StreamFx.Benchmarks.Plotting;

/// <summary>A named set of values for one curve or bar group.</summary>
public sealed record Series(string Label, double[] Values);

/// <summary>One horizontal bar made of stacked segments (values in the chart's unit).</summary>
public sealed record Bar(string Label, double[] Segments);

/// <summary>The three chart kinds the report draws: CDF curves, integer histograms, stacked bars.</summary>
public static class Charts
{
    private const int W = 960, H = 540, Left = 90, Right = 30, Top = 64, Bottom = 70;
    private const uint Ink = 0x202020, Grid = 0xE0E0E0;
    public static readonly uint[] Palette = [0x1F77B4, 0xD62728, 0x2CA02C, 0xFF7F0E, 0x9467BD, 0x8C564B, 0x17BECF, 0x7F7F7F];

    /// <summary>Cumulative distribution of each series; x runs to the largest p99.9 (the tail past it is clipped).</summary>
    public static void Cdf(string path, string title, string xLabel, IReadOnlyList<Series> series)
    {
        var c = Frame(title);
        double xMax = NiceCeiling(series.Where(s => s.Values.Length > 0).Select(s => Statistics.Percentile(s.Values, 99.9)).DefaultIfEmpty(1).Max());
        Axes(c, 0, xMax, xLabel, 0, 1, "fraction of frames");
        for (int i = 0; i < series.Count; i++)
        {
            double[] sorted = series[i].Values.Order().ToArray();
            if (sorted.Length == 0) continue;
            uint color = Palette[i % Palette.Length];
            int px = X(0, xMax, 0), py = Y(0, 1, 0);
            for (int k = 0; k < sorted.Length; k++)
            {
                int nx = X(0, xMax, Math.Min(sorted[k], xMax)), ny = Y(0, 1, (k + 1.0) / sorted.Length);
                c.Line(px, py, nx, py, color, 2);
                c.Line(nx, py, nx, ny, color, 2);
                (px, py) = (nx, ny);
            }
        }
        // Bottom right: CDF curves rise to the top left, so the legend covers least there.
        Legend(c, series.Select(s => s.Label).ToArray(), bottom: true);
        c.Save(path);
    }

    /// <summary>Share of samples at each integer value 0..max, one bar per series in each group.</summary>
    public static void Histogram(string path, string title, string xLabel, IReadOnlyList<Series> series)
    {
        var c = Frame(title);
        int max = (int)Math.Max(1, series.SelectMany(s => s.Values).DefaultIfEmpty(1).Max());
        max = Math.Min(max, 40);
        Axes(c, -0.5, max + 0.5, xLabel, 0, 1, "fraction of frames", integerTicks: true);
        double groupWidth = (double)(W - Left - Right) / (max + 1);
        double barWidth = groupWidth * 0.8 / Math.Max(1, series.Count);
        for (int i = 0; i < series.Count; i++)
        {
            double[] v = series[i].Values;
            if (v.Length == 0) continue;
            for (int value = 0; value <= max; value++)
            {
                double share = v.Count(x => value == max ? x >= max : (int)x == value) / (double)v.Length;
                int x0 = Left + (int)(value * groupWidth + groupWidth * 0.1 + i * barWidth);
                int y0 = Y(0, 1, share);
                c.FillRect(x0, y0, Math.Max(1, (int)barWidth - 1), H - Bottom - y0, Palette[i % Palette.Length]);
            }
        }
        Legend(c, series.Select(s => s.Label).ToArray());
        c.Save(path);
    }

    /// <summary>Horizontal bars, each a stack of segments named by <paramref name="segmentNames"/>.</summary>
    public static void StackedBars(string path, string title, string xLabel, IReadOnlyList<Bar> bars, string[] segmentNames)
    {
        var c = new Canvas(W, Math.Max(H, Top + Bottom + bars.Count * 34));
        c.Text(Left, 16, title, Ink, 3);
        int height = c.Height;
        double xMax = NiceCeiling(bars.Select(b => b.Segments.Sum()).DefaultIfEmpty(1).Max());
        int labelWidth = bars.Select(b => PixelFont.Measure(b.Label, 2)).DefaultIfEmpty(0).Max() + 10;
        int left = Math.Max(Left, labelWidth + 10), plotW = W - left - Right;
        for (int t = 0; t <= 5; t++)
        {
            double v = xMax * t / 5;
            int x = left + (int)(plotW * t / 5.0);
            c.Line(x, Top, x, height - Bottom, Grid);
            string label = Format(v);
            c.Text(x - PixelFont.Measure(label, 2) / 2, height - Bottom + 8, label, Ink);
        }
        c.Text(left + plotW / 2 - PixelFont.Measure(xLabel, 2) / 2, height - Bottom + 30, xLabel, Ink);
        double rowH = (double)(height - Top - Bottom) / Math.Max(1, bars.Count);
        for (int b = 0; b < bars.Count; b++)
        {
            int y = Top + (int)(b * rowH + rowH * 0.15), h = Math.Max(2, (int)(rowH * 0.7));
            c.Text(left - 8 - PixelFont.Measure(bars[b].Label, 2), y + h / 2 - 5, bars[b].Label, Ink);
            double start = 0;
            for (int s = 0; s < bars[b].Segments.Length; s++)
            {
                int x0 = left + (int)(plotW * start / xMax), x1 = left + (int)(plotW * (start + bars[b].Segments[s]) / xMax);
                c.FillRect(x0, y, Math.Max(1, x1 - x0), h, Palette[s % Palette.Length]);
                start += bars[b].Segments[s];
            }
        }
        c.Line(left, height - Bottom, W - Right, height - Bottom, Ink);
        c.Line(left, Top, left, height - Bottom, Ink);
        if (segmentNames.Length > 1) Legend(c, segmentNames);
        c.Save(path);
    }

    private static Canvas Frame(string title)
    {
        var c = new Canvas(W, H);
        c.Text(Left, 16, title, Ink, 3);
        return c;
    }

    private static int X(double min, double max, double v) => Left + (int)Math.Round((W - Left - Right) * (v - min) / (max - min));
    private static int Y(double min, double max, double v) => H - Bottom - (int)Math.Round((H - Top - Bottom) * (v - min) / (max - min));

    private static void Axes(Canvas c, double xMin, double xMax, string xLabel, double yMin, double yMax, string yLabel, bool integerTicks = false)
    {
        int ticks = integerTicks ? (int)Math.Round(xMax - xMin - 1) : 5;
        int step = integerTicks ? Math.Max(1, (int)Math.Ceiling(ticks / 20.0)) : 1;
        for (int t = 0; t <= ticks; t += step)
        {
            double v = integerTicks ? t : xMin + (xMax - xMin) * t / ticks;
            int x = X(xMin, xMax, v);
            if (!integerTicks) c.Line(x, Top, x, H - Bottom, Grid);
            string label = Format(v);
            c.Text(x - PixelFont.Measure(label, 2) / 2, H - Bottom + 8, label, Ink);
        }
        for (int t = 0; t <= 4; t++)
        {
            double v = yMin + (yMax - yMin) * t / 4;
            int y = Y(yMin, yMax, v);
            c.Line(Left, y, W - Right, y, Grid);
            string label = Format(v);
            c.Text(Left - 8 - PixelFont.Measure(label, 2), y - 5, label, Ink);
        }
        c.Line(Left, H - Bottom, W - Right, H - Bottom, Ink);
        c.Line(Left, Top, Left, H - Bottom, Ink);
        c.Text(Left + (W - Left - Right) / 2 - PixelFont.Measure(xLabel, 2) / 2, H - Bottom + 30, xLabel, Ink);
        c.Text(8, Top - 18, yLabel, Ink);
    }

    private static void Legend(Canvas c, string[] labels, bool bottom = false)
    {
        int width = labels.Select(l => PixelFont.Measure(l, 2)).DefaultIfEmpty(0).Max() + 34;
        int x = c.Width - Right - width, y = bottom ? c.Height - Bottom - labels.Length * 18 - 8 : Top + 8;
        c.FillRect(x - 6, y - 6, width + 6, labels.Length * 18 + 8, 0xFFFFFF);
        for (int i = 0; i < labels.Length; i++)
        {
            c.FillRect(x, y + i * 18, 20, 10, Palette[i % Palette.Length]);
            c.Text(x + 28, y + i * 18, labels[i], Ink);
        }
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

    private static string Format(double v) =>
        v == Math.Floor(v) ? v.ToString("0", CultureInfo.InvariantCulture)
        : Math.Abs(v) >= 10 ? v.ToString("0.#", CultureInfo.InvariantCulture) : v.ToString("0.##", CultureInfo.InvariantCulture);
}
