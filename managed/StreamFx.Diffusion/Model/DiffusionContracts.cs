using Microsoft.ML.OnnxRuntime.Tensors;

namespace StreamFx.Diffusion.Model;

/// <summary>The ONNX contracts of docs/models.md for one manifest.</summary>
public static class DiffusionContracts
{
    public const string InputIds = "input_ids";
    public const string LastHiddenState = "last_hidden_state";
    public const string Sample = "sample";
    public const string Timestep = "timestep";
    public const string EncoderHiddenStates = "encoder_hidden_states";
    public const string OutSample = "out_sample";
    public const string LatentSample = "latent_sample";

    public static TensorElementType Float(DiffusionManifest m) => m.TensorDtype == TensorDtype.Float16 ? TensorElementType.Float16 : TensorElementType.Float;

    public static (TensorContract[] Inputs, TensorContract[] Outputs) TextEncoder(DiffusionManifest m) => (
        [new(InputIds, m.InputIdsDtype == InputIdsDtype.Int32 ? TensorElementType.Int32 : TensorElementType.Int64, [-1, m.MaxLength])],
        [new(LastHiddenState, Float(m), [-1, m.MaxLength, m.TextHiddenSize])]);

    public static (TensorContract[] Inputs, TensorContract[] Outputs) Unet(DiffusionManifest m) => (
        [
            new(Sample, Float(m), [-1, m.LatentChannels, -1, -1]),
            new(Timestep, m.TimestepDtype == TimestepDtype.Float32 ? TensorElementType.Float : TensorElementType.Int64, [-1]),
            new(EncoderHiddenStates, Float(m), [-1, m.MaxLength, m.TextHiddenSize]),
        ],
        [new(OutSample, Float(m), [-1, m.LatentChannels, -1, -1])]);

    public static (TensorContract[] Inputs, TensorContract[] Outputs) VaeEncoder(DiffusionManifest m) => (
        [new(Sample, Float(m), [-1, 3, -1, -1])],
        [new(LatentSample, Float(m), [-1, m.LatentChannels, -1, -1])]);

    public static (TensorContract[] Inputs, TensorContract[] Outputs) VaeDecoder(DiffusionManifest m) => (
        [new(LatentSample, Float(m), [-1, m.LatentChannels, -1, -1])],
        [new(Sample, Float(m), [-1, 3, -1, -1])]);
}
