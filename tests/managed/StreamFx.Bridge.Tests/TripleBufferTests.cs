using System.Buffers.Binary;
using StreamFx.Bridge.Tests.Support;

namespace StreamFx.Bridge.Tests;

public sealed class TripleBufferTests
{
    private const uint Width = 16, Height = 8, RowBytes = Width * 4;

    private static void Fill(Span<byte> pixels, byte value) => pixels.Fill(value);

    [Fact]
    public void NothingToTakeBeforeTheFirstPublish()
    {
        using ShimRegion shim = ShimRegion.Create(Width, Height);
        using FrameRegion host = FrameRegion.Open(shim.Name);
        Assert.Equal(TakeResult.None, host.CreateReader(FrameDirection.Input).TryTake(out _));
    }

    [Fact]
    public void PublishedFrameIsTakenWithItsHeaderAndPixels()
    {
        using ShimRegion shim = ShimRegion.Create(Width, Height);
        using FrameRegion host = FrameRegion.Open(shim.Name);
        TripleBufferReader reader = host.CreateReader(FrameDirection.Input);

        shim.PublishInput(41, 10, 4, 48, PixelFormat.Bgra8, 123456789, p => Fill(p, 0xAB));
        Assert.Equal(TakeResult.Taken, reader.TryTake(out FrameSlot frame));
        Assert.Equal(new SlotHeader(41, 41, 10, 4, 48, PixelFormat.Bgra8, 123456789, 0), frame.Header);
        Assert.Equal(48 * 4, frame.Pixels.Length);
        Assert.True(frame.Pixels.ToArray().All(b => b == 0xAB));

        // The writer started on slot 0 (section 3's initial state), so the reader now holds slot 0.
        Assert.Equal(0, frame.Index);
        Assert.Equal(TakeResult.None, reader.TryTake(out _));
    }

    [Fact]
    public void LatestFrameWinsWhenTheReaderFallsBehind()
    {
        using ShimRegion shim = ShimRegion.Create(Width, Height);
        using FrameRegion host = FrameRegion.Open(shim.Name);
        TripleBufferReader reader = host.CreateReader(FrameDirection.Input);

        for (uint seq = 1; seq <= 5; seq++)
        {
            shim.PublishInput(seq, Width, Height, RowBytes, PixelFormat.Rgba8, 0, p => Fill(p, (byte)seq));
        }

        Assert.Equal(TakeResult.Taken, reader.TryTake(out FrameSlot frame));
        Assert.Equal(5u, frame.Header.Sequence);
        Assert.Equal(5, frame.Pixels[0]);
        Assert.Equal(TakeResult.None, reader.TryTake(out _));
    }

    [Fact]
    public void SlotsRotateAndNeverHandTheReaderTheWritersSlot()
    {
        using ShimRegion shim = ShimRegion.Create(Width, Height);
        using FrameRegion host = FrameRegion.Open(shim.Name);
        TripleBufferReader reader = host.CreateReader(FrameDirection.Input);
        for (uint seq = 1; seq <= 20; seq++)
        {
            shim.PublishInput(seq, Width, Height, RowBytes, PixelFormat.Rgba8, 0, p => Fill(p, (byte)seq));
            if (seq % 3 == 0)
            {
                continue; // the reader skips some frames
            }

            Assert.Equal(TakeResult.Taken, reader.TryTake(out FrameSlot frame));
            Assert.Equal(seq, frame.Header.Sequence);
            Assert.NotEqual(shim.Input.Back, frame.Index);
        }
    }

    [Fact]
    public void FrameNotNewerThanTheLastTakenIsStale()
    {
        using ShimRegion shim = ShimRegion.Create(Width, Height);
        using FrameRegion host = FrameRegion.Open(shim.Name);
        TripleBufferReader reader = host.CreateReader(FrameDirection.Input);

        shim.PublishInput(0xFFFFFFFF, Width, Height, RowBytes, PixelFormat.Rgba8, 0, p => Fill(p, 1));
        Assert.Equal(TakeResult.Taken, reader.TryTake(out _));
        shim.PublishInput(0, Width, Height, RowBytes, PixelFormat.Rgba8, 0, p => Fill(p, 2)); // newer across the wrap
        Assert.Equal(TakeResult.Taken, reader.TryTake(out _));
        shim.PublishInput(0, Width, Height, RowBytes, PixelFormat.Rgba8, 0, p => Fill(p, 3)); // repeated
        Assert.Equal(TakeResult.Stale, reader.TryTake(out _));
        shim.PublishInput(0xFFFFFFF0, Width, Height, RowBytes, PixelFormat.Rgba8, 0, p => Fill(p, 4)); // older
        Assert.Equal(TakeResult.Stale, reader.TryTake(out _));
        Assert.Equal(0u, reader.LastSequence);
    }

    public static TheoryData<string, SlotHeader> BadSlots() => new()
    {
        { "input slot width", new SlotHeader(1, 1, 0, Height, RowBytes, PixelFormat.Rgba8, 0, 0) },
        { "input slot width", new SlotHeader(1, 1, Width + 1, Height, RowBytes + 4, PixelFormat.Rgba8, 0, 0) },
        { "input slot height", new SlotHeader(1, 1, Width, 0, RowBytes, PixelFormat.Rgba8, 0, 0) },
        { "input slot height", new SlotHeader(1, 1, Width, Height + 1, RowBytes, PixelFormat.Rgba8, 0, 0) },
        { "input slot row_bytes", new SlotHeader(1, 1, Width, Height, RowBytes - 1, PixelFormat.Rgba8, 0, 0) },
        { "input slot row_bytes", new SlotHeader(1, 1, Width, Height, RowBytes * 2, PixelFormat.Rgba8, 0, 0) },
        { "input slot row_bytes", new SlotHeader(1, 1, Width, Height, 0x80000000, PixelFormat.Rgba8, 0, 0) },
        { "input slot pixel_format", new SlotHeader(1, 1, Width, Height, RowBytes, (PixelFormat)0, 0, 0) },
        { "input slot pixel_format", new SlotHeader(1, 1, Width, Height, RowBytes, (PixelFormat)3, 0, 0) },
        { "input slot source_sequence", new SlotHeader(1, 2, Width, Height, RowBytes, PixelFormat.Rgba8, 0, 0) },
    };

