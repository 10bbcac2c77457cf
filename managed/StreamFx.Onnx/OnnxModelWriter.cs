namespace StreamFx.Onnx;

/// <summary>Serializes an <see cref="OnnxModel"/> as an ONNX ModelProto (binary protobuf).</summary>
public static class OnnxModelWriter
{
    public static void Write(OnnxModel model, Stream stream) => Serialize(model).WriteTo(stream);

    public static byte[] ToBytes(OnnxModel model) => Serialize(model).ToArray();

    /// <summary>Writes the model to a file (creating its folder), replacing any file that was there.</summary>
    public static void WriteFile(OnnxModel model, string path)
    {
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null)
        {
            Directory.CreateDirectory(folder);
        }

        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        Write(model, stream);
    }

    /// <summary>
    /// Writes the model with every initializer of at least <paramref name="minBytes"/> bytes in
    /// <paramref name="dataFileName"/> beside it (ONNX external data, as exporters do for large models:
    /// optimum's "model.onnx_data", onnx's and Olive's "model.onnx.data").
    /// </summary>
    public static void WriteFileWithExternalData(OnnxModel model, string path, string dataFileName, int minBytes = 1024)
    {
        if (Path.GetFileName(dataFileName) != dataFileName)
        {
            throw new ArgumentException($"external data file must be a file name beside the model, found '{dataFileName}'", nameof(dataFileName));
        }

        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null)
        {
            Directory.CreateDirectory(folder);
        }

        using var data = new FileStream(Path.Combine(folder ?? ".", dataFileName), FileMode.Create, FileAccess.Write, FileShare.None);
        var external = new ExternalData(dataFileName, minBytes, data);
        ProtoWriter proto = Serialize(model, external);
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        proto.WriteTo(stream);
    }

    private static ProtoWriter Serialize(OnnxModel model, ExternalData? external = null)
    {
        var graph = new ProtoWriter(64 * 1024);
        model.Graph.WriteTo(graph, external);

        // ModelProto: ir_version = 1, producer_name = 2, producer_version = 3, graph = 7,
        // opset_import = 8 (OperatorSetIdProto: domain = 1, version = 2), metadata_props = 14.
        var w = new ProtoWriter(graph.Length + 256);
        w.WriteInt64(1, model.IrVersion);
        w.WriteString(2, model.ProducerName);
        w.WriteString(3, model.ProducerVersion);
        w.WriteMessage(7, graph);
        var opset = new ProtoWriter(16);
        opset.WriteString(1, string.Empty);
        opset.WriteInt64(2, model.Opset);
        w.WriteMessage(8, opset);
        foreach (string domain in model.Graph.Domains)
        {
            var imported = new ProtoWriter(32);
            imported.WriteString(1, domain);
            imported.WriteInt64(2, 1);
            w.WriteMessage(8, imported);
        }
        foreach (KeyValuePair<string, string> entry in model.Metadata)
        {
            var e = new ProtoWriter(64);
            e.WriteString(1, entry.Key);
            e.WriteString(2, entry.Value);
            w.WriteMessage(14, e);
        }

        return w;
    }
}

/// <summary>The side file initializers are appended to, each at a 64-byte aligned offset.</summary>
internal sealed class ExternalData(string location, int minBytes, Stream stream)
{
    private const int Alignment = 64;

    public string Location { get; } = location;

    public int MinBytes { get; } = minBytes;

    /// <summary>Appends the bytes; returns their offset in the file.</summary>
    public long Append(ReadOnlySpan<byte> bytes)
    {
        long pad = (Alignment - (stream.Position % Alignment)) % Alignment;
        for (long i = 0; i < pad; i++)
        {
            stream.WriteByte(0);
        }

        long offset = stream.Position;
        stream.Write(bytes);
        return offset;
    }
}
