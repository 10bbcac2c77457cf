using Microsoft.ML.OnnxRuntime.Tensors;

namespace StreamFx.Diffusion.Model;

/// <summary>The ONNX contracts of docs/models.md for one manifest (element types per model, as declared or derived).</summary>
public static class DiffusionContracts
{
    public const string InputIds = "input_ids";
    public const string LastHiddenState = "last_hidden_state";
    public const string Sample = "sample";
    public const string Timestep = "timestep";
    public const string TimestepCond = PublishedLayout.TimestepCond;
    public const string EncoderHiddenStates = "encoder_hidden_states";
    public const string OutSample = "out_sample";
    public const string LatentSample = "latent_sample";

    /// <summary>The UNet's floating type (the manifest's tensor_dtype for our packs).</summary>
    public static TensorElementType Float(DiffusionManifest m) => m.UnetFloatType;

    /// <summary>Channels of the VAE encoder's output: latent_parameters carries mean and log-variance.</summary>
    public static int EncoderOutputChannels(DiffusionManifest m) =>
        m.VaeEncoderOutput == PublishedLayout.LatentParameters ? 2 * m.LatentChannels : m.LatentChannels;

    public static (TensorContract[] Inputs, TensorContract[] Outputs) TextEncoder(DiffusionManifest m) => (
        [new(InputIds, m.InputIdsType, [-1, m.MaxLength])],
        [new(LastHiddenState, m.TextHiddenType, [-1, m.MaxLength, m.TextHiddenSize])]);

    public static (TensorContract[] Inputs, TensorContract[] Outputs) Unet(DiffusionManifest m)
    {
        var inputs = new List<TensorContract>
        {
            new(Sample, m.UnetFloatType, [-1, m.LatentChannels, -1, -1]),
            new(Timestep, m.UnetTimestepType, [-1]),
            new(EncoderHiddenStates, m.UnetFloatType, [-1, m.MaxLength, m.TextHiddenSize]),
        };
        if (m.TimestepCondWidth > 0) inputs.Add(new(TimestepCond, m.UnetFloatType, [-1, m.TimestepCondWidth]));
        return (inputs.ToArray(), [new(OutSample, m.UnetFloatType, [-1, m.LatentChannels, -1, -1])]);
    }

    public static (TensorContract[] Inputs, TensorContract[] Outputs) VaeEncoder(DiffusionManifest m) => (
        [new(Sample, m.VaeEncoderType, [-1, 3, -1, -1])],
        [new(m.VaeEncoderOutput, m.VaeEncoderType, [-1, EncoderOutputChannels(m), -1, -1])]);

    public static (TensorContract[] Inputs, TensorContract[] Outputs) VaeDecoder(DiffusionManifest m) => (
        [new(LatentSample, m.VaeDecoderType, [-1, m.LatentChannels, -1, -1])],
        [new(Sample, m.VaeDecoderType, [-1, 3, -1, -1])]);
}
