using StreamFx.Onnx;

namespace StreamFx.ModelPack.Diffusion;

/// <summary>
/// Synthetic CLIP-style text encoder. Each token id gets a distinct embedding sin(id * f + phi) (a
/// per-dimension frequency and phase, so no 49408 x H table is stored), plus a small learned
/// position embedding; a causal decaying average of earlier tokens is added (CLIP's attention is
/// causal too), a tanh MLP with a residual and a final LayerNorm follow. pooler_output is the
/// hidden state at the first EOS token (the argmax of input_ids), as in CLIP.
/// Equal ids give equal outputs; different ids give different ones.
/// </summary>
public static class TextEncoderModel
{
    private const int Tokens = ClipVocabularyIds.MaxLength;

    /// <summary>How much of the previous position's context carries into the next.</summary>
    private const double CausalDecay = 0.85;

    /// <summary>Weight of the earlier positions' average relative to the position's own token.</summary>
    private const double HistoryWeight = 0.5;

    public static OnnxModel Build(PackOptions options)
    {
        int h = options.TextHiddenSize;
        var random = SeededRandom.For(options.Seed, "text_encoder/" + options.FamilyName);
        var g = new OnnxGraphBuilder("text_encoder");
        var weights = new GraphWeights(g, options);

        g.AddInput("input_ids", options.InputIdsType, "batch", Tokens);
        string ids = g.Op("Cast", ["input_ids"], OnnxAttribute.Int("to", (long)OnnxElementType.Float));

        // Token embedding: sin(id * f_k + phi_k); frequencies of 0.1..3 rad per id make even neighbouring
        // ids nearly uncorrelated, like the rows of a learned embedding table.
        var frequency = new float[h];
        var phase = new float[h];
        for (int k = 0; k < h; k++)
        {
            frequency[k] = (float)random.Uniform(0.1, 3.0);
            phase[k] = (float)random.Uniform(0, 2 * Math.PI);
        }

        string column = g.Op("Unsqueeze", [ids, weights.Int64s("axis_2", 2)]);
        string angle = g.Op("Add", [g.Op("Mul", [column, weights.Constant("token_frequency", frequency, h)]), weights.Constant("token_phase", phase, h)]);
        string tokens = g.Op("Sin", [angle]);
        string position = weights.Weight("position_embedding", random.Gaussian(Tokens * h, 0.05), Tokens, h);
        string embedded = g.Op("Add", [tokens, position]);

        // Causal context: each position keeps its own token and adds half of a decaying average of the
        // earlier positions, so a token dominates its own position and still colours the ones after it.
        var causal = new float[Tokens * Tokens];
        for (int i = 0; i < Tokens; i++)
        {
            causal[(i * Tokens) + i] = 1f;
            double norm = 0;
            for (int j = 0; j < i; j++)
            {
                norm += Math.Pow(CausalDecay, i - 1 - j);
            }

            for (int j = 0; j < i; j++)
            {
                causal[(i * Tokens) + j] = (float)(HistoryWeight * Math.Pow(CausalDecay, i - 1 - j) / norm);
            }
        }

        string context = g.Op("MatMul", [weights.Constant("causal_mix", causal, Tokens, Tokens), embedded]);
        string w1 = weights.Weight("mlp.weight", random.Gaussian(h * h, 1.5 / Math.Sqrt(h)), h, h);
        string b1 = weights.Weight("mlp.bias", random.Gaussian(h, 0.1), h);
        string mlp = g.Op("Tanh", [g.Op("Add", [g.Op("MatMul", [context, w1]), b1])]);
        string hidden = g.Op("Add", [context, mlp]);
        var ones = new float[h];
        Array.Fill(ones, 1f);
        string last = g.Op(
            "LayerNormalization",
            [hidden, weights.Weight("final_layer_norm.weight", ones, h), weights.Weight("final_layer_norm.bias", new float[h], h)],
            OnnxAttribute.Int("axis", -1),
            OnnxAttribute.Float("epsilon", 1e-5f));

        // pooler_output: hidden state at the first EOS (the highest id; ArgMax keeps the first maximum).
        string eos = g.Op("ArgMax", [ids], OnnxAttribute.Int("axis", 1), OnnxAttribute.Int("keepdims", 1));
        var positions = new long[Tokens];
        for (int i = 0; i < Tokens; i++)
        {
            positions[i] = i;
        }

        string positionIds = g.AddInitializer(OnnxTensor.FromInt64("position_ids", positions, Tokens));
        string mask = g.Op("Cast", [g.Op("Equal", [positionIds, eos])], OnnxAttribute.Int("to", (long)OnnxElementType.Float));
        string pooled = g.Op("MatMul", [g.Op("Unsqueeze", [mask, weights.Int64s("axis_1", 1)]), last]);
        pooled = g.Op("Squeeze", [pooled, "axis_1"]);

        weights.FloatOutput(last, "last_hidden_state", "batch", Tokens, h);
        weights.FloatOutput(pooled, "pooler_output", "batch", h);
        return TinyAutoencoderModels.Describe(new OnnxModel(g), options, "text_encoder");
    }
}
