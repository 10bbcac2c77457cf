using System.Text;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace StreamFx.Diffusion.Model;

/// <summary>One declared graph input or output: name, element type and dims (-1 for a symbolic or unknown dim).</summary>
public sealed record OnnxTensorInfo(string Name, TensorElementType ElementType, long[] Dims)
{
    public int Rank => Dims.Length;

    public override string ToString() => $"{Name} {OnnxSignature.TypeName(ElementType)} [{string.Join(",", Dims.Select(d => d < 0 ? "?" : d.ToString()))}]";
}

/// <summary>
/// The declared inputs and outputs of an ONNX file, read from its protobuf without ONNX Runtime and without
/// loading weights (length-delimited fields are skipped by seeking, so a 2 GB UNet costs a few reads). The
/// folder loader needs these before any session exists: element types decide the pipeline's buffers, and a
/// float16 CUDA export must be recognised even where the CPU provider cannot open it.
/// </summary>
public sealed class OnnxSignature
{
    // ModelProto.graph = 7; GraphProto.initializer = 5, input = 11, output = 12; ValueInfoProto name = 1, type = 2;
    // TypeProto.tensor_type = 1; TypeProto.Tensor elem_type = 1, shape = 2; TensorShapeProto.dim = 1;
    // Dimension dim_value = 1, dim_param = 2; TensorProto.data_location = 14 (1 = EXTERNAL).
    private const int ModelGraph = 7;

    private OnnxSignature(string path, IReadOnlyList<OnnxTensorInfo> inputs, IReadOnlyList<OnnxTensorInfo> outputs, bool externalData)
    {
        Path = path;
        Inputs = inputs;
        Outputs = outputs;
        UsesExternalData = externalData;
    }

    public string Path { get; }
    public IReadOnlyList<OnnxTensorInfo> Inputs { get; }
    public IReadOnlyList<OnnxTensorInfo> Outputs { get; }
    /// <summary>True when at least one initializer keeps its bytes in a file beside the model.</summary>
    public bool UsesExternalData { get; }

    public OnnxTensorInfo? Input(string name) => Inputs.FirstOrDefault(i => i.Name == name);
    public OnnxTensorInfo? Output(string name) => Outputs.FirstOrDefault(o => o.Name == name);

    /// <summary>True when any declared floating input or output is float16 (a float16 export that did not keep float32 I/O).</summary>
    public bool HasFloat16Io => Inputs.Concat(Outputs).Any(t => t.ElementType == TensorElementType.Float16);

