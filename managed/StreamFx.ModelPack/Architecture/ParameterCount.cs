namespace StreamFx.ModelPack.Architecture;

/// <summary>
/// Parameter counts the published configs imply, computed from the configs alone (not from the graphs), so a
/// test can hold the built graphs to them. At scale 1: UNet 865,910,724 (stabilityai/sd-turbo unet/config.json,
/// the SD 2.x UNet), text encoder 340,387,840 (text_encoder/config.json, CLIPTextModel), TAESD encoder
/// 1,222,532 and decoder 1,222,531 (madebyollin/taesd config.json; the same two figures its README's comparison
/// table gives).
/// </summary>
public static class ParameterCount
{
    public static long Unet(ArchitectureOptions o)
    {
        var shape = UnetShape.For(o);
        int[] w = shape.Widths;
        int c0 = w[0], temb = shape.TimeEmbeddingWidth, cross = ArchitectureOptions.CrossAttentionWidth;

        long Resnet(long i, long c) => (2 * i) + (i * c * 9) + c + (temb * c) + c + (2 * c) + (c * c * 9) + c + (i != c ? (i * c) + c : 0);

        // GroupNorm 2C; proj_in, proj_out C^2 + C each; three LayerNorms 6C; self-attention q, k, v C^2 each and
        // out C^2 + C; cross-attention q C^2, k and v cross x C each, out C^2 + C; GEGLU C x 8C + 8C; FF out 4C x C + C.
        long Transformer(long c) => (20 * c * c) + (21 * c) + (2L * cross * c);

        long n = (UnetShape.InChannels * c0 * 9) + c0;
        n += (c0 * (long)temb) + temb + ((long)temb * temb) + temb;
        for (int i = 0; i < 4; i++)
        {
            long input = i == 0 ? c0 : w[i - 1];
            n += Resnet(input, w[i]) + ((UnetShape.LayersPerBlock - 1) * Resnet(w[i], w[i]));
            if (UnetShape.DownAttention[i]) n += UnetShape.LayersPerBlock * Transformer(w[i]);
            if (i < 3) n += ((long)w[i] * w[i] * 9) + w[i];
        }

        n += (2 * Resnet(w[3], w[3])) + Transformer(w[3]);
        for (int i = 0; i < 4; i++)
        {
            long previous = i == 0 ? w[3] : w[3 - (i - 1)];
            long output = w[3 - i];
            long input = w[3 - Math.Min(i + 1, 3)];
            for (int j = 0; j <= UnetShape.LayersPerBlock; j++)
            {
                long skip = j == UnetShape.LayersPerBlock ? input : output;
                n += Resnet((j == 0 ? previous : output) + skip, output);
                if (UnetShape.UpAttention[i]) n += Transformer(output);
            }

            if (i < 3) n += (output * output * 9) + output;
        }

        return n + (2 * c0) + (c0 * UnetShape.OutChannels * 9) + UnetShape.OutChannels;
    }

    public static long TextEncoder(ArchitectureOptions o)
    {
        long d = TextShape.Width(o);
        long n = (TextShape.Vocabulary * d) + (TextShape.Positions * d);
        // Per layer: two LayerNorms 4d, q, k, v, out with biases 4(d^2 + d), MLP d x 4d + 4d and 4d x d + d.
        n += TextShape.Layers * ((12 * d * d) + (13 * d));
        n += 2 * d;
        // Below scale 1 the width is restored to the UNet's 1024 by one matrix (not in the published model).
        if (d != ArchitectureOptions.CrossAttentionWidth) n += d * ArchitectureOptions.CrossAttentionWidth;
        return n;
    }

    /// <summary>
    /// TAESD encoder from madebyollin/taesd's config.json: stage 0 conv(3, c) with bias, later stages a stride-2
    /// conv(c, c) without bias; num_encoder_blocks[i] Blocks of three 3x3 convs with bias; conv(c, 4) with bias.
    /// </summary>
    public static long TaesdEncoder()
    {
        long n = 0;
        for (int i = 0; i < TaesdShape.EncoderBlocks.Length; i++)
        {
            long c = TaesdShape.EncoderChannels[i];
            n += i == 0 ? Conv3x3(3, c, bias: true) : Conv3x3(c, c, bias: false);
            n += TaesdShape.EncoderBlocks[i] * TaesdBlock(c);
        }

        return n + Conv3x3(TaesdShape.EncoderChannels[^1], TaesdShape.LatentChannels, bias: true);
    }

