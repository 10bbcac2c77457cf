using System.Text;

namespace StreamFx.ModelPack.Validation;

/// <summary>What <see cref="OnnxFileCheck"/> read from a model file's ModelProto.</summary>
public sealed record OnnxFileSummary(long IrVersion, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs, int NodeCount, int InitializerCount);

/// <summary>
/// Checks that a file is a complete, well-formed ONNX ModelProto by walking its protobuf structure
/// (without loading weights: length-delimited fields are skipped by seeking, so multi-GB files are
/// cheap). Catches empty, truncated and non-ONNX files with a message naming the file, before ONNX
/// Runtime reports them in its own terms.
/// </summary>
public static class OnnxFileCheck
{
    // ModelProto and GraphProto field numbers used here.
    private const int ModelIrVersion = 1;
    private const int ModelGraph = 7;
    private const int GraphNode = 1;
    private const int GraphInitializer = 5;
    private const int GraphInput = 11;
    private const int GraphOutput = 12;
    private const int ValueInfoName = 1;

    public static OnnxFileSummary Check(string path)
    {
        if (!File.Exists(path))
        {
            throw new ModelFileException(path, "file not found");
        }

        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            if (stream.Length == 0)
            {
                throw new ModelFileException(path, "file is empty (expected an ONNX model)");
            }

            return ReadModel(path, stream);
        }
        catch (IOException e)
        {
            throw new ModelFileException(path, "cannot read: " + e.Message, e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new ModelFileException(path, "cannot read: " + e.Message, e);
        }
    }

    private static OnnxFileSummary ReadModel(string path, FileStream stream)
    {
        long irVersion = -1;
        OnnxFileSummary? graph = null;
        long end = stream.Length;
        while (stream.Position < end)
        {
            (int field, int wire) = ReadTag(path, stream, end);
            if (field == ModelIrVersion && wire == 0)
            {
                irVersion = (long)ReadVarint(path, stream, end);
            }
            else if (field == ModelGraph && wire == 2)
            {
                long length = ReadLength(path, stream, end);
                graph = ReadGraph(path, stream, stream.Position + length);
            }
            else
            {
                Skip(path, stream, wire, end);
            }
        }

        if (irVersion <= 0)
        {
            throw new ModelFileException(path, "not an ONNX model: ModelProto.ir_version is missing");
        }

        if (graph is null)
        {
            throw new ModelFileException(path, "not an ONNX model: ModelProto.graph is missing");
        }

        return graph with { IrVersion = irVersion };
    }

    private static OnnxFileSummary ReadGraph(string path, FileStream stream, long end)
    {
        var inputs = new List<string>();
        var outputs = new List<string>();
        int nodes = 0;
        int initializers = 0;
        while (stream.Position < end)
        {
            (int field, int wire) = ReadTag(path, stream, end);
            if (wire == 2 && field is GraphInput or GraphOutput)
            {
                long length = ReadLength(path, stream, end);
                string name = ReadValueInfoName(path, stream, stream.Position + length);
                (field == GraphInput ? inputs : outputs).Add(name);
                continue;
            }

            nodes += field == GraphNode ? 1 : 0;
            initializers += field == GraphInitializer ? 1 : 0;
            Skip(path, stream, wire, end);
        }

        if (stream.Position != end)
        {
            throw new ModelFileException(path, $"malformed ONNX: graph ends at byte {stream.Position}, expected {end}");
        }

        if (outputs.Count == 0)
        {
            throw new ModelFileException(path, "malformed ONNX: the graph declares no outputs");
        }

        return new OnnxFileSummary(0, inputs, outputs, nodes, initializers);
    }

    private static string ReadValueInfoName(string path, FileStream stream, long end)
    {
        string name = string.Empty;
        while (stream.Position < end)
        {
            (int field, int wire) = ReadTag(path, stream, end);
            if (field == ValueInfoName && wire == 2)
            {
                long length = ReadLength(path, stream, end);
                var bytes = new byte[length];
                stream.ReadExactly(bytes);
                name = Encoding.UTF8.GetString(bytes);
            }
            else
            {
                Skip(path, stream, wire, end);
            }
        }

        return name;
    }

    private static (int Field, int Wire) ReadTag(string path, FileStream stream, long end)
    {
        long at = stream.Position;
        ulong tag = ReadVarint(path, stream, end);
        int wire = (int)(tag & 7);
        ulong field = tag >> 3;
        if (field == 0 || field > int.MaxValue || wire is 3 or 4 or 6 or 7)
        {
            throw new ModelFileException(path, $"not a valid ONNX (protobuf) file: bad field tag 0x{tag:x} at byte {at}");
        }

        return ((int)field, wire);
    }

    private static long ReadLength(string path, FileStream stream, long end)
    {
        long at = stream.Position;
        ulong length = ReadVarint(path, stream, end);
        if (length > (ulong)(end - stream.Position))
        {
            throw new ModelFileException(
                path,
                $"truncated or corrupt ONNX file: a field at byte {at} claims {length} bytes but only {end - stream.Position} remain (file size {stream.Length})");
        }

        return (long)length;
    }

    private static void Skip(string path, FileStream stream, int wire, long end)
    {
        long size = wire switch
        {
            0 => -1,
            1 => 8,
            2 => ReadLength(path, stream, end),
            5 => 4,
            _ => throw new ModelFileException(path, $"not a valid ONNX (protobuf) file: wire type {wire}"),
        };
        if (size < 0)
        {
            ReadVarint(path, stream, end);
            return;
        }

        if (stream.Position + size > end)
        {
            throw new ModelFileException(path, $"truncated ONNX file: needs {size} more bytes at byte {stream.Position}, file size {stream.Length}");
        }

        stream.Seek(size, SeekOrigin.Current);
    }

    private static ulong ReadVarint(string path, FileStream stream, long end)
    {
        ulong value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (stream.Position >= end)
            {
                throw new ModelFileException(path, $"truncated ONNX file: ends inside a number at byte {stream.Position} (file size {stream.Length})");
            }

            int b = stream.ReadByte();
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }

        throw new ModelFileException(path, "not a valid ONNX (protobuf) file: a number is longer than 10 bytes");
    }
}
