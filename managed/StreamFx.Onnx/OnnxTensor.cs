using System.Buffers.Binary;

namespace StreamFx.Onnx;

/// <summary>
/// A constant tensor (initializer or Constant attribute), stored as little-endian raw_data bytes.
/// </summary>
public sealed class OnnxTensor
{
    private readonly byte[] _raw;
    private readonly long[] _dims;

    private OnnxTensor(string name, OnnxElementType elementType, long[] dims, byte[] raw)
    {
        long count = 1;
        foreach (long d in dims)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(d, nameof(dims));
            count *= d;
        }

        if (count * OnnxElementTypeInfo.SizeInBytes(elementType) != raw.Length)
        {
            throw new ArgumentException(
                $"tensor '{name}': shape [{string.Join(",", dims)}] needs {count} elements of {OnnxElementTypeInfo.Name(elementType)}, got {raw.Length} bytes");
        }

        Name = name;
        ElementType = elementType;
        _dims = dims;
        _raw = raw;
    }

    public string Name { get; }

    public OnnxElementType ElementType { get; }

    public IReadOnlyList<long> Dims => _dims;

    public ReadOnlySpan<byte> RawData => _raw;

    public static OnnxTensor FromFloat(string name, ReadOnlySpan<float> values, params long[] dims)
    {
        var raw = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(i * 4), values[i]);
        }

        return new OnnxTensor(name, OnnxElementType.Float, dims, raw);
    }

    /// <summary>float16 tensor from float values (round to nearest even, as System.Half does).</summary>
    public static OnnxTensor FromFloatAsHalf(string name, ReadOnlySpan<float> values, params long[] dims)
    {
        var raw = new byte[values.Length * 2];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(raw.AsSpan(i * 2), BitConverter.HalfToUInt16Bits((Half)values[i]));
        }

        return new OnnxTensor(name, OnnxElementType.Float16, dims, raw);
    }

    /// <summary>Floating tensor in the requested element type (Float or Float16).</summary>
    public static OnnxTensor FromFloat(string name, OnnxElementType elementType, ReadOnlySpan<float> values, params long[] dims) =>
        elementType switch
        {
            OnnxElementType.Float => FromFloat(name, values, dims),
            OnnxElementType.Float16 => FromFloatAsHalf(name, values, dims),
            _ => throw new ArgumentException($"tensor '{name}': {elementType} is not a floating element type", nameof(elementType)),
        };

    public static OnnxTensor FromInt64(string name, ReadOnlySpan<long> values, params long[] dims)
    {
        var raw = new byte[values.Length * 8];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(raw.AsSpan(i * 8), values[i]);
        }

        return new OnnxTensor(name, OnnxElementType.Int64, dims, raw);
    }

    public static OnnxTensor FromInt32(string name, ReadOnlySpan<int> values, params long[] dims)
    {
        var raw = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(raw.AsSpan(i * 4), values[i]);
        }

        return new OnnxTensor(name, OnnxElementType.Int32, dims, raw);
    }

    /// <summary>Raw little-endian bytes for any element type (copied).</summary>
    public static OnnxTensor FromRaw(string name, OnnxElementType elementType, ReadOnlySpan<byte> raw, params long[] dims) =>
        new(name, elementType, dims, raw.ToArray());

    public OnnxTensor WithName(string name) => new(name, ElementType, _dims, _raw);

    /// <summary>
    /// Writes the TensorProto with its bytes in <paramref name="sideFile"/> instead of raw_data (ONNX external
    /// data: data_location = 14 EXTERNAL, external_data = 13 entries location/offset/length).
    /// </summary>
    internal void WriteExternalTo(ProtoWriter w, string location, long offset)
    {
        foreach (long d in _dims)
        {
            w.WriteInt64(1, d);
        }

        w.WriteInt32(2, (int)ElementType);
        w.WriteString(8, Name);
        foreach ((string key, string value) in new[] { ("location", location), ("offset", offset.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("length", _raw.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)) })
        {
            var entry = new ProtoWriter(64);
            entry.WriteString(1, key);
            entry.WriteString(2, value);
            w.WriteMessage(13, entry);
        }

        w.WriteInt32(14, 1);
    }

    internal void WriteTo(ProtoWriter w)
    {
        // TensorProto: dims = 1, data_type = 2, name = 8, raw_data = 9.
        foreach (long d in _dims)
        {
            w.WriteInt64(1, d);
        }

        w.WriteInt32(2, (int)ElementType);
        w.WriteString(8, Name);
        w.WriteBytes(9, _raw);
    }
}
