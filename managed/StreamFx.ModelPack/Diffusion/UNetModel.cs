using StreamFx.Onnx;

namespace StreamFx.ModelPack.Diffusion;

/// <summary>
/// Synthetic epsilon-predicting UNet that knows the noise schedule. With A(t), B(t) looked up from
/// 1000-entry tables (Gather on the timestep), it estimates the clean latent z = x_t / A(t), denoises
/// it with a blur weighted by the noise ratio (B/A)^2 / ((B/A)^2 + s^2), applies a smooth
/// text-dependent transform T (per-channel gain and bias, a channel rotation and a FiLM-modulated
/// conv residual, all driven by sines of a projection of the prompt embedding) and returns
/// eps = (x_t - A(t) T(z)) / B(t). A scheduler step therefore recovers x0 = T(z): a visible, smooth
/// transform of the input that changes with the prompt and is identical for identical inputs.
/// </summary>
public static class UNetModel
{
    private const int Channels = TinyAutoencoderModels.LatentChannels;
    private const int HiddenChannels = 16;
    private const int Tokens = ClipVocabularyIds.MaxLength;

    /// <summary>Noise-to-signal ratio at which the blur takes half the weight.</summary>
    private const double BlurKnee = 0.35;

    /// <summary>
    /// Spread of the prompt projection: one changed token moves the conditioning phases by about a radian.
    /// </summary>
    private const double ConditionGain = 1.5;

    // Split of the conditioning vector: gain, bias, channel mix (4x4), FiLM scale, FiLM shift.
    private static readonly long[] ConditionSplit = [Channels, Channels, Channels * Channels, HiddenChannels, HiddenChannels];

    public static OnnxModel Build(PackOptions options)
    {
        int h = options.TextHiddenSize;
        var random = SeededRandom.For(options.Seed, "unet/" + options.FamilyName);
        var schedule = new NoiseSchedule();
        var g = new OnnxGraphBuilder("unet");
        var weights = new GraphWeights(g, options.TensorType);
        var layers = new ConvLayers(weights, random);

        OnnxDim[] latentShape = ["batch", Channels, "latent_height", "latent_width"];
        string x = weights.FloatInput("sample", latentShape);
        g.AddInput("timestep", options.TimestepType, "batch");
        string text = weights.FloatInput("encoder_hidden_states", "batch", Tokens, h);

        // Timestep -> table index in 0..999.
        string t = "timestep";
        if (options.TimestepType != OnnxElementType.Int64)
        {
            t = g.Op("Cast", [g.Op("Round", [t])], OnnxAttribute.Int("to", (long)OnnxElementType.Int64));
        }

        t = g.Op("Min", [g.Op("Max", [t, weights.Int64s("t_min", 0)]), weights.Int64s("t_max", schedule.TrainSteps - 1)]);
        var aTable = new float[schedule.TrainSteps];
        var bTable = new float[schedule.TrainSteps];
        for (int i = 0; i < schedule.TrainSteps; i++)
        {
            aTable[i] = (float)schedule.A(i);
            bTable[i] = (float)schedule.B(i);
        }

        string axes123 = weights.Int64s("axes_1_2_3", 1, 2, 3);
        string a = g.Op("Unsqueeze", [g.Op("Gather", [weights.Constant("sqrt_alpha_bar", aTable, aTable.Length), t], OnnxAttribute.Int("axis", 0)), axes123]);
        string b = g.Op("Unsqueeze", [g.Op("Gather", [weights.Constant("sqrt_one_minus_alpha_bar", bTable, bTable.Length), t], OnnxAttribute.Int("axis", 0)), axes123]);

        // Clean-latent estimate and noise-aware denoising.
        string z = g.Op("Div", [x, a]);
        string ratio = g.Op("Div", [b, a]);
        string ratio2 = g.Op("Mul", [ratio, ratio]);
        string blurWeight = g.Op("Div", [ratio2, g.Op("Add", [ratio2, weights.Constant("blur_knee2", [(float)(BlurKnee * BlurKnee)])])]);
        string blurred = layers.Conv(z, GaussianKernel(Channels, 5, 1.2), null, Channels, Channels, 5, group: Channels);
        string denoised = g.Op("Add", [z, g.Op("Mul", [blurWeight, g.Op("Sub", [blurred, z])])]);

        // Prompt conditioning: mean hidden state minus the last (padding) position, which removes what
        // all short prompts share, projected and mapped into the transform's parameters.
        string mean = g.Op("ReduceMean", [text], OnnxAttribute.Ints("axes", 1), OnnxAttribute.Int("keepdims", 0));
        string lastPosition = g.Op("Gather", [text, g.AddInitializer(OnnxTensor.FromInt64("last_position", [Tokens - 1L]))], OnnxAttribute.Int("axis", 1));
        string pooled = g.Op("Sub", [mean, lastPosition]);
        int conditionSize = (int)ConditionSplit.Sum();
        string projection = weights.Weight("condition.weight", ConditionWeights(random, h, conditionSize), h, conditionSize);
        // Sine rather than tanh: what all prompts share cannot saturate it, so every token change shows.
        string condition = g.Op("Sin", [g.Op("MatMul", [pooled, projection])]);
        string[] parts = [g.UniqueName("gain"), g.UniqueName("bias"), g.UniqueName("mix"), g.UniqueName("film_scale"), g.UniqueName("film_shift")];
        g.AddNode("Split", [condition, g.AddInitializer(OnnxTensor.FromInt64("condition_split", ConditionSplit, ConditionSplit.Length))], parts, OnnxAttribute.Int("axis", 1));
        string axes23 = weights.Int64s("axes_2_3", 2, 3);
        string gain = g.Op("Unsqueeze", [Affine(g, weights, parts[0], 0.35f, 1f), axes23]);
        string bias = g.Op("Unsqueeze", [Affine(g, weights, parts[1], 0.6f, 0f), axes23]);
        string filmScale = g.Op("Unsqueeze", [Affine(g, weights, parts[3], 0.5f, 1f), axes23]);
        string filmShift = g.Op("Unsqueeze", [Affine(g, weights, parts[4], 0.5f, 0f), axes23]);

        // Channel rotation: M = I + 0.5 * A with A antisymmetric (the projection makes it so).
        var identity = new float[Channels * Channels];
        for (int i = 0; i < Channels; i++)
        {
            identity[(i * Channels) + i] = 1f;
        }

        string mixFlat = g.Op("Add", [g.Op("Mul", [parts[2], weights.Constant("mix_scale", [0.5f])]), weights.Constant("mix_identity", identity, Channels * Channels)]);
        string mix = g.Op("Reshape", [mixFlat, weights.Int64s("mix_shape", -1, Channels, Channels)]);
        string mixed = g.Op("Einsum", [mix, denoised], OnnxAttribute.String("equation", "bij,bjhw->bihw"));
        string transformed = g.Op("Add", [g.Op("Mul", [mixed, gain]), bias]);

        // Small FiLM-modulated conv residual: texture that also depends on the prompt.
        string hidden = layers.Conv(denoised, Channels, HiddenChannels);
        hidden = g.Op("Add", [g.Op("Mul", [hidden, filmScale]), filmShift]);
        hidden = g.Op("Mul", [hidden, g.Op("Sigmoid", [hidden])]);
        string residual = layers.Conv(hidden, HiddenChannels, Channels, gain: 0.1);
        string x0 = g.Op("Add", [transformed, residual]);

        // eps = (x_t - A x0) / B, so (x_t - B eps) / A = x0.
        string eps = g.Op("Div", [g.Op("Sub", [x, g.Op("Mul", [a, x0])]), b]);
        weights.FloatOutput(eps, "out_sample", latentShape);
        return TinyAutoencoderModels.Describe(new OnnxModel(g), options, "unet");
    }

