using StreamFx.Onnx;

namespace StreamFx.ModelPack.Architecture;

/// <summary>
/// TAESD as diffusers' AutoencoderTiny builds it from madebyollin/taesd's config.json (checked against diffusers
/// autoencoders/vae.py EncoderTiny/DecoderTiny, unets/unet_2d_blocks.py AutoencoderTinyBlock and
/// madebyollin/taesd's taesd.py), images in [-1,1]:
/// Encoder: (x + 1) / 2; per stage i a conv (stage 0: 3 to 64 with bias; later stages: stride 2 without bias),
/// then num_encoder_blocks[i] Blocks; a last conv to 4 latent channels.
/// Decoder: tanh(z / 3) * 3, conv(4, 64), ReLU; per stage i num_decoder_blocks[i] Blocks, then (not in the last
/// stage) a nearest 2x upsample and a conv without bias, in the last stage conv(64, 3) with bias; output x * 2 - 1.
/// Block: conv, ReLU, conv, ReLU, conv, plus the input (identity skip: channels in = out), ReLU. Every conv 3x3,
/// padding 1. Parameter names are the diffusers state-dict keys (the nn.Sequential index counts activations and
/// upsamples too). Always 64 channels (the width scale leaves it: it is already small).
/// </summary>
public static class TaesdModel
{
    public static OnnxModel BuildEncoder(ArchitectureOptions o, out long parameters)
    {
        var a = new ArchitectureGraph("vae_encoder", o.Type, o.Seed);
        a.Graph.AddInput("sample", o.Type, "batch", 3, "height", "width");
        string x = a.Op("Mul", [a.Op("Add", ["sample", a.Scalar("one", 1f)]), a.Scalar("half", 0.5f)]);
        int index = 0;
        for (int stage = 0; stage < TaesdShape.EncoderBlocks.Length; stage++)
        {
            int c = TaesdShape.EncoderChannels[stage];
            x = stage == 0
                ? a.Conv(x, $"encoder.layers.{index++}", 3, c)
                : a.Conv(x, $"encoder.layers.{index++}", c, c, stride: 2, bias: false, gain: 0.7);
            for (int b = 0; b < TaesdShape.EncoderBlocks[stage]; b++) x = Block(a, x, $"encoder.layers.{index++}", c);
        }

        x = a.Conv(x, $"encoder.layers.{index}", TaesdShape.EncoderChannels[^1], TaesdShape.LatentChannels);
        a.Graph.AddNode("Identity", [x], ["latent_sample"]);
        a.Graph.AddOutput("latent_sample", o.Type, "batch", TaesdShape.LatentChannels, "latent_height", "latent_width");
        parameters = a.ParameterCount;
        return ArchitecturePack.Describe(new OnnxModel(a.Graph), o, "vae_encoder", parameters);
    }

    public static OnnxModel BuildDecoder(ArchitectureOptions o, out long parameters)
    {
        var a = new ArchitectureGraph("vae_decoder", o.Type, o.Seed);
        a.Graph.AddInput("latent_sample", o.Type, "batch", TaesdShape.LatentChannels, "latent_height", "latent_width");
        // The clamp keeps latents in (-3, 3) whatever the UNet produced.
        string x = a.Op("Mul", [a.Op("Tanh", [a.Op("Mul", ["latent_sample", a.Scalar("third", 1f / 3f)])]), a.Scalar("three", 3f)]);
        int[] channels = TaesdShape.DecoderChannels;
        x = a.Op("Relu", [a.Conv(x, "decoder.layers.0", TaesdShape.LatentChannels, channels[0])]);
        int index = 2; // layers.1 is that ReLU
        string scales = a.Graph.AddInitializer(OnnxTensor.FromFloat(a.Graph.UniqueName("upsample_scales"),
            [1f, 1f, TaesdShape.UpsamplingScale, TaesdShape.UpsamplingScale], 4));
        for (int stage = 0; stage < TaesdShape.DecoderBlocks.Length; stage++)
        {
            int c = channels[stage];
            for (int b = 0; b < TaesdShape.DecoderBlocks[stage]; b++) x = Block(a, x, $"decoder.layers.{index++}", c);
            if (stage < TaesdShape.DecoderBlocks.Length - 1)
            {
                // torch's nn.Upsample "nearest": source index floor(destination / scale).
                x = a.Op("Resize", [x, string.Empty, scales], OnnxAttribute.String("mode", "nearest"),
                    OnnxAttribute.String("coordinate_transformation_mode", "asymmetric"), OnnxAttribute.String("nearest_mode", "floor"));
                index++;
                x = a.Conv(x, $"decoder.layers.{index++}", c, c, bias: false, gain: 0.7);
            }
            else
            {
                x = a.Conv(x, $"decoder.layers.{index++}", c, 3, gain: 0.5);
            }
        }

        x = a.Op("Sub", [a.Op("Mul", [x, a.Scalar("two", 2f)]), a.Scalar("one", 1f)]);
        a.Graph.AddNode("Identity", [x], ["sample"]);
        a.Graph.AddOutput("sample", o.Type, "batch", 3, "height", "width");
        parameters = a.ParameterCount;
        return ArchitecturePack.Describe(new OnnxModel(a.Graph), o, "vae_decoder", parameters);
    }

    private static string Block(ArchitectureGraph a, string x, string name, int c)
    {
        // Gains below He's sqrt 2 keep random activations bounded through the stacked residual blocks.
        string h = a.Op("Relu", [a.Conv(x, name + ".conv.0", c, c, gain: 0.7)]);
        h = a.Op("Relu", [a.Conv(h, name + ".conv.2", c, c, gain: 0.7)]);
        h = a.Conv(h, name + ".conv.4", c, c, gain: 0.5);
        return a.Op("Relu", [a.Op("Add", [h, x])]);
    }
}
