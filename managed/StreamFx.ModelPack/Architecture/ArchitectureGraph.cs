using System.Buffers.Binary;
using StreamFx.ModelPack.Diffusion;
using StreamFx.Onnx;

namespace StreamFx.ModelPack.Architecture;

/// <summary>
/// The layers the published models are made of (Linear, Conv, GroupNorm, LayerNorm, attention, GEGLU, SiLU,
/// GELU), computing natively in one floating type: a float16 pack is float16 inside, as a float16 export is
/// (ONNX Runtime's CPU provider inserts Casts where it has no float16 kernel). Parameters are deferred
/// tensors with seeded random values made at write time, and counted as they are added, so a full-size
/// graph can be built and its parameter count checked without holding its weights.
/// </summary>
public sealed class ArchitectureGraph
{
    private readonly ulong _seed;
    private readonly string _component;

    public ArchitectureGraph(string component, OnnxElementType type, ulong seed, bool fusedAttention = false)
    {
        FusedAttention = fusedAttention;
        Graph = new OnnxGraphBuilder(component);
        Type = type;
        _seed = seed;
        _component = component;
    }

    public OnnxGraphBuilder Graph { get; }

    /// <summary>Unmasked attention as ONNX Runtime's com.microsoft MultiHeadAttention (what its SD exports fuse to).</summary>
    public bool FusedAttention { get; }

    public OnnxElementType Type { get; }

    /// <summary>Elements of every trained parameter added so far (weights, biases, norm scales and shifts, embeddings).</summary>
    public long ParameterCount { get; private set; }

    /// <summary>Number of parameter tensors added so far.</summary>
    public int ParameterTensors { get; private set; }

    /// <summary>A random parameter, uniform with the given standard deviation (cheaper to draw than a normal, and only its spread matters here).</summary>
    public string Parameter(string name, double std, params long[] dims)
    {
        var random = SeededRandom.For(_seed, _component + "/" + name);
        double half = std * Math.Sqrt(3.0);
        return AddParameter(name, dims, count =>
        {
            var values = new float[count];
            for (int i = 0; i < count; i++) values[i] = (float)((2.0 * random.NextDouble() - 1.0) * half);
            return values;
        });
    }

    /// <summary>A parameter with every element <paramref name="value"/> (norm scales 1, shifts and biases 0).</summary>
    public string Filled(string name, float value, params long[] dims) =>
        AddParameter(name, dims, count =>
        {
            var values = new float[count];
            Array.Fill(values, value);
            return values;
        });

    /// <summary>A constant in the graph's type that is not a parameter (scales, masks).</summary>
    public string Constant(string name, float[] values, params long[] dims) =>
        Graph.AddInitializer(OnnxTensor.FromFloat(Graph.UniqueName(name), Type, values, dims));

    public string Scalar(string name, float value) => Constant(name, [value]);

    public string Int64s(string name, params long[] values) =>
        Graph.AddInitializer(OnnxTensor.FromInt64(Graph.UniqueName(name), values, values.Length));

    public string Op(string opType, string[] inputs, params OnnxAttribute[] attributes) => Graph.Op(opType, inputs, attributes);

    /// <summary>x [.., inWidth] times weight [inWidth, outWidth] (+ bias): torch's nn.Linear as exported.</summary>
    public string Linear(string x, string name, int inWidth, int outWidth, bool bias = true)
    {
        string w = Parameter(name + ".weight", 1.0 / Math.Sqrt(inWidth), inWidth, outWidth);
        string y = Op("MatMul", [x, w]);
        return bias ? Op("Add", [y, Filled(name + ".bias", 0f, outWidth)]) : y;
    }

    /// <summary>k x k convolution with padding k/2.</summary>
    public string Conv(string x, string name, int inChannels, int outChannels, int kernel = 3, int stride = 1, bool bias = true, double gain = 1.0)
    {
        long fanIn = (long)inChannels * kernel * kernel;
        string w = Parameter(name + ".weight", gain / Math.Sqrt(fanIn), outChannels, inChannels, kernel, kernel);
        string[] inputs = bias ? [x, w, Filled(name + ".bias", 0f, outChannels)] : [x, w];
        int pad = kernel / 2;
        return Op(
            "Conv",
            inputs,
            OnnxAttribute.Ints("kernel_shape", kernel, kernel),
            OnnxAttribute.Ints("pads", pad, pad, pad, pad),
            OnnxAttribute.Ints("strides", stride, stride));
    }

