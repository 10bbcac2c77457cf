using Microsoft.ML.OnnxRuntime.Tensors;
using StreamFx.Onnx;

namespace StreamFx.Diffusion.Pipeline.Device;

/// <summary>The input and output names of the device pipeline's small graphs (see FrameGraphs, StreamStepGraphs).</summary>
public static class GraphNames
{
    // FrameGraphs.Pre / Post.
    public const string Frame = "frame";
    public const string Previous = "previous";
    public const string Image = "image";
    public const string ImageF32 = "image_f32";
    public const string Similarity = "similarity";
    public const string FrameOut = "frame_out";

    // StreamStepGraphs.Assemble.
    public const string Encoded = "encoded";
    public const string Buffer = "buffer";
    public const string Stock = "stock";
    public const string InitNoise = "init_noise";
    public const string AssembleConstants = "assemble_constants";
    public const string X = "x";
    public const string UnetSample = "unet_sample";
    public const string StockShifted = "stock_shifted";

    // StreamStepGraphs.Step (also takes X, StockShifted and InitNoise).
    public const string UnetNoise = "unet_noise";
    public const string ItemConstants = "item_constants";
    public const string Guidance = "guidance";
    public const string OutputScale = "output_scale";
    public const string LatentOut = "latent_out";
    public const string BufferNext = "buffer_next";
    public const string StockNext = "stock_next";
}

/// <summary>
/// Shorthands over <see cref="OnnxGraphBuilder"/> for the few standard ONNX ops the device graphs use.
/// Every op here has a kernel in the CPU, CUDA, TensorRT and DirectML providers, so a graph built from
/// them runs on the device without falling back. A given <c>output</c> names the node's result (a graph
/// output); otherwise a fresh name is made.
/// </summary>
internal sealed class GraphOps(OnnxGraphBuilder graph)
{
    public OnnxGraphBuilder Graph { get; } = graph;

    public static OnnxElementType FloatingType(TensorElementType type, string what) => type switch
    {
        TensorElementType.Float => OnnxElementType.Float,
        TensorElementType.Float16 => OnnxElementType.Float16,
        _ => throw new ArgumentException($"{what} must be float32 or float16, found {type}"),
    };

    public string Node(string opType, string[] inputs, string? output, params OnnxAttribute[] attributes)
    {
        if (output is null) return Graph.Op(opType, inputs, attributes);
        Graph.AddNode(opType, inputs, [output], attributes);
        return output;
    }

    /// <summary>A float32 constant of shape [values.Length] (broadcasts against any tensor when of length 1).</summary>
    public string Float(params float[] values) => Graph.AddInitializer(OnnxTensor.FromFloat(Graph.UniqueName("const"), values, values.Length));

    public string Int64(params long[] values) => Graph.AddInitializer(OnnxTensor.FromInt64(Graph.UniqueName("index"), values, values.Length));

    public string Add(string a, string b, string? output = null) => Node("Add", [a, b], output);
    public string Sub(string a, string b, string? output = null) => Node("Sub", [a, b], output);
    public string Mul(string a, string b, string? output = null) => Node("Mul", [a, b], output);
    public string Div(string a, string b, string? output = null) => Node("Div", [a, b], output);
    public string Sqrt(string a) => Node("Sqrt", [a], null);
    public string Floor(string a) => Node("Floor", [a], null);
    public string Greater(string a, string b) => Node("Greater", [a, b], null);
    public string Less(string a, string b) => Node("Less", [a, b], null);
    public string Equal(string a, string b) => Node("Equal", [a, b], null);
    public string Where(string condition, string a, string b, string? output = null) => Node("Where", [condition, a, b], output);
    public string Identity(string a, string output) => Node("Identity", [a], output);

    public string Cast(string a, OnnxElementType to, string? output = null) => Node("Cast", [a], output, OnnxAttribute.Int("to", (long)to));

    /// <summary>Casts to <paramref name="to"/>, or copies under the output name when the value is float32 already.</summary>
    public string CastFromFloat(string a, OnnxElementType to, string output) =>
        to == OnnxElementType.Float ? Identity(a, output) : Cast(a, to, output);

    /// <summary>A model-facing value as float32 (a float16 value is widened exactly).</summary>
    public string ToFloat(string a, OnnxElementType from) => from == OnnxElementType.Float ? a : Cast(a, OnnxElementType.Float);

    /// <summary>x[start:end] along <paramref name="axis"/>.</summary>
    public string Slice(string x, long axis, long start, long end, string? output = null) =>
        Node("Slice", [x, Int64(start), Int64(end), Int64(axis)], output);

    public string Gather(string x, long axis, long[] indices) => Node("Gather", [x, Int64(indices)], null, OnnxAttribute.Int("axis", axis));

    public string Transpose(string x, long[] perm, string? output = null) => Node("Transpose", [x], output, OnnxAttribute.Ints("perm", perm));

    public string Reshape(string x, long[] shape) => Node("Reshape", [x, Int64(shape)], null);

    /// <summary>Sum over <paramref name="axes"/>, which are dropped (opset 13+: axes are an input).</summary>
    public string ReduceSum(string x, long[] axes) => Node("ReduceSum", [x, Int64(axes)], null, OnnxAttribute.Int("keepdims", 0));

    /// <summary>Concatenation along <paramref name="axis"/>; a single part is passed through (copied when it must carry <paramref name="output"/>).</summary>
    public string Concat(long axis, string[] parts, string? output = null)
    {
        if (parts.Length == 1) return output is null ? parts[0] : Identity(parts[0], output);
        return Node("Concat", parts, output, OnnxAttribute.Int("axis", axis));
    }

    /// <summary>Serialises the graph as an ONNX model (default opset, 17: ReduceSum/Slice take axes as inputs).</summary>
    public byte[] ToBytes() => OnnxModelWriter.ToBytes(new OnnxModel(Graph) { ProducerName = "streamfx-device-graphs" });
}
