using StreamFx.Onnx;

namespace StreamFx.ModelPack.Diffusion;

/// <summary>
/// Synthetic epsilon-predicting UNet that knows the noise schedule. With A(t), B(t) looked up from
/// 1000-entry tables (Gather on the timestep), it estimates the clean latent z = x_t / A(t), denoises it
/// with a Wiener-like multi-band filter driven by the noise ratio (B/A)^2, applies a smooth text-dependent
/// transform T (per-channel gain and bias, a channel rotation and a FiLM-modulated conv residual, all
/// driven by sines of a projection of the prompt embedding) with a weight that grows with the noise level,
/// and returns eps = (x_t - A(t) x0) / B(t). A scheduler step therefore recovers x0: the denoised frame with
/// a prompt-specific colour/contrast change, larger at higher strength, identical for identical inputs.
/// </summary>
public static class UNetModel
{
    private const int Channels = TinyAutoencoderModels.LatentChannels;
    private const int HiddenChannels = 16;
    private const int Tokens = ClipVocabularyIds.MaxLength;

    /// <summary>Noise-to-signal ratio B/A at which the prompt transform takes half the weight (t about 359).</summary>
    private const double StyleKnee = 1.0;

    /// <summary>Blur widths (latent pixels) splitting z into bands: fine detail, edges, shapes, base.</summary>
    private static readonly double[] BandSigmas = [1.0, 2.5, 6.0];

    /// <summary>
    /// Prior signal power per band, finest first (latents of a smooth frame have about unit spread, most of
    /// it in the coarse bands). With these, at t = 499 (B/A = 1.6) the filter keeps the base and shapes
    /// (weights 0.99, 0.96), 0.28 of the edges and almost none of the finest band (0.005); at t = 99 it
    /// keeps 0.9 of the edges and 0.1 of the finest band. Lower powers blur more and higher ones keep more noise: both lower the
    /// output's correlation with the input under guidance, which extrapolates whatever the estimate lost.
    /// </summary>
    private static readonly double[] BandPower = [0.01, 0.05, 0.5, 1.0];

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
        var weights = new GraphWeights(g, options);
        var layers = new ConvLayers(weights, random);

        OnnxDim[] latentShape = ["batch", Channels, "latent_height", "latent_width"];
        string x = weights.FloatInput("sample", latentShape);
        g.AddInput("timestep", options.TimestepType, "batch");
        string text = weights.FloatInput("encoder_hidden_states", "batch", Tokens, h);

        // Timestep -> table index in 0..999.
        string t = "timestep";
        if (options.TimestepType == OnnxElementType.Float16)
        {
            // Round has no float16 kernel on every provider: widen first.
            t = g.Op("Cast", [t], OnnxAttribute.Int("to", (long)OnnxElementType.Float));
        }

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

        // Clean-latent estimate z = x_t / A carries white noise of variance r^2 = (B/A)^2 per value. A Wiener-like
        // multi-band filter removes it: each band of z (split by normalized Gaussian blurs) keeps the weight
        // P / (P + r^2 N) for its prior signal power P and the share N of white noise it passes.
        string z = g.Op("Div", [x, a]);
        string ratio = g.Op("Div", [b, a]);
        string ratio2 = g.Op("Mul", [ratio, ratio]);
        string denoised = WienerBands(g, weights, z, ratio2);

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
        string gain = g.Op("Unsqueeze", [Affine(g, weights, parts[0], 0.15f, 1f), axes23]);
        string bias = g.Op("Unsqueeze", [Affine(g, weights, parts[1], 0.3f, 0f), axes23]);
        string filmScale = g.Op("Unsqueeze", [Affine(g, weights, parts[3], 0.5f, 1f), axes23]);
        string filmShift = g.Op("Unsqueeze", [Affine(g, weights, parts[4], 0.5f, 0f), axes23]);

        // Channel rotation: M = I + 0.2 * A with A antisymmetric (the projection makes it so).
        var identity = new float[Channels * Channels];
        for (int i = 0; i < Channels; i++)
        {
            identity[(i * Channels) + i] = 1f;
        }

        string mixFlat = g.Op("Add", [g.Op("Mul", [parts[2], weights.Constant("mix_scale", [0.2f])]), weights.Constant("mix_identity", identity, Channels * Channels)]);
        string mix = g.Op("Reshape", [mixFlat, weights.Int64s("mix_shape", -1, Channels, Channels)]);
        string mixed = g.Op("Einsum", [mix, denoised], OnnxAttribute.String("equation", "bij,bjhw->bihw"));
        string transformed = g.Op("Add", [g.Op("Mul", [mixed, gain]), bias]);

