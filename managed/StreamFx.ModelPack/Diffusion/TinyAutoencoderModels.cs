using StreamFx.Onnx;

namespace StreamFx.ModelPack.Diffusion;

/// <summary>
/// The synthetic tiny autoencoder (stands in for TAESD). Encoder: 8x8 average pooling, then a fixed
/// 3 -> 4 channel projection with orthonormal columns (scaled so latents have roughly unit spread).
/// Decoder: its pseudo-inverse, then bilinear 8x upsampling. Smooth frames survive the round trip
/// (PSNR well above 30 dB); fine detail is lost, as with any 48x compression.
/// The "cost" variant adds the real TAESD layer stack (64-channel conv blocks, random weights) whose
/// final convolution has tiny weights, so timings are realistic and the round trip still holds.
/// </summary>
public static class TinyAutoencoderModels
{
    public const int ScaleFactor = 8;
    public const int LatentChannels = 4;

    /// <summary>Latent units per image unit (image in [-1,1]).</summary>
    private const float ProjectionScale = 2f;

    /// <summary>Output scale of the random TAESD stack in the cost variant: small enough to keep the round trip near-exact.</summary>
    private const double CostPathGain = 0.002;

    /// <summary>
    /// Rows = latent channels, columns = R, G, B: the first three columns of the Householder reflection
    /// I - 2vv^T with v = (1, -1, 1, -1)/2, which are orthonormal.
    /// </summary>
    public static float[,] Projection()
    {
        float[] v = [0.5f, -0.5f, 0.5f, -0.5f];
        var q = new float[LatentChannels, 3];
        for (int l = 0; l < LatentChannels; l++)
        {
            for (int c = 0; c < 3; c++)
            {
                q[l, c] = (l == c ? 1f : 0f) - (2f * v[l] * v[c]);
            }
        }

        return q;
    }

    public static OnnxModel BuildEncoder(PackOptions options)
    {
        var g = new OnnxGraphBuilder("vae_encoder");
        var weights = new GraphWeights(g, options);
        string x = weights.FloatInput("sample", "batch", 3, "height", "width");
        x = ToSignedRange(g, weights, x, options);

        string pooled = g.Op(
            "AveragePool",
            [x],
            OnnxAttribute.Ints("kernel_shape", ScaleFactor, ScaleFactor),
            OnnxAttribute.Ints("strides", ScaleFactor, ScaleFactor));
        float[,] q = Projection();
        var e = new float[LatentChannels * 3];
        for (int l = 0; l < LatentChannels; l++)
        {
            for (int c = 0; c < 3; c++)
            {
                e[(l * 3) + c] = ProjectionScale * q[l, c];
            }
        }

        var layers = new ConvLayers(weights, SeededRandom.For(options.Seed, "vae_encoder"));
        string latent = layers.Conv(pooled, e, null, LatentChannels, 3, 1);

        if (options.Variant == PackVariant.Cost)
        {
            // TAESD encoder: conv(3,64), Block; then three times: stride-2 conv (no bias) + 3 Blocks; conv(64,4).
            string h = layers.Conv(x, 3, 64);
            h = layers.TaesdBlock(h, 64);
            for (int stage = 0; stage < 3; stage++)
            {
                h = layers.Conv(h, 64, 64, stride: 2, bias: false, gain: 0.5);
                for (int block = 0; block < 3; block++)
                {
                    h = layers.TaesdBlock(h, 64);
                }
            }

            h = layers.Conv(h, 64, LatentChannels, gain: CostPathGain);
            latent = g.Op("Add", [latent, h]);
        }

        if (options.LatentScale != 1f)
        {
            // A full SD VAE's encoder gives the unscaled latent; the pipeline multiplies by the scale.
            latent = g.Op("Mul", [latent, weights.Constant("inverse_latent_scale", [1f / options.LatentScale])]);
        }

        if (options.SamplingEncoder)
        {
            // diffusers exports the encoder as encode(x).latent_dist.sample(): mean + std * N(0,1) drawn inside the
            // graph. A small fixed std and a seed keep runs repeatable within a session.
            string noise = g.Op(
                "RandomNormalLike",
                [latent],
                OnnxAttribute.Int("dtype", (long)OnnxElementType.Float),
                OnnxAttribute.Float("mean", 0f),
                OnnxAttribute.Float("scale", 0.01f),
                OnnxAttribute.Float("seed", 7f));
            latent = g.Op("Add", [latent, noise]);
        }

        weights.FloatOutput(latent, "latent_sample", "batch", LatentChannels, "latent_height", "latent_width");
        return Describe(new OnnxModel(g), options, "vae_encoder");
    }

