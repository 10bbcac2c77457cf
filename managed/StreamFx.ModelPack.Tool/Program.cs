using StreamFx.ModelPack.ImageEffects;

namespace StreamFx.ModelPack.Tool;

public static class Program
{
    private const string Usage =
        """
        usage:
          streamfx-modelpack image-effect --effect identity|invert --out <folder>
          streamfx-modelpack pack --out <folder> [--family sd-turbo|sd15-lcm] [--resolution N]
                                  [--dtype float32|float16] [--timestep int64|float32|float16]
                                  [--input-ids int64|int32] [--image-range [-1,1]|[0,1]]
                                  [--seed S] [--variant default|cost]
                                  [--layout manifest|onnxruntime-sd-turbo|tensorstack|taesd|lcm-onnx]
                                  [--cuda-only true|false]
          streamfx-modelpack pack --variant architecture --out <folder> [--width-scale S]
                                  [--dtype float16|float32] [--resolution N] [--seed S]
                                  [--attention plain|fused]
          --layout other than manifest writes a published folder layout (no manifest.json) and fixes
          family, dtype, timestep, input-ids and image-range; --cuda-only true (onnxruntime-sd-turbo only)
          adds a float16 contrib op (BiasAdd) the CPU provider cannot run.
          --variant architecture writes the real SD-Turbo UNet, OpenCLIP ViT-H text encoder and TAESD
          graphs with seeded random weights (noise output, for timing) in the onnxruntime/sd-turbo layout;
          --width-scale (default 1) shrinks every width, e.g. 0.125 for CI; prints the parameter counts;
          --attention fused uses ONNX Runtime's com.microsoft MultiHeadAttention in the UNet.
        """;

    public static int Main(string[] args)
    {
        try
        {
            if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
            {
                Console.Out.WriteLine(Usage);
                return args.Length == 0 ? 2 : 0;
            }

            var options = CommandLine.Parse(args.AsSpan(1));
            return args[0] switch
            {
                "image-effect" => ImageEffectCommand.Run(options),
                "pack" => PackCommand.Run(options),
                _ => throw new CommandLineException($"unknown command '{args[0]}'"),
            };
        }
        catch (CommandLineException e)
        {
            Console.Error.WriteLine($"streamfx-modelpack: {e.Message}");
            Console.Error.WriteLine(Usage);
            return 2;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            Console.Error.WriteLine($"streamfx-modelpack: {e.Message}");
            return 1;
        }
    }
}