        // Small FiLM-modulated conv residual: texture that also depends on the prompt.
        string hidden = layers.Conv(denoised, Channels, HiddenChannels);
        hidden = g.Op("Add", [g.Op("Mul", [hidden, filmScale]), filmShift]);
        hidden = g.Op("Mul", [hidden, g.Op("Sigmoid", [hidden])]);
        string residual = layers.Conv(hidden, HiddenChannels, Channels, gain: 0.05);
        string styled = g.Op("Add", [transformed, residual]);

        // How far the estimate moves from the denoised input grows with the noise level, as in img2img with a
        // real model: a low-noise step (the last of several, or a low strength) keeps the frame, a high-noise
        // one restyles it. A fixed-strength transform would be applied again by every step of a multi-step run.
        string styleWeight = g.Op("Div", [ratio2, g.Op("Add", [ratio2, weights.Constant("style_knee2", [(float)(StyleKnee * StyleKnee)])])]);
        if (options.TimestepCondWidth > 0)
        {
            // LCM-distilled UNets take the guidance embedding as timestep_cond: here it scales the style weight by
            // 1 + 0.5 tanh(projection), so a different guidance scale gives a visibly different frame.
            int width = options.TimestepCondWidth;
            string cond = weights.FloatInput("timestep_cond", "batch", width);
            string projected = g.Op("MatMul", [cond, weights.Weight("timestep_cond.weight", random.Gaussian(width, 1.0 / Math.Sqrt(width)), width, 1)]);
            string gainOfCond = g.Op("Add", [weights.Constant("cond_one", [1f]), g.Op("Mul", [g.Op("Tanh", [projected]), weights.Constant("cond_half", [0.5f])])]);
            styleWeight = g.Op("Mul", [styleWeight, g.Op("Unsqueeze", [gainOfCond, weights.Int64s("cond_axes", 2, 3)])]);
        }

        string x0 = g.Op("Add", [denoised, g.Op("Mul", [styleWeight, g.Op("Sub", [styled, denoised])])]);

        // eps = (x_t - A x0) / B, so (x_t - B eps) / A = x0.
        string eps = g.Op("Div", [g.Op("Sub", [x, g.Op("Mul", [a, x0])]), b]);
        if (options.CudaOnly)
        {
            // ONNX Runtime's float16 BiasAdd (com.microsoft), a fused op of its Stable Diffusion CUDA exports that only
            // the CUDA provider implements; its result is multiplied by zero (no effect). The CPU provider inserts Casts
            // for plain float16 ops, so only such a contrib op makes a model CUDA-only, as in onnxruntime/sd-turbo.
            string flat = g.Op("Reshape", ["sample", weights.Int64s("cuda_only.shape", -1, 1, Channels)]);
            string biasAdd = g.UniqueName("bias_add_out");
            g.AddDomainNode("com.microsoft", "BiasAdd", [flat, g.AddInitializer(OnnxTensor.FromFloatAsHalf("cuda_only.bias", new float[Channels], Channels)), flat], [biasAdd]);
            string probe = g.Op("ReduceSum", [g.Op("Cast", [biasAdd], OnnxAttribute.Int("to", (long)OnnxElementType.Float))], OnnxAttribute.Int("keepdims", 0));
            eps = g.Op("Add", [eps, g.Op("Mul", [probe, weights.Constant("cuda_only.zero", [0f])])]);
        }

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

