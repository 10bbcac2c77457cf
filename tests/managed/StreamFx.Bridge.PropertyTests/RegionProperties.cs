using System.Buffers.Binary;
using CsCheck;
using StreamFx.Bridge.PropertyTests.Support;
using Xunit.Abstractions;

namespace StreamFx.Bridge.PropertyTests;

/// <summary>
/// The frame region as a hostile shim could fill it: arbitrary header bytes, valid headers with one
/// field broken, arbitrary slot headers, and exchange words with any value. The host may only ever
/// see a named violation, and anything it accepts must lie inside the mapping.
/// </summary>
public sealed class RegionProperties(ITestOutputHelper output)
{
    private const long Iterations = 100_000;

    private static byte[] ValidHeader(uint maxWidth, uint maxHeight, uint extraStride = 0)
    {
        uint stride = ProtocolLayout.MinSlotStride(maxWidth, maxHeight) + extraStride * ProtocolLayout.SlotStrideAlignment;
        var h = new byte[ProtocolLayout.HeaderSize];
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(ProtocolLayout.MagicOffset), ProtocolLayout.Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(ProtocolLayout.VersionMajorOffset), ProtocolLayout.VersionMajor);
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(ProtocolLayout.VersionMinorOffset), ProtocolLayout.VersionMinor);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(ProtocolLayout.HeaderSizeOffset), ProtocolLayout.HeaderSize);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(ProtocolLayout.SlotCountOffset), ProtocolLayout.SlotCount);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(ProtocolLayout.SlotStrideOffset), stride);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(ProtocolLayout.MaxWidthOffset), maxWidth);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(ProtocolLayout.MaxHeightOffset), maxHeight);
        BinaryPrimitives.WriteUInt64LittleEndian(h.AsSpan(ProtocolLayout.RegionSizeOffset), ProtocolLayout.RegionSize(stride));
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(ProtocolLayout.InputExchangeOffset), ProtocolLayout.ExchangeInitial);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(ProtocolLayout.OutputExchangeOffset), ProtocolLayout.ExchangeInitial);
        return h;
    }

    private static uint[] Replace(uint[] fields, int index, uint value)
    {
        fields[index] = value;
        return fields;
    }

    private static long ClaimedSize(byte[] header) => (long)BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(ProtocolLayout.RegionSizeOffset));

    /// <summary>Attaches like the host does; the result is the region (and its memory, for a hostile peer to write) or the violation.</summary>
    private static (FrameRegion? Region, NativeRegionMapping Memory, ProtocolViolationException? Violation) Attach(byte[] contents, long mappedSize)
    {
        var mapping = new NativeRegionMapping(contents, mappedSize);
        try
        {
            return (FrameRegion.Attach(mapping), mapping, null);
        }
        catch (ProtocolViolationException e)
        {
            return (null, mapping, e); // Attach disposed the mapping
        }
    }

    [Fact]
    public void Arbitrary_header_bytes_are_refused_by_name_or_describe_a_region_that_fits_the_mapping()
    {
        // Mapped sizes near what the header claims (when small enough to allocate) and arbitrary ones.
        Gen<(byte[] Header, int SizeMode, int Noise)> gen = Gen.Select(
            Gen.OneOf(Gen.Byte.Array[ProtocolLayout.HeaderSize], Gen.Select(Gen.UInt[1, 16], Gen.UInt[1, 16], Gen.Int[0, 255], Gen.Byte,
                (w, h, pos, value) =>
                {
                    byte[] b = ValidHeader(w, h);
                    b[pos % 64] ^= value; // flip bits in the fields the rules cover
                    return b;
                })),
            Gen.Int[0, 2], Gen.Int[-64, 64]);
        long accepted = 0;
        CountedSample.Run(gen, t =>
        {
            long claimed = ClaimedSize(t.Header);
            long mapped = t.SizeMode switch
            {
                0 when claimed is >= 0 and <= 1 << 20 => claimed,
                1 => ProtocolLayout.HeaderSize + Math.Abs(t.Noise) * 64L,
                _ => Math.Clamp(claimed + t.Noise, 1, 1 << 20),
            };
            var (region, _, violation) = Attach(t.Header, mapped);
            if (region is null)
            {
                Assert.StartsWith("region", violation!.Field);
                return;
            }

            Interlocked.Increment(ref accepted);
            using (region)
            {
                RegionHeader h = region.Header;
                Assert.Equal((ulong)mapped, ProtocolLayout.RegionSize(h.SlotStride));
                Assert.True(ProtocolLayout.SlotOffset(FrameDirection.Output, 2, h.SlotStride) + h.SlotStride <= mapped);
                Assert.True((ulong)h.MaxWidth * h.MaxHeight * 4 + ProtocolLayout.SlotHeaderSize <= h.SlotStride);
            }
        }, Iterations, output, "arbitrary region headers");
        output.WriteLine($"  of which accepted: {accepted}");
        Assert.True(accepted > 0, "no generated header was valid: the accepting branch never ran");
    }

    [Fact]
    public void Any_slot_header_the_reader_accepts_describes_pixels_inside_its_slot()
    {
        // A valid frame for the region, then (most of the time) one field replaced by anything.
        var gen =
            from w in Gen.UInt[1, 12]
            from h in Gen.UInt[1, 12]
            from extra in Gen.UInt[0, 2]
            from width in Gen.UInt[1, w]
            from height in Gen.UInt[1, h]
            from pad in Gen.UInt[0, 3]
            from format in Gen.UInt[1, 2]
            from seq in Gen.UInt
            from corrupt in Gen.Int[0, 7]
            from noise in Gen.OneOf(Gen.UInt, Gen.UInt[0, 100])
            from word in Gen.OneOf(Gen.UInt[4, 5], Gen.UInt[0, 15], Gen.UInt)
            from input in Gen.Bool
            let fields = new[] { seq, seq, width, height, width * 4 + pad * 4, format }
            select (W: w, H: h, Extra: extra, Fields: corrupt < 6 ? Replace(fields, corrupt, noise) : fields, Word: word, Input: input);
        long taken = 0, refused = 0;
        CountedSample.Run(gen, t =>
        {
            byte[] header = ValidHeader(t.W, t.H, t.Extra);
            var (region, memory, _) = Attach(header, ClaimedSize(header));
            using (region!)
            {
                FrameDirection dir = t.Input ? FrameDirection.Input : FrameDirection.Output;
                // The peer (writer) wrote these fields into every slot and this word into the exchange,
                // straight into memory, past the library's own checks.
                var slot = new SlotHeader(t.Fields[0], t.Fields[1], t.Fields[2], t.Fields[3], t.Fields[4], (PixelFormat)t.Fields[5], 0, 0);
                for (int i = 0; i < 3; i++)
                {
                    slot.Write(memory.Bytes[(int)ProtocolLayout.SlotOffset(dir, i, region!.Header.SlotStride)..]);
                }

                int wordOffset = dir == FrameDirection.Input ? ProtocolLayout.InputExchangeOffset : ProtocolLayout.OutputExchangeOffset;
                BinaryPrimitives.WriteUInt32LittleEndian(memory.Bytes[wordOffset..], t.Word);
                TripleBufferReader reader = region!.CreateReader(dir);
                try
                {
                    TakeResult r = reader.TryTake(out FrameSlot frame);
                    if (r == TakeResult.Taken)
                    {
                        Interlocked.Increment(ref taken);
                        SlotHeader s = frame.Header;
                        Assert.InRange(s.Width, 1u, t.W);
                        Assert.InRange(s.Height, 1u, t.H);
                        Assert.True(s.RowBytes >= s.Width * 4);
                        Assert.Equal((long)s.RowBytes * s.Height, frame.Pixels.Length);
                        Assert.True(frame.Pixels.Length <= region.Header.PixelCapacity);
                        Assert.InRange(frame.Index, 0, 2);
                        Assert.NotEqual(2, frame.Index); // the reader's own front slot can never be handed over
                    }
                }
                catch (ProtocolViolationException e)
                {
                    Interlocked.Increment(ref refused);
                    Assert.False(string.IsNullOrEmpty(e.Field));
                }
            }
        }, Iterations, output, "slot headers and exchange words");
        output.WriteLine($"  of which taken: {taken}, refused: {refused}");
        Assert.True(taken > 0 && refused > 0, "both outcomes must occur");
    }

    [Fact]
    public void A_well_behaved_writer_and_reader_agree_on_the_newest_frame_whatever_the_interleaving()
    {
        // true: the writer publishes the next sequence; false: the reader takes.
        Gen<(bool[] Ops, uint First)> gen = Gen.Select(Gen.Bool.Array[1, 60], Gen.UInt);
        CountedSample.Run(gen, t =>
        {
            byte[] header = ValidHeader(4, 4);
            var (region, _, _) = Attach(header, ClaimedSize(header));
            using (region!)
            {
                TripleBufferWriter writer = region!.CreateWriter(FrameDirection.Input);
                TripleBufferReader reader = region.CreateReader(FrameDirection.Input);
                uint next = t.First;
                uint? lastPublished = null, lastTaken = null;
                foreach (bool publish in t.Ops)
                {
                    if (publish)
                    {
                        writer.Publish(new SlotHeader(next, next, 4, 4, 16, PixelFormat.Rgba8, 0, 0));
                        lastPublished = next;
                        next = SequenceNumber.Next(next);
                        Assert.NotEqual(writer.Back, reader.Front);
                    }
                    else
                    {
                        TakeResult r = reader.TryTake(out FrameSlot frame);
                        if (lastPublished is not null && lastPublished != lastTaken)
                        {
                            // Latest frame wins: whatever was published since the last take, the newest.
                            Assert.Equal(TakeResult.Taken, r);
                            Assert.Equal(lastPublished.Value, frame.Header.Sequence);
                            lastTaken = lastPublished;
                        }
                        else
                        {
                            Assert.Equal(TakeResult.None, r);
                        }
                    }
                }
            }
        }, Iterations / 2, output, "triple buffer interleavings");
    }
}
