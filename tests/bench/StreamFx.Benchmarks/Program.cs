namespace StreamFx.Benchmarks;

/// <summary>
/// streamfx-bench: the managed benchmarks and the report scripts/bench.sh writes.
///   prepost  --out DIR                               host pre/post-processing vs memcpy (BenchmarkDotNet)
///   pipeline --pack DIR --out DIR [--frames N] [--warmup N]   per-stage pipeline times on the CPU
///   report   --results DIR --docs DIR                docs/benchmarks.md and docs/img/bench-*.png
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length == 0) return Usage("a command is required");
        var options = new Dictionary<string, string>();
        for (int i = 1; i < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                return Usage($"expected --name value pairs, found '{args[i]}'");
            options[args[i][2..]] = args[i + 1];
        }
        try
        {
            return args[0] switch
            {
                "prepost" => FrameConversionCommand.Run(Required(options, "out")),
                "pipeline" => PipelineCommand.Run(Required(options, "pack"), Required(options, "out"),
                    Number(options, "frames", 20), Number(options, "warmup", 3)),
                "report" => ReportCommand.Run(Required(options, "results"), Required(options, "docs")),
                _ => Usage($"unknown command '{args[0]}'"),
            };
        }
        catch (ArgumentException e)
        {
            return Usage(e.Message);
        }
    }

    private static string Required(Dictionary<string, string> options, string name) =>
        options.TryGetValue(name, out string? v) ? v : throw new ArgumentException($"--{name} is required");

    private static int Number(Dictionary<string, string> options, string name, int fallback)
    {
        if (!options.TryGetValue(name, out string? text)) return fallback;
        return int.TryParse(text, out int v) && v > 0 ? v : throw new ArgumentException($"--{name}: expected a positive integer, found '{text}'");
    }

    private static int Usage(string why)
    {
        Console.Error.WriteLine($"streamfx-bench: {why}");
        Console.Error.WriteLine("usage: streamfx-bench prepost --out DIR | pipeline --pack DIR --out DIR [--frames N] [--warmup N] | report --results DIR --docs DIR");
        return 2;
    }
}
