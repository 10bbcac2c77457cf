using System.Security.Cryptography;

namespace StreamFx.Bridge.Tests.Support;

/// <summary>
/// Plays the shim's part of the frame region: creates /dev/shm/streamfx-&lt;32 hex&gt; with mode
/// 0600 and a header, and maps it with the shim's roles (writes input, reads output).
/// </summary>
public sealed class ShimRegion : IDisposable
{
    private ShimRegion(string name, string path, FrameRegion region)
    {
        Name = name;
        Path = path;
        Region = region;
        Input = region.CreateWriter(FrameDirection.Input);
        Output = region.CreateReader(FrameDirection.Output);
    }

    /// <summary>The name passed to the host: "/streamfx-&lt;32 hex&gt;".</summary>
    public string Name { get; }
    public string Path { get; }
    public FrameRegion Region { get; }
    public TripleBufferWriter Input { get; }
    public TripleBufferReader Output { get; }

    public static string NewName() => "/" + FrameRegionName.Prefix + RandomNumberGenerator.GetHexString(32, lowercase: true);

    public static ShimRegion Create(uint maxWidth, uint maxHeight) => Create(new TestRegionHeader { MaxWidth = maxWidth, MaxHeight = maxHeight });

    public static ShimRegion Create(TestRegionHeader header, long? fileSize = null)
    {
        string name = NewName();
        string path = CreateFile(name, header, fileSize);
        try
        {
            return new ShimRegion(name, path, FrameRegion.Attach(UnixFrameRegionMapping.OpenPath(path)));
        }
        catch
        {
            File.Delete(path);
            throw;
        }
    }

    /// <summary>Creates the region file only (for tests that expect the header to be refused).</summary>
    public static string CreateFile(string name, TestRegionHeader header, long? fileSize = null)
    {
        string path = System.IO.Path.Combine(UnixFrameRegionMapping.ShmDirectory, name.TrimStart('/'));
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.ReadWrite,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        };
        using var stream = new FileStream(path, options);
        stream.SetLength(fileSize ?? (long)header.EffectiveRegionSize);
        stream.Write(header.ToBytes());
        return path;
    }

    /// <summary>Fills the input back slot with <paramref name="fill"/> and publishes it.</summary>
    public void PublishInput(uint sequence, uint width, uint height, uint rowBytes, PixelFormat format, ulong captureTimeNs, Action<Span<byte>> fill)
    {
        fill(Input.BackPixels[..(int)(rowBytes * height)]);
        Input.Publish(new SlotHeader(sequence, sequence, width, height, rowBytes, format, captureTimeNs, 0));
    }

    /// <summary>
    /// Writes raw bytes into the region through the file (the same pages as every mapping), as a
    /// hostile or broken shim would, bypassing the library's checks.
    /// </summary>
    public void Poke(long offset, ReadOnlySpan<byte> bytes)
    {
        using var handle = File.OpenHandle(Path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        RandomAccess.Write(handle, bytes, offset);
    }

    public void PokeUInt32(long offset, uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        Poke(offset, bytes);
    }

    public void PokeExchange(FrameDirection direction, uint word) =>
        PokeUInt32(direction == FrameDirection.Input ? ProtocolLayout.InputExchangeOffset : ProtocolLayout.OutputExchangeOffset, word);

    public void PokeSlotHeader(FrameDirection direction, int index, SlotHeader header)
    {
        var bytes = new byte[ProtocolLayout.SlotHeaderSize];
        header.Write(bytes);
        Poke(ProtocolLayout.SlotOffset(direction, index, Region.Header.SlotStride), bytes);
    }

    public void Dispose()
    {
        Region.Dispose();
        File.Delete(Path);
    }
}
