using System.Buffers.Binary;

namespace StreamFx.Onnx;

/// <summary>
/// A constant tensor (initializer or Constant attribute), stored as little-endian raw_data bytes.
/// </summary>
public sealed class OnnxTensor
{
    private readonly byte[]? _raw;
    private readonly Func<byte[]>? _deferred;
    private readonly long[] _dims;

    private OnnxTensor(string name, OnnxElementType elementType, long[] dims, byte[]? raw, Func<byte[]>? deferred = null)
    {
        long count = 1;
        foreach (long d in dims)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(d, nameof(dims));
            count *= d;
        }

        long bytes = count * OnnxElementTypeInfo.SizeInBytes(elementType);
        if (raw is not null && bytes != raw.Length)
        {
            throw new ArgumentException(
                $"tensor '{name}': shape [{string.Join(",", dims)}] needs {count} elements of {OnnxElementTypeInfo.Name(elementType)}, got {raw.Length} bytes");
        }

        Name = name;
        ElementType = elementType;
        ElementCount = count;
        ByteLength = bytes;
        _dims = dims;
        _raw = raw;
        _deferred = deferred;
    }

    public string Name { get; }

    public OnnxElementType ElementType { get; }

    public IReadOnlyList<long> Dims => _dims;

    /// <summary>Number of elements (product of the dims).</summary>
    public long ElementCount { get; }

    /// <summary>Size of the data in bytes, known without making a deferred tensor's bytes.</summary>
    public long ByteLength { get; }

    /// <summary>True when the bytes are made only at write time (<see cref="Deferred"/>).</summary>
    public bool IsDeferred => _deferred is not null;

    /// <summary>The bytes; a deferred tensor makes them anew on each call (the writer calls it once).</summary>
    public ReadOnlySpan<byte> RawData => _raw ?? Materialize();

    /// <summary>
    /// A tensor whose bytes <paramref name="make"/> produces when the model is written, so a graph of a billion
    /// weights can be built, inspected and counted without holding them, and written one tensor at a time.
    /// </summary>
    public static OnnxTensor Deferred(string name, OnnxElementType elementType, Func<byte[]> make, params long[] dims) =>
        new(name, elementType, dims, null, make);

    private byte[] Materialize()
    {
        byte[] bytes = _deferred!();
        if (bytes.LongLength != ByteLength)
        {
            throw new InvalidOperationException($"tensor '{Name}': deferred data has {bytes.LongLength} bytes, its shape [{string.Join(",", _dims)}] needs {ByteLength}");
        }

        return bytes;
    }

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

    public OnnxTensor WithName(string name) => new(name, ElementType, _dims, _raw, _deferred);

    /// <summary>
    /// Writes the TensorProto with its bytes in <paramref name="sideFile"/> instead of raw_data (ONNX external
    /// data: data_location = 14 EXTERNAL, external_data = 13 entries location/offset/length).
    /// </summary>
    internal void WriteExternalTo(ProtoWriter w, string location, long offset, long length)
    {
        foreach (long d in _dims)
        {
            w.WriteInt64(1, d);
        }

        w.WriteInt32(2, (int)ElementType);
        w.WriteString(8, Name);
        foreach ((string key, string value) in new[] { ("location", location), ("offset", offset.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("length", length.ToString(System.Globalization.CultureInfo.InvariantCulture)) })
        {
            var entry = new ProtoWriter(64);
            entry.WriteString(1, key);
            entry.WriteString(2, value);
            w.WriteMessage(13, entry);
        }

        w.WriteInt32(14, 1);
    }

    internal void WriteTo(ProtoWriter w) => WriteTo(w, RawData);

    /// <summary>Writes the TensorProto with <paramref name="raw"/> (this tensor's bytes, made once by the caller).</summary>
    internal void WriteTo(ProtoWriter w, ReadOnlySpan<byte> raw)
    {
        // TensorProto: dims = 1, data_type = 2, name = 8, raw_data = 9.
        foreach (long d in _dims)
        {
            w.WriteInt64(1, d);
        }

        w.WriteInt32(2, (int)ElementType);
        w.WriteString(8, Name);
        w.WriteBytes(9, raw);
    }
}
