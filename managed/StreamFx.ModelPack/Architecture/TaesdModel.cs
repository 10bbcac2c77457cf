using StreamFx.Onnx;

namespace StreamFx.ModelPack.Architecture;

/// <summary>
/// TAESD's real layer stack (madebyollin/taesd, as diffusers' AutoencoderTiny exports it with images in [-1,1]).
/// Encoder: (x + 1) / 2, conv(3,64), Block, then three times a stride-2 conv without bias and 3 Blocks, conv(64,4).
/// Decoder: 3 tanh(z / 3), conv(4,64), ReLU, then three times 3 Blocks, nearest 2x upsample and a conv without
/// bias, then a Block and conv(64,3); output x 2 - 1. Block: conv, ReLU, conv, ReLU, conv, plus the input, ReLU.
/// Always 64 channels (the width scale leaves it: it is already small).
/// </summary>
public static class TaesdModel
{
    private const int C = TaesdShape.Channels;

    public static OnnxModel BuildEncoder(ArchitectureOptions o, out long parameters)
    {
        var a = new ArchitectureGraph("vae_encoder", o.Type, o.Seed);
        a.Graph.AddInput("sample", o.Type, "batch", 3, "height", "width");
        string x = a.Op("Mul", [a.Op("Add", ["sample", a.Scalar("one", 1f)]), a.Scalar("half", 0.5f)]);
        int layer = 0;
        x = a.Conv(x, $"encoder.layers.{layer++}", 3, C);
        x = Block(a, x, $"encoder.layers.{layer++}");
        for (int stage = 0; stage < 3; stage++)
        {
            x = a.Conv(x, $"encoder.layers.{layer++}", C, C, stride: 2, bias: false, gain: 0.7);
            for (int b = 0; b < TaesdShape.BlocksPerStage; b++) x = Block(a, x, $"encoder.layers.{layer++}");
        }

        x = a.Conv(x, $"encoder.layers.{layer}", C, TaesdShape.LatentChannels);
        a.Graph.AddNode("Identity", [x], ["latent_sample"]);
        a.Graph.AddOutput("latent_sample", o.Type, "batch", TaesdShape.LatentChannels, "latent_height", "latent_width");
        parameters = a.ParameterCount;
        return ArchitecturePack.Describe(new OnnxModel(a.Graph), o, "vae_encoder", parameters);
    }

    public static OnnxModel BuildDecoder(ArchitectureOptions o, out long parameters)
    {
        var a = new ArchitectureGraph("vae_decoder", o.Type, o.Seed);
        a.Graph.AddInput("latent_sample", o.Type, "batch", TaesdShape.LatentChannels, "latent_height", "latent_width");
        string x = a.Op("Mul", [a.Op("Tanh", [a.Op("Mul", ["latent_sample", a.Scalar("third", 1f / 3f)])]), a.Scalar("three", 3f)]);
        int layer = 0;
        x = a.Op("Relu", [a.Conv(x, $"decoder.layers.{layer++}", TaesdShape.LatentChannels, C)]);
        for (int stage = 0; stage < 3; stage++)
        {
            for (int b = 0; b < TaesdShape.BlocksPerStage; b++) x = Block(a, x, $"decoder.layers.{layer++}");
            string scales = a.Graph.AddInitializer(OnnxTensor.FromFloat(a.Graph.UniqueName("upsample_scales"), [1f, 1f, 2f, 2f], 4));
            x = a.Op("Resize", [x, string.Empty, scales], OnnxAttribute.String("mode", "nearest"));
            x = a.Conv(x, $"decoder.layers.{layer++}", C, C, bias: false, gain: 0.7);
        }

        x = Block(a, x, $"decoder.layers.{layer++}");
        x = a.Conv(x, $"decoder.layers.{layer}", C, 3, gain: 0.5);
        x = a.Op("Sub", [a.Op("Mul", [x, a.Scalar("two", 2f)]), a.Scalar("one", 1f)]);
        a.Graph.AddNode("Identity", [x], ["sample"]);
        a.Graph.AddOutput("sample", o.Type, "batch", 3, "height", "width");
        parameters = a.ParameterCount;
        return ArchitecturePack.Describe(new OnnxModel(a.Graph), o, "vae_decoder", parameters);
    }

    private static string Block(ArchitectureGraph a, string x, string name)
    {
        // Gains below He's sqrt 2 keep random activations bounded through the stacked residual blocks.
        string h = a.Op("Relu", [a.Conv(x, name + ".conv.0", C, C, gain: 0.7)]);
        h = a.Op("Relu", [a.Conv(h, name + ".conv.2", C, C, gain: 0.7)]);
        h = a.Conv(h, name + ".conv.4", C, C, gain: 0.5);
        return a.Op("Relu", [a.Op("Add", [h, x])]);
    }
}