    /// <summary>
    /// TAESD decoder from the same config: conv(4, c) with bias; per stage num_decoder_blocks[i] Blocks, then a conv
    /// without bias after each upsample, or conv(c, 3) with bias in the last stage (upsamples have no parameters).
    /// </summary>
    public static long TaesdDecoder()
    {
        int stages = TaesdShape.DecoderBlocks.Length;
        long n = Conv3x3(TaesdShape.LatentChannels, TaesdShape.DecoderChannels[0], bias: true);
        for (int i = 0; i < stages; i++)
        {
            long c = TaesdShape.DecoderChannels[i];
            n += TaesdShape.DecoderBlocks[i] * TaesdBlock(c);
            n += i < stages - 1 ? Conv3x3(c, c, bias: false) : Conv3x3(c, 3, bias: true);
        }

        return n;
    }

    private static long Conv3x3(long inChannels, long outChannels, bool bias) => (inChannels * outChannels * 9) + (bias ? outChannels : 0);

    /// <summary>AutoencoderTinyBlock with equal channels in and out: three 3x3 convs with bias, identity skip.</summary>
    private static long TaesdBlock(long c) => 3 * Conv3x3(c, c, bias: true);
}

/// <summary>The SD-Turbo UNet's published shape (stabilityai/sd-turbo unet/config.json) at a width scale.</summary>
public sealed record UnetShape(int[] Widths, int[] Heads, int TimeEmbeddingWidth, int NormGroups)
{
    public static readonly int[] PublishedWidths = [320, 640, 1280, 1280];

    /// <summary>diffusers calls these attention_head_dim [5, 10, 20, 20]; in SD 2.x they are head counts (64 wide each).</summary>
    public static readonly int[] PublishedHeads = [5, 10, 20, 20];

    public static readonly bool[] DownAttention = [true, true, true, false]; // CrossAttnDownBlock2D x 3, DownBlock2D
    public static readonly bool[] UpAttention = [false, true, true, true];   // UpBlock2D, CrossAttnUpBlock2D x 3
    public const int LayersPerBlock = 2;
    public const int InChannels = 4;
    public const int OutChannels = 4;
    public const int PublishedNormGroups = 32;
    public const float NormEpsilon = 1e-5f;
    public const float TransformerNormEpsilon = 1e-6f;

    public static UnetShape For(ArchitectureOptions o)
    {
        int hw = o.ScaledHeadWidth;
        int[] widths = PublishedHeads.Select(h => h * hw).ToArray();
        // Every channel count is a multiple of the first width: 32 groups at scale 1, fewer when narrower.
        int groups = (int)System.Numerics.BigInteger.GreatestCommonDivisor(PublishedNormGroups, widths[0]);
        return new UnetShape(widths, PublishedHeads, 4 * widths[0], groups);
    }
}

/// <summary>OpenCLIP ViT-H/14's text tower as SD 2.x uses it (text_encoder/config.json: CLIPTextModel, 23 of 24 layers).</summary>
public static class TextShape
{
    public const int Layers = 23;
    public const int Heads = 16;
    public const int Vocabulary = 49408;
    public const int Positions = 77;

    public static int Width(ArchitectureOptions o) => Heads * o.ScaledHeadWidth;
}

/// <summary>
/// TAESD's published config (madebyollin/taesd config.json, which holds diffusers AutoencoderTiny's defaults):
/// encoder/decoder_block_out_channels [64, 64, 64, 64], num_encoder_blocks [1, 3, 3, 3], num_decoder_blocks
/// [3, 3, 3, 1], latent_channels 4, upsampling_scaling_factor 2, upsample_fn "nearest", act_fn "relu",
/// scaling_factor 1.0, shift_factor 0.0.
/// </summary>
public static class TaesdShape
{
    public static readonly int[] EncoderChannels = [64, 64, 64, 64];
    public static readonly int[] DecoderChannels = [64, 64, 64, 64];
    public static readonly int[] EncoderBlocks = [1, 3, 3, 3];
    public static readonly int[] DecoderBlocks = [3, 3, 3, 1];
    public const int LatentChannels = 4;
    public const float UpsamplingScale = 2f;
}
