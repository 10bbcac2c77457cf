using StreamFx.Onnx;

namespace StreamFx.ModelPack.Architecture;

/// <summary>
/// diffusers' UNet2DConditionModel with stabilityai/sd-turbo's unet/config.json: conv_in, sinusoidal time
/// projection (flip_sin_to_cos, freq_shift 0) and a two-layer SiLU time embedding; down blocks
/// CrossAttnDownBlock2D x 3 + DownBlock2D, each of 2 ResnetBlock2D (+ one Transformer2DModel per resnet with
/// linear projections), stride-2 conv downsamplers; UNetMidBlock2DCrossAttn; up blocks UpBlock2D +
/// CrossAttnUpBlock2D x 3 of 3 resnets over the skip concatenations, nearest 2x + conv upsamplers; GroupNorm,
/// SiLU, conv_out. Transformer blocks: LayerNorm, self-attention, LayerNorm, cross-attention over the text
/// states (1024 wide), LayerNorm, GEGLU feed-forward (4x). Random weights: the output is noise by construction.
/// </summary>
public static class SdTurboUNet
{
    public static OnnxModel Build(ArchitectureOptions o, out long parameters)
    {
        var shape = UnetShape.For(o);
        var a = new ArchitectureGraph("unet", o.Type, o.Seed, o.FusedAttention);
        var g = a.Graph;
        int[] w = shape.Widths;
        int c0 = w[0], temb = shape.TimeEmbeddingWidth, groups = shape.NormGroups;

        OnnxDim[] latent = ["batch", UnetShape.InChannels, "latent_height", "latent_width"];
        g.AddInput("sample", o.Type, latent);
        g.AddInput("timestep", o.Type, "batch");
        g.AddInput("encoder_hidden_states", o.Type, "batch", 77, ArchitectureOptions.CrossAttentionWidth);
        const string text = "encoder_hidden_states";

        // Time projection in float32 (timesteps up to 999 lose whole steps in float16), then the model's type.
        int half = c0 / 2;
        var frequencies = new float[half];
        for (int i = 0; i < half; i++) frequencies[i] = (float)Math.Exp(-Math.Log(10000) * i / half);
        string t = a.Op("Cast", ["timestep"], OnnxAttribute.Int("to", (long)OnnxElementType.Float));
        string angles = a.Op("Mul", [a.Op("Unsqueeze", [t, a.Int64s("axis1", 1)]), g.AddInitializer(OnnxTensor.FromFloat("time_proj.frequencies", frequencies, 1, half))]);
        string projected = a.Op("Concat", [a.Op("Cos", [angles]), a.Op("Sin", [angles])], OnnxAttribute.Int("axis", -1));
        if (o.Type != OnnxElementType.Float) projected = a.Op("Cast", [projected], OnnxAttribute.Int("to", (long)o.Type));
        string embedding = a.Linear(projected, "time_embedding.linear_1", c0, temb);
        embedding = a.Linear(a.Silu(embedding), "time_embedding.linear_2", temb, temb);
        // Every resnet applies SiLU to the embedding before its own projection: computed once.
        string embeddingAct = a.Silu(embedding);

        string Resnet(string x, string name, int inC, int outC)
        {
            string h = a.Conv(a.Silu(a.GroupNorm(x, name + ".norm1", inC, groups, UnetShape.NormEpsilon)), name + ".conv1", inC, outC);
            string timeBias = a.Op("Unsqueeze", [a.Linear(embeddingAct, name + ".time_emb_proj", temb, outC), a.Int64s("axes23", 2, 3)]);
            h = a.Op("Add", [h, timeBias]);
            h = a.Conv(a.Silu(a.GroupNorm(h, name + ".norm2", outC, groups, UnetShape.NormEpsilon)), name + ".conv2", outC, outC, gain: 0.5);
            string shortcut = inC == outC ? x : a.Conv(x, name + ".conv_shortcut", inC, outC, kernel: 1);
            return a.Op("Add", [shortcut, h]);
        }

        string Transformer(string x, string name, int c, int heads)
        {
            string normed = a.GroupNorm(x, name + ".norm", c, groups, UnetShape.TransformerNormEpsilon);
            string nhwc = a.Op("Transpose", [normed], OnnxAttribute.Ints("perm", 0, 2, 3, 1));
            string tokens = a.Op("Reshape", [nhwc, a.Int64s("tokens_shape", 0, -1, c)]);
            string h = a.Linear(tokens, name + ".proj_in", c, c);
            string block = name + ".transformer_blocks.0";
            h = a.Op("Add", [h, a.Attention(a.LayerNorm(h, block + ".norm1", c), null, block + ".attn1", c, c, heads, qkvBias: false)]);
            h = a.Op("Add", [h, a.Attention(a.LayerNorm(h, block + ".norm2", c), text, block + ".attn2", c, ArchitectureOptions.CrossAttentionWidth, heads, qkvBias: false)]);
            string ff = a.Linear(a.LayerNorm(h, block + ".norm3", c), block + ".ff.net.0.proj", c, 8 * c);
            string hidden = a.Op("Slice", [ff, a.Int64s("geglu_start", 0), a.Int64s("geglu_end", 4L * c), a.Int64s("geglu_axis", -1)]);
            string gate = a.Op("Slice", [ff, a.Int64s("geglu_start", 4L * c), a.Int64s("geglu_end", 8L * c), a.Int64s("geglu_axis", -1)]);
            h = a.Op("Add", [h, a.Linear(a.Op("Mul", [hidden, a.Gelu(gate)]), block + ".ff.net.2", 4 * c, c)]);
            h = a.Linear(h, name + ".proj_out", c, c);
            string back = a.Op("Transpose", [a.Op("Reshape", [h, a.Op("Shape", [nhwc])])], OnnxAttribute.Ints("perm", 0, 3, 1, 2));
            return a.Op("Add", [back, x]);
        }

        string x = a.Conv("sample", "conv_in", UnetShape.InChannels, c0);
        var skips = new Stack<(string Value, int Channels)>();
        skips.Push((x, c0));
        int channels = c0;
        for (int i = 0; i < 4; i++)
        {
            for (int j = 0; j < UnetShape.LayersPerBlock; j++)
            {
                string name = $"down_blocks.{i}";
                x = Resnet(x, $"{name}.resnets.{j}", channels, w[i]);
                channels = w[i];
                if (UnetShape.DownAttention[i]) x = Transformer(x, $"{name}.attentions.{j}", w[i], shape.Heads[i]);
                skips.Push((x, channels));
            }

            if (i < 3)
            {
                x = a.Conv(x, $"down_blocks.{i}.downsamplers.0.conv", channels, channels, stride: 2);
                skips.Push((x, channels));
            }
        }

        x = Resnet(x, "mid_block.resnets.0", w[3], w[3]);
        x = Transformer(x, "mid_block.attentions.0", w[3], shape.Heads[3]);
        x = Resnet(x, "mid_block.resnets.1", w[3], w[3]);

        for (int i = 0; i < 4; i++)
        {
            int output = w[3 - i];
            int heads = shape.Heads[3 - i];
            for (int j = 0; j <= UnetShape.LayersPerBlock; j++)
            {
                var (skip, skipChannels) = skips.Pop();
                x = a.Op("Concat", [x, skip], OnnxAttribute.Int("axis", 1));
                x = Resnet(x, $"up_blocks.{i}.resnets.{j}", channels + skipChannels, output);
                channels = output;
                if (UnetShape.UpAttention[i]) x = Transformer(x, $"up_blocks.{i}.attentions.{j}", output, heads);
            }

            if (i < 3)
            {
                string up = a.Op("Resize", [x, string.Empty, g.AddInitializer(OnnxTensor.FromFloat(g.UniqueName("upsample_scales"), [1f, 1f, 2f, 2f], 4))], OnnxAttribute.String("mode", "nearest"));
                x = a.Conv(up, $"up_blocks.{i}.upsamplers.0.conv", channels, channels);
            }
        }

        x = a.Silu(a.GroupNorm(x, "conv_norm_out", c0, groups, UnetShape.NormEpsilon));
        // About unit spread, as a trained model's noise prediction has: the scheduler step then moves the latent as much.
        x = a.Conv(x, "conv_out", c0, UnetShape.OutChannels);
        g.AddNode("Identity", [x], ["out_sample"]);
        g.AddOutput("out_sample", o.Type, latent);
        parameters = a.ParameterCount;
        return ArchitecturePack.Describe(new OnnxModel(g), o, "unet", parameters);
    }
}
