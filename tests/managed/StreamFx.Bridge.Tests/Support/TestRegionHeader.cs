using System.Buffers.Binary;

namespace StreamFx.Bridge.Tests.Support;

/// <summary>
/// Writes a region header byte by byte at the offsets of docs/protocol.md section 2, independently
/// of the library's reader, so a wrong offset in either shows up as a failing test.
/// </summary>
public sealed record TestRegionHeader
{
    public uint Magic { get; init; } = 0x4F584653;
    public ushort VersionMajor { get; init; } = 1;
    public ushort VersionMinor { get; init; }
    public uint HeaderSize { get; init; } = 256;
    public uint SlotCount { get; init; } = 3;
    public uint MaxWidth { get; init; } = 64;
    public uint MaxHeight { get; init; } = 48;
    public uint? SlotStride { get; init; }
    public ulong? RegionSize { get; init; }

    public uint EffectiveSlotStride => SlotStride ?? (uint)((64 + MaxWidth * MaxHeight * 4 + 63) / 64 * 64);
    public ulong EffectiveRegionSize => RegionSize ?? 256 + 6UL * EffectiveSlotStride;

    public byte[] ToBytes()
    {
        var bytes = new byte[256];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(0), Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(4), VersionMajor);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(6), VersionMinor);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), HeaderSize);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(12), SlotCount);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(16), EffectiveSlotStride);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(20), MaxWidth);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(24), MaxHeight);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(32), EffectiveRegionSize);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(40), 1); // input_exchange: middle = 1
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(44), 1); // output_exchange: middle = 1
        return bytes;
    }
}