    public static OnnxModel BuildDecoder(PackOptions options)
    {
        var g = new OnnxGraphBuilder("vae_decoder");
        var weights = new GraphWeights(g, options);
        string latent = weights.FloatInput("latent_sample", "batch", LatentChannels, "latent_height", "latent_width");
        if (options.LatentScale != 1f)
        {
            latent = g.Op("Mul", [latent, weights.Constant("latent_scale", [options.LatentScale])]);
        }

        float[,] q = Projection();
        var d = new float[3 * LatentChannels];
        for (int c = 0; c < 3; c++)
        {
            for (int l = 0; l < LatentChannels; l++)
            {
                d[(c * LatentChannels) + l] = q[l, c] / ProjectionScale;
            }
        }

        var layers = new ConvLayers(weights, SeededRandom.For(options.Seed, "vae_decoder"));
        string rgb = layers.Conv(latent, d, null, 3, LatentChannels, 1);
        string scales = weights.Constant("upsample_scales", [1f, 1f, ScaleFactor, ScaleFactor], 4);
        string image = g.Op(
            "Resize",
            [rgb, string.Empty, scales],
            OnnxAttribute.String("mode", "linear"),
            OnnxAttribute.String("coordinate_transformation_mode", "half_pixel"));

        if (options.Variant == PackVariant.Cost)
        {
            // TAESD decoder: Clamp (3 tanh(x/3)), conv(4,64), ReLU; three times: 3 Blocks, 2x upsample,
            // conv (no bias); then Block, conv(64,3).
            string three = weights.Constant("clamp_scale", [3f]);
            string third = weights.Constant("clamp_inverse", [1f / 3f]);
            string h = g.Op("Mul", [g.Op("Tanh", [g.Op("Mul", [latent, third])]), three]);
            h = layers.Relu(layers.Conv(h, LatentChannels, 64));
            for (int stage = 0; stage < 3; stage++)
            {
                for (int block = 0; block < 3; block++)
                {
                    h = layers.TaesdBlock(h, 64);
                }

                h = layers.UpsampleNearest(h, 2);
                h = layers.Conv(h, 64, 64, bias: false, gain: 0.5);
            }

            h = layers.TaesdBlock(h, 64);
            h = layers.Conv(h, 64, 3, gain: CostPathGain);
            image = g.Op("Add", [image, h]);
        }

        if (!options.ImageRangeSigned)
        {
            // [-1,1] -> [0,1]
            string half = weights.Constant("half", [0.5f]);
            image = g.Op("Add", [g.Op("Mul", [image, half]), half]);
        }

        weights.FloatOutput(image, "sample", "batch", 3, "height", "width");
        return Describe(new OnnxModel(g), options, "vae_decoder");
    }

    private static string ToSignedRange(OnnxGraphBuilder g, GraphWeights weights, string x, PackOptions options)
    {
        if (options.ImageRangeSigned)
        {
            return x;
        }

        string two = weights.Constant("two", [2f]);
        string one = weights.Constant("one", [1f]);
        return g.Op("Sub", [g.Op("Mul", [x, two]), one]);
    }

    internal static OnnxModel Describe(OnnxModel model, PackOptions options, string component) =>
        model.WithMetadata("streamfx.kind", ModelKinds.StreamDiffusion)
            .WithMetadata("streamfx.component", component)
            .WithMetadata("streamfx.family", options.FamilyName)
            .WithMetadata("streamfx.variant", options.VariantName)
            .WithMetadata("streamfx.synthetic", "true");
}
