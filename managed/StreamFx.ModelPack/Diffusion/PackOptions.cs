using StreamFx.Onnx;

namespace StreamFx.ModelPack.Diffusion;

public enum ModelFamily
{
    /// <summary>SD 2.1 family (OpenCLIP text encoder, hidden size 1024, pads with "!" = 0).</summary>
    SdTurbo,

    /// <summary>SD 1.5 + LCM (CLIP ViT-L text encoder, hidden size 768, pads with EOS = 49407).</summary>
    Sd15Lcm,
}

public enum PackVariant
{
    /// <summary>Small, fast models with useful behaviour.</summary>
    Default,

    /// <summary>Like Default, plus the real TAESD layer shapes (random weights) in the autoencoder, for realistic CPU cost.</summary>
    Cost,
}

/// <summary>What the synthetic stream-diffusion pack generator produces (docs/models.md).</summary>
public sealed record PackOptions
{
    public ModelFamily Family { get; init; } = ModelFamily.SdTurbo;

    public int Resolution { get; init; } = 512;

    public OnnxElementType TensorType { get; init; } = OnnxElementType.Float;

    public OnnxElementType TimestepType { get; init; } = OnnxElementType.Int64;

    public OnnxElementType InputIdsType { get; init; } = OnnxElementType.Int64;

    /// <summary>True: autoencoder images in [-1,1] (diffusers AutoencoderTiny); false: [0,1] (raw TAESD).</summary>
    public bool ImageRangeSigned { get; init; } = true;

    public ulong Seed { get; init; } = 1234;

    public PackVariant Variant { get; init; } = PackVariant.Default;

    /// <summary>Type weights are stored in; null = <see cref="TensorType"/> (TensorStack keeps float32 I/O over float16 weights).</summary>
    public OnnxElementType? WeightType { get; init; }

    /// <summary>
    /// Latent scale of the autoencoder: 1.0 for TAESD; 0.18215 makes a "full SD VAE" whose encoder output is
    /// the unscaled latent (the pipeline multiplies by the scale) and whose decoder divides it back.
    /// </summary>
    public float LatentScale { get; init; } = 1f;

    /// <summary>The encoder draws latent_sample inside the graph (mean + a small seeded normal draw), as diffusers' VAE export does.</summary>
    public bool SamplingEncoder { get; init; }

    /// <summary>Width of the UNet's timestep_cond input (LCM guidance embedding); 0 = none.</summary>
    public int TimestepCondWidth { get; init; }

    /// <summary>The UNet adds a float16 com.microsoft BiasAdd, which only ONNX Runtime's CUDA provider implements (stands in for a float16 CUDA export).</summary>
    public bool CudaOnly { get; init; }

    public int TextHiddenSize => Family == ModelFamily.SdTurbo ? 1024 : 768;

    public int PadTokenId => Family == ModelFamily.SdTurbo ? 0 : ClipVocabularyIds.EndOfText;

    public string FamilyName => FamilyToName(Family);

    public string ImageRange => ImageRangeSigned ? "[-1,1]" : "[0,1]";

    public string VariantName => Variant == PackVariant.Cost ? "cost" : "default";

    public string Name => $"synthetic-{FamilyName}-{Resolution}" +
        (TensorType == OnnxElementType.Float16 ? "-fp16" : string.Empty) +
        (Variant == PackVariant.Cost ? "-cost" : string.Empty);

    /// <summary>Checks the combination; the message names the option and the accepted values.</summary>
    public void Validate()
    {
        if (Resolution < 64 || Resolution > 2048 || Resolution % 64 != 0)
        {
            throw new ArgumentException($"resolution: expected a multiple of 64 from 64 to 2048, found {Resolution}");
        }

        if (TensorType is not (OnnxElementType.Float or OnnxElementType.Float16))
        {
            throw new ArgumentException($"dtype: expected float32 or float16, found {OnnxElementTypeInfo.Name(TensorType)}");
        }

        if (TimestepType is not (OnnxElementType.Int64 or OnnxElementType.Float or OnnxElementType.Float16))
        {
            throw new ArgumentException($"timestep: expected int64, float32 or float16, found {OnnxElementTypeInfo.Name(TimestepType)}");
        }

        if (WeightType is { } weights && weights is not (OnnxElementType.Float or OnnxElementType.Float16))
        {
            throw new ArgumentException($"weights: expected float32 or float16, found {OnnxElementTypeInfo.Name(weights)}");
        }

        if (!(LatentScale > 0))
        {
            throw new ArgumentException($"latent scale: expected a positive number, found {LatentScale}");
        }

        if (TimestepCondWidth is < 0 or > 4096)
        {
            throw new ArgumentException($"timestep_cond width: expected 0..4096, found {TimestepCondWidth}");
        }

        if (InputIdsType is not (OnnxElementType.Int64 or OnnxElementType.Int32))
        {
            throw new ArgumentException($"input-ids: expected int64 or int32, found {OnnxElementTypeInfo.Name(InputIdsType)}");
        }
    }

    public static string FamilyToName(ModelFamily family) => family switch
    {
        ModelFamily.SdTurbo => "sd-turbo",
        ModelFamily.Sd15Lcm => "sd15-lcm",
        _ => throw new ArgumentOutOfRangeException(nameof(family), family, null),
    };

    public static ModelFamily ParseFamily(string name) => name switch
    {
        "sd-turbo" => ModelFamily.SdTurbo,
        "sd15-lcm" => ModelFamily.Sd15Lcm,
        _ => throw new ArgumentException($"family: expected sd-turbo or sd15-lcm, found '{name}'"),
    };

    public static OnnxElementType ParseElementType(string option, string name, params OnnxElementType[] allowed)
    {
        foreach (OnnxElementType type in allowed)
        {
            if (OnnxElementTypeInfo.Name(type) == name)
            {
                return type;
            }
        }

        throw new ArgumentException(
            $"{option}: expected {string.Join(" or ", allowed.Select(OnnxElementTypeInfo.Name))}, found '{name}'");
    }
}

/// <summary>The CLIP special-token ids every SD tokenizer keeps.</summary>
public static class ClipVocabularyIds
{
    public const int StartOfText = 49406;
    public const int EndOfText = 49407;
    public const int VocabularySize = 49408;
    public const int MaxLength = 77;
}
