using System.Buffers.Binary;

namespace StreamFx.Bridge;

/// <summary>
/// The frame region's fixed header (docs/protocol.md section 2), read once from the mapping into
/// plain fields and validated before anything else in the region is used.
/// </summary>
public readonly record struct RegionHeader(
    uint Magic,
    ushort VersionMajor,
    ushort VersionMinor,
    uint HeaderSize,
    uint SlotCount,
    uint SlotStride,
    uint MaxWidth,
    uint MaxHeight,
    ulong RegionSize)
{
    /// <summary>Bytes available for pixels in one slot.</summary>
    public uint PixelCapacity => SlotStride - ProtocolLayout.SlotHeaderSize;

    /// <summary>Reads the header fields from the first 256 bytes of a region (no validation).</summary>
    public static RegionHeader Read(ReadOnlySpan<byte> region)
    {
        if (region.Length < ProtocolLayout.HeaderSize)
        {
            throw new ProtocolViolationException("region size", $">= {ProtocolLayout.HeaderSize} bytes", $"{region.Length} bytes");
        }

        return new RegionHeader(
            BinaryPrimitives.ReadUInt32LittleEndian(region[ProtocolLayout.MagicOffset..]),
            BinaryPrimitives.ReadUInt16LittleEndian(region[ProtocolLayout.VersionMajorOffset..]),
            BinaryPrimitives.ReadUInt16LittleEndian(region[ProtocolLayout.VersionMinorOffset..]),
            BinaryPrimitives.ReadUInt32LittleEndian(region[ProtocolLayout.HeaderSizeOffset..]),
            BinaryPrimitives.ReadUInt32LittleEndian(region[ProtocolLayout.SlotCountOffset..]),
            BinaryPrimitives.ReadUInt32LittleEndian(region[ProtocolLayout.SlotStrideOffset..]),
            BinaryPrimitives.ReadUInt32LittleEndian(region[ProtocolLayout.MaxWidthOffset..]),
            BinaryPrimitives.ReadUInt32LittleEndian(region[ProtocolLayout.MaxHeightOffset..]),
            BinaryPrimitives.ReadUInt64LittleEndian(region[ProtocolLayout.RegionSizeOffset..]));
    }

    /// <summary>
    /// Checks every rule of section 2 against the size actually mapped. <paramref name="mappedSizeSlack"/>
    /// is how many bytes the mapping may exceed region_size by: 0 where the exact size is known
    /// (Linux: the file size), page-size minus one where the OS rounds the view up (Windows).
    /// Throws <see cref="ProtocolViolationException"/> naming the first field that breaks a rule.
    /// </summary>
    public void Validate(long mappedSize, long mappedSizeSlack = 0)
    {
        if (Magic != ProtocolLayout.Magic)
        {
            Fail("magic", $"0x{ProtocolLayout.Magic:X8}", $"0x{Magic:X8}");
        }

        if (VersionMajor != ProtocolLayout.VersionMajor)
        {
            Fail("version_major", ProtocolLayout.VersionMajor.ToString(), VersionMajor.ToString());
        }

        if (HeaderSize != ProtocolLayout.HeaderSize)
        {
            Fail("header_size", ProtocolLayout.HeaderSize.ToString(), HeaderSize.ToString());
        }

        if (SlotCount != ProtocolLayout.SlotCount)
        {
            Fail("slot_count", ProtocolLayout.SlotCount.ToString(), SlotCount.ToString());
        }

        if (MaxWidth is 0 or > ProtocolLayout.MaxDimension)
        {
            Fail("max_width", $"1..{ProtocolLayout.MaxDimension}", MaxWidth.ToString());
        }

        if (MaxHeight is 0 or > ProtocolLayout.MaxDimension)
        {
            Fail("max_height", $"1..{ProtocolLayout.MaxDimension}", MaxHeight.ToString());
        }

        if (SlotStride % ProtocolLayout.SlotStrideAlignment != 0)
        {
            Fail("slot_stride", $"a multiple of {ProtocolLayout.SlotStrideAlignment}", SlotStride.ToString());
        }

        ulong minStride = ProtocolLayout.SlotHeaderSize + (ulong)MaxWidth * MaxHeight * ProtocolLayout.BytesPerPixel;
        if (SlotStride < minStride)
        {
            Fail("slot_stride", $">= {minStride} (64 + max_width*max_height*4)", SlotStride.ToString());
        }

        ulong expectedSize = ProtocolLayout.RegionSize(SlotStride);
        if (RegionSize != expectedSize)
        {
            Fail("region_size", $"{expectedSize} (256 + 6*slot_stride)", RegionSize.ToString());
        }

        if (mappedSize < 0 || RegionSize > (ulong)mappedSize || (ulong)mappedSize - RegionSize > (ulong)mappedSizeSlack)
        {
            string expected = mappedSizeSlack == 0 ? $"{mappedSize} (the mapped size)" : $"the mapped size {mappedSize} (within {mappedSizeSlack} bytes)";
            Fail("region_size", expected, RegionSize.ToString());
        }
    }

    private static void Fail(string field, string expected, string found) =>
        throw new ProtocolViolationException("region header field " + field, expected, found);
}