    [Theory]
    [MemberData(nameof(BadSlots))]
    public void SlotHeaderBreakingARuleIsAViolation(string field, SlotHeader bad)
    {
        using ShimRegion shim = ShimRegion.Create(Width, Height);
        using FrameRegion host = FrameRegion.Open(shim.Name);
        TripleBufferReader reader = host.CreateReader(FrameDirection.Input);

        // A hostile shim writes the header by hand (the library's writer refuses to publish it).
        int back = shim.Input.Back;
        Assert.Throws<ArgumentException>(() => shim.Input.Publish(bad));
        shim.PokeSlotHeader(FrameDirection.Input, back, bad);
        shim.PokeExchange(FrameDirection.Input, (uint)back | ProtocolLayout.ExchangeFresh);

        var e = Assert.Throws<ProtocolViolationException>(() => reader.TryTake(out _));
        Assert.Equal(field, e.Field);
    }

    [Theory]
    [InlineData(0x3u | ProtocolLayout.ExchangeFresh)]  // index 3
    [InlineData(0x2u | ProtocolLayout.ExchangeFresh)]  // the reader's own front slot
    [InlineData(0x8u | 0x1u | ProtocolLayout.ExchangeFresh)] // bit 3 set
    public void ExchangeWordOutsideTheRulesIsAViolation(uint word)
    {
        using ShimRegion shim = ShimRegion.Create(Width, Height);
        using FrameRegion host = FrameRegion.Open(shim.Name);
        TripleBufferReader reader = host.CreateReader(FrameDirection.Input);
        shim.PokeExchange(FrameDirection.Input, word);
        var e = Assert.Throws<ProtocolViolationException>(() => reader.TryTake(out _));
        Assert.Equal("input_exchange", e.Field);
        Assert.Contains($"0x{word:X8}", e.Found);
    }

    [Fact]
    public void WriterRefusesAnExchangeWordHandingItAnInvalidSlot()
    {
        using ShimRegion shim = ShimRegion.Create(Width, Height);
        shim.PokeExchange(FrameDirection.Output, 0x3);
        using FrameRegion host = FrameRegion.Open(shim.Name);
        TripleBufferWriter writer = host.CreateWriter(FrameDirection.Output);
        var e = Assert.Throws<ProtocolViolationException>(() => writer.Publish(new SlotHeader(1, 1, Width, Height, RowBytes, PixelFormat.Rgba8, 0, 0)));
        Assert.Equal("output_exchange", e.Field);
    }

    [Fact]
    public void ConcurrentWriterAndReaderNeverSeeATornFrame()
    {
        // The frame is filled with its own sequence number in every u32; a reader that ever saw a
        // slot the writer was filling would find mixed values.
        const uint w = 64, h = 32;
        const int frames = 20000;
        using ShimRegion shim = ShimRegion.Create(w, h);
        using FrameRegion host = FrameRegion.Open(shim.Name);
        TripleBufferReader reader = host.CreateReader(FrameDirection.Input);
        using var writerDone = new ManualResetEventSlim();
        Exception? writerError = null;

        var writer = new Thread(() =>
        {
            try
            {
                for (uint seq = 1; seq <= frames; seq++)
                {
                    Span<byte> pixels = shim.Input.BackPixels[..(int)(w * 4 * h)];
                    for (int i = 0; i < pixels.Length; i += 4)
                    {
                        BinaryPrimitives.WriteUInt32LittleEndian(pixels[i..], seq);
                    }

                    shim.Input.Publish(new SlotHeader(seq, seq, w, h, w * 4, PixelFormat.Rgba8, seq, 0));
                }
            }
            catch (Exception e)
            {
                writerError = e;
            }
            finally
            {
                writerDone.Set();
            }
        });
        writer.Start();

        uint last = 0;
        int taken = 0;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            bool finished = writerDone.IsSet;
            TakeResult result = reader.TryTake(out FrameSlot frame);
            if (result == TakeResult.Taken)
            {
                taken++;
                uint seq = frame.Header.Sequence;
                Assert.True(seq > last, $"sequence {seq} after {last}");
                Assert.Equal((ulong)seq, frame.Header.CaptureTimeNs);
                ReadOnlySpan<byte> pixels = frame.Pixels;
                for (int i = 0; i < pixels.Length; i += 4)
                {
                    uint value = BinaryPrimitives.ReadUInt32LittleEndian(pixels[i..]);
                    if (value != seq)
                    {
                        Assert.Fail($"torn frame {seq}: u32 at byte {i} is {value}");
                    }
                }

                last = seq;
            }

            Assert.NotEqual(TakeResult.Stale, result);
            if (finished && result == TakeResult.None)
            {
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, "writer did not finish in 60 s");
        }

        writer.Join();
        Assert.Null(writerError);
        Assert.Equal((uint)frames, last); // the final frame is always delivered
        Assert.True(taken > 1, $"only {taken} frames were taken");
    }
}
