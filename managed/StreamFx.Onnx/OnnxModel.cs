namespace StreamFx.Onnx;

/// <summary>A ModelProto: one graph plus its IR version, opset imports and metadata.</summary>
public sealed class OnnxModel
{
    /// <summary>IR version 8 (ONNX 1.10+); every ONNX Runtime since 1.10 reads it.</summary>
    public const long DefaultIrVersion = 8;

    /// <summary>Default-domain opset 17 (ONNX 1.12); supported by ONNX Runtime 1.31.</summary>
    public const long DefaultOpset = 17;

    private readonly List<KeyValuePair<string, string>> _metadata = [];

    public OnnxModel(OnnxGraphBuilder graph, long opset = DefaultOpset, long irVersion = DefaultIrVersion)
    {
        Graph = graph;
        Opset = opset;
        IrVersion = irVersion;
    }

    public OnnxGraphBuilder Graph { get; }

    public long Opset { get; }

    public long IrVersion { get; }

    public string ProducerName { get; init; } = "streamfx-modelpack";

    /// <summary>Fixed so that regenerating a model gives the same bytes.</summary>
    public string ProducerVersion { get; init; } = "1";

    public IReadOnlyList<KeyValuePair<string, string>> Metadata => _metadata;

    /// <summary>Adds a metadata_props entry (ONNX Runtime exposes these as ModelMetadata.CustomMetadataMap).</summary>
    public OnnxModel WithMetadata(string key, string value)
    {
        _metadata.Add(new(key, value));
        return this;
    }
}
