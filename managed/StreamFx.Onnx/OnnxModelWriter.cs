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

    private static ProtoWriter Serialize(OnnxModel model)
    {
        var graph = new ProtoWriter(64 * 1024);
        model.Graph.WriteTo(graph);

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
