using StreamFx.Onnx;

namespace StreamFx.ModelPack.Architecture;

/// <summary>
/// The text encoder SD 2.x and SD-Turbo use: OpenCLIP ViT-H/14's text tower as transformers' CLIPTextModel
/// (text_encoder/config.json: 1024 wide, 23 layers, 16 heads, 4096 MLP with exact GELU, 77 positions, vocabulary
/// 49408). Token and position embeddings; pre-LayerNorm layers with causal self-attention (biased q, k, v) and an
/// MLP; final LayerNorm gives last_hidden_state; pooler_output is the state at the first EOS (argmax of the ids).
/// Below width scale 1 one extra matrix restores the 1024 width the UNet's cross-attention takes.
/// </summary>
public static class OpenClipTextEncoder
{
    public static OnnxModel Build(ArchitectureOptions o, out long parameters)
    {
        var a = new ArchitectureGraph("text_encoder", o.Type, o.Seed);
        var g = a.Graph;
        int d = TextShape.Width(o);
        const int tokens = TextShape.Positions;

        g.AddInput("input_ids", OnnxElementType.Int32, "batch", tokens);
        string ids = a.Op("Cast", ["input_ids"], OnnxAttribute.Int("to", (long)OnnxElementType.Int64));
        string embedded = a.Op("Gather", [a.Parameter("embeddings.token_embedding.weight", 1.0, TextShape.Vocabulary, d), ids], OnnxAttribute.Int("axis", 0));
        string x = a.Op("Add", [embedded, a.Parameter("embeddings.position_embedding.weight", 0.1, tokens, d)]);

        // Causal mask: a position sees itself and the ones before it. -10000 rather than -inf stays finite in float16.
        var mask = new float[tokens * tokens];
        for (int i = 0; i < tokens; i++)
            for (int j = i + 1; j < tokens; j++)
                mask[(i * tokens) + j] = -10000f;
        string causal = a.Constant("causal_mask", mask, 1, 1, tokens, tokens);

        for (int layer = 0; layer < TextShape.Layers; layer++)
        {
            string name = $"encoder.layers.{layer}";
            x = a.Op("Add", [x, a.Attention(a.LayerNorm(x, name + ".layer_norm1", d), null, name + ".self_attn", d, d, TextShape.Heads, qkvBias: true, causal)]);
            string mlp = a.Linear(a.Gelu(a.Linear(a.LayerNorm(x, name + ".layer_norm2", d), name + ".mlp.fc1", d, 4 * d)), name + ".mlp.fc2", 4 * d, d);
            x = a.Op("Add", [x, mlp]);
        }

        x = a.LayerNorm(x, "final_layer_norm", d);
        if (d != ArchitectureOptions.CrossAttentionWidth)
            x = a.Linear(x, "width_adapter", d, ArchitectureOptions.CrossAttentionWidth, bias: false);

        // pooler_output: the state at the first EOS (the highest id), as CLIPTextModel takes it.
        string eos = a.Op("ArgMax", [ids], OnnxAttribute.Int("axis", 1), OnnxAttribute.Int("keepdims", 1));
        var positions = new long[tokens];
        for (int i = 0; i < tokens; i++) positions[i] = i;
        string atEos = a.Op("Cast", [a.Op("Equal", [a.Int64s("positions", positions), eos])], OnnxAttribute.Int("to", (long)o.Type));
        string axis1 = a.Int64s("axis1", 1);
        string pooled = a.Op("Squeeze", [a.Op("MatMul", [a.Op("Unsqueeze", [atEos, axis1]), x]), axis1]);

        g.AddNode("Identity", [x], ["last_hidden_state"]);
        g.AddNode("Identity", [pooled], ["pooler_output"]);
        g.AddOutput("last_hidden_state", o.Type, "batch", tokens, ArchitectureOptions.CrossAttentionWidth);
        g.AddOutput("pooler_output", o.Type, "batch", ArchitectureOptions.CrossAttentionWidth);
        parameters = a.ParameterCount;
        return ArchitecturePack.Describe(new OnnxModel(g), o, "text_encoder", parameters);
    }
}
