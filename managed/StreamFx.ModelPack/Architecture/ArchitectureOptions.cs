using StreamFx.Onnx;

namespace StreamFx.ModelPack.Architecture;

/// <summary>
/// What the architecture pack is built with: the published SD-Turbo / OpenCLIP ViT-H / TAESD shapes, widths
/// multiplied by <see cref="WidthScale"/> (1 = the real model), in one floating type, with seeded random weights.
/// </summary>
public sealed record ArchitectureOptions
{
    /// <summary>Head width of every attention in the UNet and the text encoder at scale 1 (320 / 5 heads = 64).</summary>
    public const int HeadWidth = 64;

    /// <summary>The text encoder's output width the UNet's cross-attention takes (unet/config.json cross_attention_dim).</summary>
    public const int CrossAttentionWidth = 1024;

    public double WidthScale { get; init; } = 1.0;

    public OnnxElementType Type { get; init; } = OnnxElementType.Float16;

    public ulong Seed { get; init; } = 1234;

    /// <summary>
    /// UNet attention as ONNX Runtime's fused com.microsoft MultiHeadAttention (as onnxruntime/sd-turbo's optimised
    /// export has it) instead of MatMul/Softmax/MatMul; same parameters. The text encoder keeps plain (masked) attention.
    /// </summary>
    public bool FusedAttention { get; init; }

    /// <summary>Image size the UNet's config.json sample_size states (the graph's spatial dims stay symbolic).</summary>
    public int Resolution { get; init; } = 512;

    /// <summary>Head width at this scale: 64 at 1, 8 at 0.125 (head counts stay as published).</summary>
    public int ScaledHeadWidth => Math.Max(1, (int)Math.Round(HeadWidth * WidthScale));

    public string TypeName => OnnxElementTypeInfo.Name(Type);

    public void Validate()
    {
        // The time projection splits the first width (5 heads x head width) into cos and sin halves: it must be even.
        if (!(WidthScale > 0 && WidthScale <= 1) || ScaledHeadWidth % 2 != 0)
            throw new ArgumentException($"width-scale: expected a number in (0, 1] whose head width round(64 x scale) is even (e.g. 1, 0.5, 0.25, 0.125), found {WidthScale}");
        if (Type is not (OnnxElementType.Float or OnnxElementType.Float16))
            throw new ArgumentException($"dtype: expected float32 or float16, found {OnnxElementTypeInfo.Name(Type)}");
        if (Resolution < 64 || Resolution > 2048 || Resolution % 64 != 0)
            throw new ArgumentException($"resolution: expected a multiple of 64 from 64 to 2048, found {Resolution}");
    }
}
