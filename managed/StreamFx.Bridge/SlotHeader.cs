using System.Buffers.Binary;

namespace StreamFx.Bridge;

/// <summary>The 64-byte header in front of each slot's pixels (docs/protocol.md section 2).</summary>
public readonly record struct SlotHeader(
    uint Sequence,
    uint SourceSequence,
    uint Width,
    uint Height,
    uint RowBytes,
    PixelFormat PixelFormat,
    ulong CaptureTimeNs,
    uint ProcessUs)
{
    /// <summary>Bytes of pixels the header describes: row_bytes * height.</summary>
    public int PixelBytes => checked((int)(RowBytes * Height));

    /// <summary>Reads the fields once from a slot's first 64 bytes (no validation).</summary>
    public static SlotHeader Read(ReadOnlySpan<byte> slot) => new(
        BinaryPrimitives.ReadUInt32LittleEndian(slot[ProtocolLayout.SlotSequenceOffset..]),
        BinaryPrimitives.ReadUInt32LittleEndian(slot[ProtocolLayout.SlotSourceSequenceOffset..]),
        BinaryPrimitives.ReadUInt32LittleEndian(slot[ProtocolLayout.SlotWidthOffset..]),
        BinaryPrimitives.ReadUInt32LittleEndian(slot[ProtocolLayout.SlotHeightOffset..]),
        BinaryPrimitives.ReadUInt32LittleEndian(slot[ProtocolLayout.SlotRowBytesOffset..]),
        (PixelFormat)BinaryPrimitives.ReadUInt32LittleEndian(slot[ProtocolLayout.SlotPixelFormatOffset..]),
        BinaryPrimitives.ReadUInt64LittleEndian(slot[ProtocolLayout.SlotCaptureTimeOffset..]),
        BinaryPrimitives.ReadUInt32LittleEndian(slot[ProtocolLayout.SlotProcessUsOffset..]));

    /// <summary>Writes all 64 header bytes (reserved bytes zeroed).</summary>
    public void Write(Span<byte> slot)
    {
        slot[..ProtocolLayout.SlotHeaderSize].Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(slot[ProtocolLayout.SlotSequenceOffset..], Sequence);
        BinaryPrimitives.WriteUInt32LittleEndian(slot[ProtocolLayout.SlotSourceSequenceOffset..], SourceSequence);
        BinaryPrimitives.WriteUInt32LittleEndian(slot[ProtocolLayout.SlotWidthOffset..], Width);
        BinaryPrimitives.WriteUInt32LittleEndian(slot[ProtocolLayout.SlotHeightOffset..], Height);
        BinaryPrimitives.WriteUInt32LittleEndian(slot[ProtocolLayout.SlotRowBytesOffset..], RowBytes);
        BinaryPrimitives.WriteUInt32LittleEndian(slot[ProtocolLayout.SlotPixelFormatOffset..], (uint)PixelFormat);
        BinaryPrimitives.WriteUInt64LittleEndian(slot[ProtocolLayout.SlotCaptureTimeOffset..], CaptureTimeNs);
        BinaryPrimitives.WriteUInt32LittleEndian(slot[ProtocolLayout.SlotProcessUsOffset..], ProcessUs);
    }

    /// <summary>
    /// Returns null when the frame geometry and format obey the slot rules for this region, else a
    /// violation naming the field. Checked before any pixel is touched.
    /// </summary>
    public ProtocolViolationException? Check(in RegionHeader region, FrameDirection direction)
    {
        string where = direction == FrameDirection.Input ? "input slot" : "output slot";
        if (Width == 0 || Width > region.MaxWidth)
        {
            return new ProtocolViolationException(where + " width", $"1..{region.MaxWidth}", Width.ToString());
        }

        if (Height == 0 || Height > region.MaxHeight)
        {
            return new ProtocolViolationException(where + " height", $"1..{region.MaxHeight}", Height.ToString());
        }

        ulong minRow = (ulong)Width * ProtocolLayout.BytesPerPixel;
        if (RowBytes < minRow)
        {
            return new ProtocolViolationException(where + " row_bytes", $">= {minRow} (width*4)", RowBytes.ToString());
        }

        if ((ulong)RowBytes * Height > region.PixelCapacity)
        {
            return new ProtocolViolationException(where + " row_bytes", $"row_bytes*height <= {region.PixelCapacity}", $"{RowBytes}*{Height} = {(ulong)RowBytes * Height}");
        }

        if (PixelFormat is not (PixelFormat.Rgba8 or PixelFormat.Bgra8))
        {
            return new ProtocolViolationException(where + " pixel_format", "1 (RGBA8) or 2 (BGRA8)", ((uint)PixelFormat).ToString());
        }

        if (direction == FrameDirection.Input && SourceSequence != Sequence)
        {
            return new ProtocolViolationException(where + " source_sequence", $"{Sequence} (= sequence)", SourceSequence.ToString());
        }

        return null;
    }
}

/// <summary>A taken frame: its header (validated) and its pixels, in place in the region.</summary>
public readonly ref struct FrameSlot
{
    public FrameSlot(int index, SlotHeader header, Span<byte> pixels)
    {
        Index = index;
        Header = header;
        Pixels = pixels;
    }

    /// <summary>Which of the direction's three slots holds the frame.</summary>
    public int Index { get; }
    public SlotHeader Header { get; }

    /// <summary>Exactly row_bytes * height bytes.</summary>
    public Span<byte> Pixels { get; }
}