    /// <summary>
    /// GroupNorm over NCHW as torch exports it before opset 18: reshape to [N, groups, -1], InstanceNormalization,
    /// reshape back, then the per-channel scale and shift (the trained parameters).
    /// </summary>
    public string GroupNorm(string x, string name, int channels, int groups, float epsilon)
    {
        var ones = new float[groups];
        Array.Fill(ones, 1f);
        string grouped = Op("Reshape", [x, Int64s("group_shape", 0, groups, -1)]);
        string normed = Op(
            "InstanceNormalization",
            [grouped, Constant("group_scale", ones, groups), Constant("group_shift", new float[groups], groups)],
            OnnxAttribute.Float("epsilon", epsilon));
        string back = Op("Reshape", [normed, Op("Shape", [x])]);
        string scale = Filled(name + ".weight", 1f, channels, 1, 1);
        string shift = Filled(name + ".bias", 0f, channels, 1, 1);
        return Op("Add", [Op("Mul", [back, scale]), shift]);
    }

    public string LayerNorm(string x, string name, int width, float epsilon = 1e-5f) =>
        Op(
            "LayerNormalization",
            [x, Filled(name + ".weight", 1f, width), Filled(name + ".bias", 0f, width)],
            OnnxAttribute.Int("axis", -1),
            OnnxAttribute.Float("epsilon", epsilon));

    public string Silu(string x) => Op("Mul", [x, Op("Sigmoid", [x])]);

    /// <summary>Exact GELU, 0.5 x (1 + erf(x / sqrt 2)) (opset 17 has no Gelu op).</summary>
    public string Gelu(string x)
    {
        string erf = Op("Erf", [Op("Mul", [x, Scalar("inv_sqrt2", (float)(1 / Math.Sqrt(2)))])]);
        return Op("Mul", [Op("Mul", [x, Op("Add", [erf, Scalar("one", 1f)])]), Scalar("half", 0.5f)]);
    }

    /// <summary>
    /// Multi-head attention of x [B, L, width] over context [B, S, contextWidth] (context = x for self-attention):
    /// to_q, to_k, to_v (bias as given), scaled dot product, softmax (+ additive mask), to_out with bias.
    /// </summary>
    public string Attention(string x, string? context, string name, int width, int contextWidth, int heads, bool qkvBias, string? additiveMask = null)
    {
        int headWidth = width / heads;
        string kv = context ?? x;
        string q = Linear(x, name + ".to_q", width, width, qkvBias);
        string k = Linear(kv, name + ".to_k", contextWidth, width, qkvBias);
        string v = Linear(kv, name + ".to_v", contextWidth, width, qkvBias);
        if (FusedAttention && additiveMask is null)
        {
            // Same parameters; the contrib op scales by 1/sqrt(head width) itself and runs flash/memory-efficient kernels on CUDA.
            string fused = Graph.UniqueName("multi_head_attention_out");
            Graph.AddDomainNode("com.microsoft", "MultiHeadAttention", [q, k, v], [fused], OnnxAttribute.Int("num_heads", heads));
            return Linear(fused, name + ".to_out.0", width, width);
        }

        string headShape = Int64s("head_shape", 0, 0, heads, headWidth);
        string SplitHeads(string t, params long[] perm) => Op("Transpose", [Op("Reshape", [t, headShape])], OnnxAttribute.Ints("perm", perm));
        // Scaling q before the product keeps float16 scores in range.
        string qh = SplitHeads(Op("Mul", [q, Scalar("attention_scale", (float)(1 / Math.Sqrt(headWidth)))]), 0, 2, 1, 3);
        string kh = SplitHeads(k, 0, 2, 3, 1);
        string vh = SplitHeads(v, 0, 2, 1, 3);
        string scores = Op("MatMul", [qh, kh]);
        if (additiveMask is not null) scores = Op("Add", [scores, additiveMask]);
        string weights = Op("Softmax", [scores], OnnxAttribute.Int("axis", -1));
        string merged = Op("Reshape", [Op("Transpose", [Op("MatMul", [weights, vh])], OnnxAttribute.Ints("perm", 0, 2, 1, 3)), Int64s("merge_shape", 0, 0, width)]);
        return Linear(merged, name + ".to_out.0", width, width);
    }

    private string AddParameter(string name, long[] dims, Func<int, float[]> values)
    {
        long count = 1;
        foreach (long d in dims) count *= d;
        if (count > Array.MaxLength / 4) throw new ArgumentException($"parameter '{name}': {count} elements is more than one array holds");
        OnnxElementType type = Type;
        string stored = Graph.AddInitializer(OnnxTensor.Deferred(name, type, () => ToBytes(values((int)count), type), dims));
        ParameterCount += count;
        ParameterTensors++;
        return stored;
    }

    private static byte[] ToBytes(float[] values, OnnxElementType type)
    {
        if (type == OnnxElementType.Float)
        {
            var raw = new byte[values.Length * 4];
            for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(i * 4), values[i]);
            return raw;
        }

        var half = new byte[values.Length * 2];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(half.AsSpan(i * 2), BitConverter.HalfToUInt16Bits((Half)values[i]));
        return half;
    }
}
