namespace StreamFx.Bridge;

/// <summary>Sizes, offsets and limits of protocol version 1.0 (docs/protocol.md sections 2, 3 and 5).</summary>
public static class ProtocolLayout
{
    public const uint Magic = 0x4F584653; // the bytes "SFXO" read as a little-endian u32
    public const ushort VersionMajor = 1;
    public const ushort VersionMinor = 0;

    public const int HeaderSize = 256;
    public const int SlotCount = 3;
    public const int SlotHeaderSize = 64;
    public const int SlotStrideAlignment = 64;
    public const uint MaxDimension = 8192;
    public const int BytesPerPixel = 4;

    // Region header field offsets.
    public const int MagicOffset = 0;
    public const int VersionMajorOffset = 4;
    public const int VersionMinorOffset = 6;
    public const int HeaderSizeOffset = 8;
    public const int SlotCountOffset = 12;
    public const int SlotStrideOffset = 16;
    public const int MaxWidthOffset = 20;
    public const int MaxHeightOffset = 24;
    public const int HeaderReservedOffset = 28;
    public const int RegionSizeOffset = 32;
    public const int InputExchangeOffset = 40;
    public const int OutputExchangeOffset = 44;
    public const int HostStateOffset = 48;
    public const int HostHeartbeatOffset = 52;

    // Slot header field offsets.
    public const int SlotSequenceOffset = 0;
    public const int SlotSourceSequenceOffset = 4;
    public const int SlotWidthOffset = 8;
    public const int SlotHeightOffset = 12;
    public const int SlotRowBytesOffset = 16;
    public const int SlotPixelFormatOffset = 20;
    public const int SlotCaptureTimeOffset = 24;
    public const int SlotProcessUsOffset = 32;

    // Triple-buffer exchange word.
    public const uint ExchangeIndexMask = 0x3;
    public const uint ExchangeFresh = 0x4;
    public const uint ExchangeInitial = 0x1; // middle = 1, not fresh
    public const int InitialWriterBack = 0;
    public const int InitialReaderFront = 2;

    // Control messages.
    public const int MessageHeaderSize = 8;
    public const int MaxMessagePayload = 65536;
    public const int MaxLogText = 4096;

    /// <summary>Offset of slot <paramref name="index"/> (0..2) of a direction from the start of the region.</summary>
    public static long SlotOffset(FrameDirection direction, int index, uint slotStride) =>
        HeaderSize + ((direction == FrameDirection.Output ? SlotCount : 0) + index) * (long)slotStride;

    /// <summary>Total region size for a slot stride: 256 + 6 * stride.</summary>
    public static ulong RegionSize(uint slotStride) => HeaderSize + 2UL * SlotCount * slotStride;

    /// <summary>The smallest valid slot stride for a maximum frame size (rounded up to 64).</summary>
    public static uint MinSlotStride(uint maxWidth, uint maxHeight)
    {
        ulong bytes = SlotHeaderSize + (ulong)maxWidth * maxHeight * BytesPerPixel;
        return checked((uint)((bytes + SlotStrideAlignment - 1) / SlotStrideAlignment * SlotStrideAlignment));
    }
}

public enum FrameDirection
{
    Input,  // shim -> host
    Output, // host -> shim
}

public enum PixelFormat : uint
{
    Rgba8 = 1,
    Bgra8 = 2,
}

/// <summary>Values of the region header's host_state word.</summary>
public enum HostState : uint
{
    Starting = 0,
    Ready = 1,
    Stopping = 2,
}
