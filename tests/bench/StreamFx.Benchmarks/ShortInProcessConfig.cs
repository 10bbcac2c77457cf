using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using Perfolizer.Horology;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace StreamFx.Benchmarks;

/// <summary>
/// In-process (no generated project to build: the run stays inside scripts/bench.sh's time budget),
/// 10 iterations of about 100 ms each per case. Mean/median/percentiles come from BenchmarkDotNet's statistics.
/// </summary>
public sealed class ShortInProcessConfig : ManualConfig
{
    public ShortInProcessConfig()
    {
        AddJob(Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithLaunchCount(1)
            .WithWarmupCount(2)
            .WithIterationCount(10)
            .WithIterationTime(TimeInterval.FromMilliseconds(100))
            .WithId("short-inprocess"));
        AddLogger(NullLogger.Instance);
        WithOptions(ConfigOptions.DisableOptimizationsValidator);
    }
}
