using System.Buffers.Binary;

namespace StreamFx.Bridge;

/// <summary>Control message types (docs/protocol.md section 5).</summary>
public enum MessageType : ushort
{
    Hello = 1,
    Configure = 2,
    FrameReady = 3,
    FrameDone = 4,
    Status = 5,
    Log = 6,
    Shutdown = 7,
}

/// <summary>LOG message levels.</summary>
public enum LogLevel : byte
{
    Error = 0,
    Warning = 1,
    Info = 2,
    Debug = 3,
}

/// <summary>The 8-byte header in front of every control message.</summary>
public readonly record struct MessageHeader(uint Length, ushort Type, ushort Flags)
{
    public static MessageHeader Read(ReadOnlySpan<byte> bytes) => new(
        BinaryPrimitives.ReadUInt32LittleEndian(bytes),
        BinaryPrimitives.ReadUInt16LittleEndian(bytes[4..]),
        BinaryPrimitives.ReadUInt16LittleEndian(bytes[6..]));

    public void Write(Span<byte> bytes)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, Length);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes[4..], Type);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes[6..], Flags);
    }

    /// <summary>The payload size a known type must have, or -1 when it is variable (or the type unknown).</summary>
    public static int FixedPayloadSize(MessageType type) => type switch
    {
        MessageType.Hello => 8,
        MessageType.FrameReady => 4,
        MessageType.FrameDone => 12,
        MessageType.Shutdown => 0,
        _ => -1,
    };

    public static bool IsKnown(ushort type) => type is >= (ushort)MessageType.Hello and <= (ushort)MessageType.Shutdown;
}