    private static string Affine(OnnxGraphBuilder g, GraphWeights weights, string x, float scale, float offset)
    {
        string scaled = g.Op("Mul", [x, weights.Constant(g.UniqueName("scale"), [scale])]);
        return offset == 0f ? scaled : g.Op("Add", [scaled, weights.Constant(g.UniqueName("offset"), [offset])]);
    }

    /// <summary>[H, conditionSize] projection; the 4x4 mix block is antisymmetric in (i, j), and sine (odd) keeps it so.</summary>
    private static float[] ConditionWeights(SeededRandom random, int hidden, int conditionSize)
    {
        double std = ConditionGain;
        var w = new float[hidden * conditionSize];
        int mixStart = Channels * 2;
        for (int row = 0; row < hidden; row++)
        {
            Span<float> r = w.AsSpan(row * conditionSize, conditionSize);
            for (int col = 0; col < conditionSize; col++)
            {
                r[col] = (float)(random.NextGaussian() * std);
            }

            for (int i = 0; i < Channels; i++)
            {
                r[mixStart + (i * Channels) + i] = 0f;
                for (int j = 0; j < i; j++)
                {
                    r[mixStart + (i * Channels) + j] = -r[mixStart + (j * Channels) + i];
                }
            }
        }

        return w;
    }

    private static float[] GaussianKernel(int channels, int size, double sigma)
    {
        var kernel = new double[size * size];
        double sum = 0;
        int c = size / 2;
        for (int y = 0; y < size; y++)
        {
            for (int x = 0; x < size; x++)
            {
                double v = Math.Exp(-(((x - c) * (x - c)) + ((y - c) * (y - c))) / (2 * sigma * sigma));
                kernel[(y * size) + x] = v;
                sum += v;
            }
        }

        var weights = new float[channels * size * size];
        for (int ch = 0; ch < channels; ch++)
        {
            for (int i = 0; i < size * size; i++)
            {
                weights[(ch * size * size) + i] = (float)(kernel[i] / sum);
            }
        }

        return weights;
    }
}
