using System.Globalization;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;

namespace StreamFx.Benchmarks;

/// <summary>Runs <see cref="FrameConversionBenchmarks"/> and writes one row per case to prepost.tsv.</summary>
public static class FrameConversionCommand
{
    public const string FileName = "prepost.tsv";

    public static int Run(string outDir)
    {
        Directory.CreateDirectory(outDir);
        var config = new ShortInProcessConfig().WithArtifactsPath(Path.Combine(outDir, "benchmarkdotnet"));
        var summary = BenchmarkRunner.Run<FrameConversionBenchmarks>(config);
        var rows = new List<string> { "method\tframe\tframe_bytes\tmean_ns\tmedian_ns\tstddev_ns\tp95_ns\tallocated_bytes" };
        foreach (var report in summary.Reports)
        {
            if (report.ResultStatistics is not { } stats)
            {
                Console.Error.WriteLine($"streamfx-bench: no result for {report.BenchmarkCase.DisplayInfo}");
                return 1;
            }
            string method = report.BenchmarkCase.Descriptor.WorkloadMethod.Name;
            string frame = (string)report.BenchmarkCase.Parameters["Frame"];
            var (w, h) = FrameConversionBenchmarks.ParseSize(frame);
            long allocated = report.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase) ?? -1;
            rows.Add(string.Join('\t', method, frame, (w * h * 4).ToString(CultureInfo.InvariantCulture),
                F(stats.Mean), F(stats.Median), F(stats.StandardDeviation), F(stats.Percentiles.P95),
                allocated.ToString(CultureInfo.InvariantCulture)));
        }
        File.WriteAllLines(Path.Combine(outDir, FileName), rows);
        Console.WriteLine($"streamfx-bench: {rows.Count - 1} cases written to {Path.Combine(outDir, FileName)}");
        return 0;
    }

    private static string F(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
}
