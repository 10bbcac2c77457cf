using System.Buffers.Binary;
using System.Text;

namespace StreamFx.Onnx;

/// <summary>
/// Protocol-buffers wire-format encoder (varint, fixed32, length-delimited) into a growable buffer.
/// Only what ONNX's proto2 schema needs; nested messages are written into their own writer first
/// because the length prefix must precede the content.
/// </summary>
public sealed class ProtoWriter
{
    private const int WireVarint = 0;
    private const int WireFixed32 = 5;
    private const int WireLengthDelimited = 2;

    private byte[] _buffer;
    private int _length;

    public ProtoWriter(int initialCapacity = 256)
    {
        _buffer = new byte[Math.Max(16, initialCapacity)];
    }

    public int Length => _length;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _length);

    public void WriteInt64(int field, long value)
    {
        WriteTag(field, WireVarint);
        WriteVarint((ulong)value);
    }

    /// <summary>int32 fields: negative values are sign-extended to 64 bits, as the protobuf spec requires.</summary>
    public void WriteInt32(int field, int value)
    {
        WriteTag(field, WireVarint);
        WriteVarint((ulong)(long)value);
    }

    public void WriteFloat(int field, float value)
    {
        WriteTag(field, WireFixed32);
        Span<byte> bytes = Reserve(4);
        BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
    }

    public void WriteString(int field, string value)
    {
        WriteTag(field, WireLengthDelimited);
        int count = Encoding.UTF8.GetByteCount(value);
        WriteVarint((ulong)count);
        Encoding.UTF8.GetBytes(value, Reserve(count));
    }

    public void WriteBytes(int field, ReadOnlySpan<byte> value)
    {
        WriteTag(field, WireLengthDelimited);
        WriteVarint((ulong)value.Length);
        value.CopyTo(Reserve(value.Length));
    }

    public void WriteMessage(int field, ProtoWriter message) => WriteBytes(field, message.WrittenSpan);

    public void WriteTo(Stream stream) => stream.Write(_buffer, 0, _length);

    public byte[] ToArray() => _buffer.AsSpan(0, _length).ToArray();

    private void WriteTag(int field, int wireType)
    {
        if (field <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(field), field, "protobuf field numbers start at 1");
        }

        WriteVarint(((ulong)field << 3) | (uint)wireType);
    }

    internal void WriteVarint(ulong value)
    {
        Span<byte> scratch = stackalloc byte[10];
        int n = 0;
        while (value >= 0x80)
        {
            scratch[n++] = (byte)(value | 0x80);
            value >>= 7;
        }

        scratch[n++] = (byte)value;
        scratch[..n].CopyTo(Reserve(n));
    }

    private Span<byte> Reserve(int count)
    {
        int needed = _length + count;
        if (needed > _buffer.Length)
        {
            if (needed > Array.MaxLength || needed < 0)
            {
                throw new InvalidOperationException($"protobuf message would pass {Array.MaxLength} bytes (ONNX's 2 GB limit): write large initializers as external data");
            }

            // Past half the limit, take it all at once: growing to just what is needed would copy the whole buffer on every write.
            long grown = Math.Min(Math.Max(needed, (long)_buffer.Length * 2), Array.MaxLength);

            Array.Resize(ref _buffer, (int)grown);
        }

        Span<byte> span = _buffer.AsSpan(_length, count);
        _length = needed;
        return span;
    }
}
