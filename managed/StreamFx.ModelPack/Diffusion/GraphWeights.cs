using StreamFx.Onnx;

namespace StreamFx.ModelPack.Diffusion;

/// <summary>
/// Adds weights and floating inputs/outputs to a graph in the pack's tensor type while the graph
/// itself computes in float32: float16 packs store float16 weights and exchange float16 tensors,
/// with Cast nodes at the edges (ONNX Runtime's CPU provider lacks float16 kernels for most ops).
/// </summary>
public sealed class GraphWeights
{
    public GraphWeights(OnnxGraphBuilder graph, OnnxElementType tensorType, OnnxElementType? weightType = null)
    {
        if (tensorType is not (OnnxElementType.Float or OnnxElementType.Float16))
        {
            throw new ArgumentException($"tensor type must be float32 or float16, not {tensorType}", nameof(tensorType));
        }

        Graph = graph;
        TensorType = tensorType;
        WeightType = weightType ?? tensorType;
    }

    /// <summary>The pack's options: I/O in its tensor type, weights in its weight type.</summary>
    public GraphWeights(OnnxGraphBuilder graph, PackOptions options)
        : this(graph, options.TensorType, options.WeightType)
    {
    }

    /// <summary>Type the weights are stored in (float16 weights are cast to float32 where used).</summary>
    public OnnxElementType WeightType { get; }

    public OnnxGraphBuilder Graph { get; }

    public OnnxElementType TensorType { get; }

    /// <summary>A weight stored in the pack's tensor type; returns the name of its float32 value.</summary>
    public string Weight(string name, ReadOnlySpan<float> values, params long[] dims)
    {
        string stored = Graph.AddInitializer(OnnxTensor.FromFloat(name, WeightType, values, dims));
        return WeightType == OnnxElementType.Float ? stored : Graph.Op("Cast", [stored], OnnxAttribute.Int("to", (long)OnnxElementType.Float));
    }

    /// <summary>A float32 constant that stays float32 in every variant (shapes, scales, lookup tables that need precision).</summary>
    public string Constant(string name, ReadOnlySpan<float> values, params long[] dims) =>
        Graph.AddInitializer(OnnxTensor.FromFloat(name, values, dims));

    public string Int64s(string name, params long[] values) =>
        Graph.AddInitializer(OnnxTensor.FromInt64(name, values, values.Length));

    /// <summary>A floating graph input in the pack's tensor type; returns the name of its float32 value.</summary>
    public string FloatInput(string name, params OnnxDim[] shape)
    {
        Graph.AddInput(name, TensorType, shape);
        return ToFloat(name);
    }

    /// <summary>Exposes a float32 value as a graph output of the pack's tensor type.</summary>
    public void FloatOutput(string value, string name, params OnnxDim[] shape)
    {
        if (TensorType == OnnxElementType.Float)
        {
            Graph.AddNode("Identity", [value], [name]);
        }
        else
        {
            Graph.AddNode("Cast", [value], [name], OnnxAttribute.Int("to", (long)TensorType));
        }

        Graph.AddOutput(name, TensorType, shape);
    }

    private string ToFloat(string value) =>
        TensorType == OnnxElementType.Float
            ? value
            : Graph.Op("Cast", [value], OnnxAttribute.Int("to", (long)OnnxElementType.Float));
}
