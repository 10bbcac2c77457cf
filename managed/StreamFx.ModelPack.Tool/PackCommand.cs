using System.Diagnostics;
using System.Globalization;
using StreamFx.ModelPack.Architecture;
using StreamFx.ModelPack.Diffusion;
using StreamFx.Onnx;

namespace StreamFx.ModelPack.Tool;

public static class PackCommand
{
    public static int Run(CommandLine options)
    {
        string folder = options.Required("out");
        if (options.Optional("variant") == "architecture")
        {
            return RunArchitecture(options, folder);
        }

        PackOptions pack;
        PackLayout layout;
        try
        {
            layout = PublishedLayoutPack.Parse(options.Optional("layout") ?? "manifest");
            if (layout is not PackLayout.Manifest)
            {
                // A published layout fixes these: its files must look exactly like the download.
                foreach (string fixedByLayout in new[] { "family", "dtype", "timestep", "input-ids", "image-range" })
                {
                    if (options.Optional(fixedByLayout) is not null)
                    {
                        throw new ArgumentException($"--{fixedByLayout}: fixed by --layout {PublishedLayoutPack.Name(layout)}; leave it out");
                    }
                }
            }

            bool cudaOnly = (options.Optional("cuda-only") ?? "false") switch
            {
                "true" => true,
                "false" => false,
                string other => throw new ArgumentException($"--cuda-only: expected true or false, found '{other}'"),
            };
            pack = new PackOptions
            {
                Family = PackOptions.ParseFamily(options.Optional("family") ?? "sd-turbo"),
                Resolution = options.Int("resolution", 512),
                TensorType = PackOptions.ParseElementType("--dtype", options.Optional("dtype") ?? "float32", OnnxElementType.Float, OnnxElementType.Float16),
                TimestepType = PackOptions.ParseElementType("--timestep", options.Optional("timestep") ?? "int64", OnnxElementType.Int64, OnnxElementType.Float, OnnxElementType.Float16),
                InputIdsType = PackOptions.ParseElementType("--input-ids", options.Optional("input-ids") ?? "int64", OnnxElementType.Int64, OnnxElementType.Int32),
                ImageRangeSigned = (options.Optional("image-range") ?? "[-1,1]") switch
                {
                    "[-1,1]" => true,
                    "[0,1]" => false,
                    string other => throw new ArgumentException($"--image-range: expected [-1,1] or [0,1], found '{other}'"),
                },
                Seed = ParseSeed(options.Optional("seed")),
                Variant = (options.Optional("variant") ?? "default") switch
                {
                    "default" => PackVariant.Default,
                    "cost" => PackVariant.Cost,
                    string other => throw new ArgumentException($"--variant: expected default, cost or architecture, found '{other}'"),
                },
                CudaOnly = cudaOnly,
            };
            options.RejectUnknown();
            pack = PublishedLayoutPack.OptionsFor(layout, pack);
            pack.Validate();
        }
        catch (ArgumentException e)
        {
            throw new CommandLineException(e.Message);
        }

        var clock = Stopwatch.StartNew();
        Console.Out.WriteLine($"writing {(layout == PackLayout.Manifest ? pack.Name : PublishedLayoutPack.Name(layout) + " layout")} to {Path.GetFullPath(folder)}");
        PublishedLayoutPack.Write(folder, layout, pack, Console.Out);
        Console.Out.WriteLine($"done in {clock.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s");
        return 0;
    }

    /// <summary>The architecture pack: real SD-Turbo / OpenCLIP / TAESD graphs, random weights, onnxruntime/sd-turbo layout.</summary>
    private static int RunArchitecture(CommandLine options, string folder)
    {
        ArchitectureOptions architecture;
        try
        {
            string scaleText = options.Optional("width-scale") ?? "1";
            if (!double.TryParse(scaleText, NumberStyles.Float, CultureInfo.InvariantCulture, out double scale))
            {
                throw new ArgumentException($"--width-scale: expected a number in (0, 1], found '{scaleText}'");
            }

            architecture = new ArchitectureOptions
            {
                WidthScale = scale,
                Type = PackOptions.ParseElementType("--dtype", options.Optional("dtype") ?? "float16", OnnxElementType.Float, OnnxElementType.Float16),
                Resolution = options.Int("resolution", 512),
                Seed = ParseSeed(options.Optional("seed")),
                FusedAttention = (options.Optional("attention") ?? "plain") switch
                {
                    "plain" => false,
                    "fused" => true,
                    string other => throw new ArgumentException($"--attention: expected plain or fused, found '{other}'"),
                },
            };
            options.RejectUnknown();
            architecture.Validate();
        }
        catch (ArgumentException e)
        {
            throw new CommandLineException(e.Message);
        }

        var clock = Stopwatch.StartNew();
        Console.Out.WriteLine($"writing the architecture pack (width scale {architecture.WidthScale.ToString(CultureInfo.InvariantCulture)}, {architecture.TypeName}, {(architecture.FusedAttention ? "fused" : "plain")} attention) to {Path.GetFullPath(folder)}");
        var reports = ArchitecturePack.Write(folder, architecture, Console.Out);
        foreach (var r in reports)
        {
            Console.Out.WriteLine($"parameters {r.Component}: {r.Parameters.ToString(CultureInfo.InvariantCulture)} (published config at this scale: {r.Expected.ToString(CultureInfo.InvariantCulture)})");
        }

        Console.Out.WriteLine($"done in {clock.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s");
        return 0;
    }

    private static ulong ParseSeed(string? text)
    {
        if (text is null)
        {
            return new PackOptions().Seed;
        }

        return ulong.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out ulong seed)
            ? seed
            : throw new ArgumentException($"--seed: expected a non-negative integer, found '{text}'");
    }
}