    /// <summary>Reads <paramref name="path"/>; a missing, empty, truncated or non-ONNX file throws <see cref="ModelFolderException"/> naming it.</summary>
    public static OnnxSignature Read(string path)
    {
        if (!File.Exists(path)) throw new ModelFolderException(path, "file", "present", "missing");
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            if (stream.Length == 0) throw new ModelFolderException(path, "file", "an ONNX model", "an empty file");
            var reader = new Reader(path, stream);
            OnnxSignature? graph = null;
            long end = stream.Length;
            while (stream.Position < end)
            {
                (int field, int wire) = reader.Tag(end);
                if (field == ModelGraph && wire == 2)
                {
                    long length = reader.Length(end);
                    graph = reader.Graph(stream.Position + length);
                }
                else reader.Skip(wire, end);
            }
            if (graph is null) throw new ModelFolderException(path, "file", "an ONNX model (ModelProto with a graph)", "no graph");
            if (graph.Outputs.Count == 0) throw new ModelFolderException(path, "graph outputs", "at least one", "none");
            return graph;
        }
        catch (IOException e) { throw new ModelFolderException(path, "file", "readable", e.Message, e); }
        catch (UnauthorizedAccessException e) { throw new ModelFolderException(path, "file", "readable", e.Message, e); }
    }

    public static string TypeName(TensorElementType t) => t switch
    {
        TensorElementType.Float => "float32",
        TensorElementType.Float16 => "float16",
        TensorElementType.Int64 => "int64",
        TensorElementType.Int32 => "int32",
        TensorElementType.Double => "float64",
        TensorElementType.BFloat16 => "bfloat16",
        _ => t.ToString().ToLowerInvariant(),
    };

    private sealed class Reader(string path, FileStream stream)
    {
        private ModelFolderException Corrupt(string what) =>
            new(path, "file", "a complete ONNX model", $"{what} (file size {stream.Length})");

        public OnnxSignature Graph(long end)
        {
            var inputs = new List<OnnxTensorInfo>();
            var outputs = new List<OnnxTensorInfo>();
            bool external = false;
            while (stream.Position < end)
            {
                (int field, int wire) = Tag(end);
                if (wire == 2 && field is 11 or 12)
                {
                    long length = Length(end);
                    var info = ValueInfo(stream.Position + length);
                    (field == 11 ? inputs : outputs).Add(info);
                }
                else if (wire == 2 && field == 5 && !external)
                {
                    long length = Length(end);
                    external = InitializerIsExternal(stream.Position + length);
                }
                else Skip(wire, end);
            }
            if (stream.Position != end) throw Corrupt($"the graph ends at byte {stream.Position}, expected {end}");
            return new OnnxSignature(path, inputs, outputs, external);
        }

        private bool InitializerIsExternal(long end)
        {
            bool external = false;
            while (stream.Position < end)
            {
                (int field, int wire) = Tag(end);
                if (field == 14 && wire == 0) external = Varint(end) == 1;
                else Skip(wire, end);
            }
            return external;
        }

        private OnnxTensorInfo ValueInfo(long end)
        {
            string name = "";
            var type = TensorElementType.DataTypeMax;
            var dims = new List<long>();
            while (stream.Position < end)
            {
                (int field, int wire) = Tag(end);
                if (field == 1 && wire == 2) name = Text(Length(end));
                else if (field == 2 && wire == 2) type = TypeProto(End(end), dims);
                else Skip(wire, end);
            }
            return new OnnxTensorInfo(name, type, dims.ToArray());
        }

        private TensorElementType TypeProto(long end, List<long> dims)
        {
            var type = TensorElementType.DataTypeMax;
            while (stream.Position < end)
            {
                (int field, int wire) = Tag(end);
                if (field == 1 && wire == 2)
                {
                    long tensorEnd = End(end);
                    while (stream.Position < tensorEnd)
                    {
                        (int f, int w) = Tag(tensorEnd);
                        if (f == 1 && w == 0) type = (TensorElementType)(int)Varint(tensorEnd);
                        else if (f == 2 && w == 2) Shape(End(tensorEnd), dims);
                        else Skip(w, tensorEnd);
                    }
                }
                else Skip(wire, end);
            }
            return type;
        }

        private void Shape(long end, List<long> dims)
        {
            while (stream.Position < end)
            {
                (int field, int wire) = Tag(end);
                if (field == 1 && wire == 2)
                {
                    long dimEnd = End(end);
                    long value = -1;
                    while (stream.Position < dimEnd)
                    {
                        (int f, int w) = Tag(dimEnd);
                        if (f == 1 && w == 0) value = (long)Varint(dimEnd);
                        else Skip(w, dimEnd);
                    }
                    dims.Add(value);
                }
                else Skip(wire, end);
            }
        }

        private string Text(long length)
        {
            var bytes = new byte[length];
            stream.ReadExactly(bytes);
            return Encoding.UTF8.GetString(bytes);
        }

        public (int Field, int Wire) Tag(long end)
        {
            long at = stream.Position;
            ulong tag = Varint(end);
            int wire = (int)(tag & 7);
            ulong field = tag >> 3;
            if (field == 0 || field > int.MaxValue || wire is 3 or 4 or 6 or 7)
                throw new ModelFolderException(path, "file", "an ONNX (protobuf) file", $"bad field tag 0x{tag:x} at byte {at}");
            return ((int)field, wire);
        }

        /// <summary>Reads a length prefix; returns where that field ends (the prefix must be read before the position is taken).</summary>
        private long End(long end)
        {
            long length = Length(end);
            return stream.Position + length;
        }

        public long Length(long end)
        {
            long at = stream.Position;
            ulong length = Varint(end);
            if (length > (ulong)(end - stream.Position))
                throw Corrupt($"a field at byte {at} claims {length} bytes but only {end - stream.Position} remain");
            return (long)length;
        }

        public void Skip(int wire, long end)
        {
            long size = wire switch
            {
                0 => -1,
                1 => 8,
                2 => Length(end),
                5 => 4,
                _ => throw new ModelFolderException(path, "file", "an ONNX (protobuf) file", $"wire type {wire}"),
            };
            if (size < 0)
            {
                Varint(end);
                return;
            }
            if (stream.Position + size > end) throw Corrupt($"{size} more bytes needed at byte {stream.Position}");
            stream.Seek(size, SeekOrigin.Current);
        }

        private ulong Varint(long end)
        {
            ulong value = 0;
            for (int shift = 0; shift < 64; shift += 7)
            {
                if (stream.Position >= end) throw Corrupt($"it ends inside a number at byte {stream.Position}");
                int b = stream.ReadByte();
                value |= (ulong)(b & 0x7F) << shift;
                if ((b & 0x80) == 0) return value;
            }
            throw new ModelFolderException(path, "file", "an ONNX (protobuf) file", "a number longer than 10 bytes");
        }
    }
}