    /// <summary>
    /// Sum over bands of band * 1 / (1 + r^2 * N / P). Blurs are separable, depthwise and normalized by the
    /// blur of an all-ones map, so borders keep their level instead of fading towards zero.
    /// </summary>
    private static string WienerBands(OnnxGraphBuilder g, GraphWeights weights, string z, string ratio2)
    {
        var kernels = BandSigmas.Select(Gaussian1D).ToArray();

        // All-ones [1, 1, H, W] map: the normalizer of each blur is its blur.
        string shape = g.Op("Shape", [z]);
        string spatial = g.Op("Slice", [shape, weights.Int64s("spatial_start", 2), weights.Int64s("spatial_end", 4)]);
        string onesShape = g.Op("Concat", [weights.Int64s("ones_lead", 1, 1), spatial], OnnxAttribute.Int("axis", 0));
        string ones = g.Op("Expand", [weights.Constant("one", [1f]), onesShape]);

        var blurred = new string[kernels.Length];
        for (int i = 0; i < kernels.Length; i++)
        {
            string sum = SeparableBlur(g, weights, z, kernels[i], Channels, $"band{i}");
            string norm = SeparableBlur(g, weights, ones, kernels[i], 1, $"band{i}_norm");
            blurred[i] = g.Op("Div", [sum, norm]);
        }

        // Bands, finest first: z - G1, G1 - G2, G2 - G3, G3.
        var bands = new string[kernels.Length + 1];
        bands[0] = g.Op("Sub", [z, blurred[0]]);
        for (int i = 1; i < kernels.Length; i++)
        {
            bands[i] = g.Op("Sub", [blurred[i - 1], blurred[i]]);
        }

        bands[^1] = blurred[^1];

        double[] noiseShare = BandNoiseShares(kernels);
        string result = string.Empty;
        for (int i = 0; i < bands.Length; i++)
        {
            string c = weights.Constant($"band{i}_noise_over_power", [(float)(noiseShare[i] / BandPower[i])]);
            string weight = g.Op("Reciprocal", [g.Op("Add", [weights.Constant($"band{i}_one", [1f]), g.Op("Mul", [ratio2, c])])]);
            string kept = g.Op("Mul", [bands[i], weight]);
            result = i == 0 ? kept : g.Op("Add", [result, kept]);
        }

        return result;
    }

    private static string SeparableBlur(OnnxGraphBuilder g, GraphWeights weights, string x, double[] kernel, int channels, string name)
    {
        int k = kernel.Length;
        int pad = k / 2;
        var w = new float[channels * k];
        for (int c = 0; c < channels; c++)
        {
            for (int i = 0; i < k; i++)
            {
                w[(c * k) + i] = (float)kernel[i];
            }
        }

        string horizontal = g.Op(
            "Conv",
            [x, weights.Constant(name + ".h", w, channels, 1, 1, k)],
            OnnxAttribute.Ints("kernel_shape", 1, k),
            OnnxAttribute.Ints("pads", 0, pad, 0, pad),
            OnnxAttribute.Int("group", channels));
        return g.Op(
            "Conv",
            [horizontal, weights.Constant(name + ".v", w, channels, 1, k, 1)],
            OnnxAttribute.Ints("kernel_shape", k, 1),
            OnnxAttribute.Ints("pads", pad, 0, pad, 0),
            OnnxAttribute.Int("group", channels));
    }

    /// <summary>Normalized 1-D Gaussian, radius ceil(3 sigma).</summary>
    private static double[] Gaussian1D(double sigma)
    {
        int radius = (int)Math.Ceiling(3 * sigma);
        var k = new double[(2 * radius) + 1];
        for (int i = 0; i < k.Length; i++)
        {
            k[i] = Math.Exp(-((i - radius) * (i - radius)) / (2 * sigma * sigma));
        }

        double sum = k.Sum();
        return k.Select(v => v / sum).ToArray();
    }

    /// <summary>
    /// Variance each band passes from unit white noise (away from borders): the sum of squares of its 2-D
    /// filter, with the 2-D inner products of separable kernels as squares of 1-D ones.
    /// </summary>
    private static double[] BandNoiseShares(double[][] kernels)
    {
        int radius = kernels[^1].Length / 2;
        double[] Centered(double[] k)
        {
            var c = new double[(2 * radius) + 1];
            int r = k.Length / 2;
            for (int i = 0; i < k.Length; i++)
            {
                c[radius - r + i] = k[i];
            }

            return c;
        }

        var filters = new List<double[]> { Centered([1.0]) };
        filters.AddRange(kernels.Select(Centered));
        double Inner(double[] p, double[] q)
        {
            double d = 0;
            for (int i = 0; i < p.Length; i++)
            {
                d += p[i] * q[i];
            }

            return d * d;
        }

        // Band i is filters[i] - filters[i+1]; the last band is the widest blur itself.
        var shares = new double[kernels.Length + 1];
        for (int i = 0; i < kernels.Length; i++)
        {
            shares[i] = Inner(filters[i], filters[i]) - (2 * Inner(filters[i], filters[i + 1])) + Inner(filters[i + 1], filters[i + 1]);
        }

        shares[^1] = Inner(filters[^1], filters[^1]);
        return shares;
    }
}
