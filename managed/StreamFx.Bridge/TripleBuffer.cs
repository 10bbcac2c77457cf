using System.Runtime.CompilerServices;

namespace StreamFx.Bridge;

/// <summary>What a take found.</summary>
public enum TakeResult
{
    /// <summary>No new frame since the last take.</summary>
    None,

    /// <summary>A new, valid frame.</summary>
    Taken,

    /// <summary>A frame whose sequence is not newer than the last one taken; ignore it.</summary>
    Stale,
}

/// <summary>
/// The reading end of one direction's triple buffer (docs/protocol.md section 3): owns the front
/// slot, takes the middle one when it is FRESH. Never blocks or spins. Not thread-safe: one reader.
/// </summary>
public sealed unsafe class TripleBufferReader
{
    private readonly FrameRegion _region;
    private readonly FrameDirection _direction;
    private readonly uint* _exchange;
    private int _front = ProtocolLayout.InitialReaderFront;
    private bool _hasLast;
    private uint _lastSequence;

    internal TripleBufferReader(FrameRegion region, FrameDirection direction, uint* exchange)
    {
        _region = region;
        _direction = direction;
        _exchange = exchange;
    }

    public FrameDirection Direction => _direction;

    /// <summary>Index of the slot this reader owns.</summary>
    public int Front => _front;

    /// <summary>The sequence of the last frame taken, if any.</summary>
    public uint? LastSequence => _hasLast ? _lastSequence : null;

    /// <summary>
    /// Takes the newest frame if one was published since the last take. Throws
    /// <see cref="ProtocolViolationException"/> when the exchange word or the slot header breaks the rules.
    /// </summary>
    public TakeResult TryTake(out FrameSlot frame)
    {
        frame = default;
        uint word = Volatile.Read(ref *_exchange);
        if ((word & ProtocolLayout.ExchangeFresh) == 0)
        {
            CheckWord(word);
            return TakeResult.None;
        }

        uint old = Interlocked.Exchange(ref *_exchange, (uint)_front);
        CheckWord(old);
        int index = (int)(old & ProtocolLayout.ExchangeIndexMask);
        _front = index;

        Span<byte> slot = _region.SlotBytes(_direction, index);
        SlotHeader header = SlotHeader.Read(slot);
        ProtocolViolationException? violation = header.Check(_region.Header, _direction);
        if (violation is not null)
        {
            throw violation;
        }

        if (_hasLast && !SequenceNumber.IsNewer(header.Sequence, _lastSequence))
        {
            return TakeResult.Stale;
        }

        _hasLast = true;
        _lastSequence = header.Sequence;
        frame = new FrameSlot(index, header, slot.Slice(ProtocolLayout.SlotHeaderSize, header.PixelBytes));
        return TakeResult.Taken;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void CheckWord(uint word)
    {
        uint index = word & ProtocolLayout.ExchangeIndexMask;
        if ((word & ~(ProtocolLayout.ExchangeIndexMask | ProtocolLayout.ExchangeFresh)) != 0 || index > 2 || index == (uint)_front)
        {
            throw new ProtocolViolationException(
                ExchangeName(_direction),
                $"middle index 0..2 other than the reader's front slot {_front}, bits 3-31 zero",
                $"0x{word:X8}");
        }
    }

    internal static string ExchangeName(FrameDirection direction) =>
        direction == FrameDirection.Input ? "input_exchange" : "output_exchange";
}

/// <summary>
/// The writing end of one direction's triple buffer: fills its back slot, then swaps it into the
/// middle with FRESH set (latest frame wins). Never blocks or spins. Not thread-safe: one writer.
/// </summary>
public sealed unsafe class TripleBufferWriter
{
    private readonly FrameRegion _region;
    private readonly FrameDirection _direction;
    private readonly uint* _exchange;
    private int _back = ProtocolLayout.InitialWriterBack;

    internal TripleBufferWriter(FrameRegion region, FrameDirection direction, uint* exchange)
    {
        _region = region;
        _direction = direction;
        _exchange = exchange;
    }

    public FrameDirection Direction => _direction;

    /// <summary>Index of the slot this writer owns.</summary>
    public int Back => _back;

    /// <summary>The back slot's pixel area (slot_stride - 64 bytes): write pixels here, then <see cref="Publish"/>.</summary>
    public Span<byte> BackPixels => _region.SlotBytes(_direction, _back)[ProtocolLayout.SlotHeaderSize..];

    /// <summary>
    /// Writes the header into the back slot and publishes it. The header must obey the slot rules
    /// (checked: an invalid frame is never published). Throws <see cref="ProtocolViolationException"/>
    /// when the exchange word read back breaks the rules.
    /// </summary>
    public void Publish(in SlotHeader header)
    {
        ProtocolViolationException? invalid = header.Check(_region.Header, _direction);
        if (invalid is not null)
        {
            throw new ArgumentException("refusing to publish an invalid frame: " + invalid.Message, nameof(header));
        }

        header.Write(_region.SlotBytes(_direction, _back));
        uint old = Interlocked.Exchange(ref *_exchange, (uint)_back | ProtocolLayout.ExchangeFresh);
        uint index = old & ProtocolLayout.ExchangeIndexMask;
        if ((old & ~(ProtocolLayout.ExchangeIndexMask | ProtocolLayout.ExchangeFresh)) != 0 || index > 2 || index == (uint)_back)
        {
            throw new ProtocolViolationException(
                TripleBufferReader.ExchangeName(_direction),
                $"middle index 0..2 other than the writer's back slot {_back}, bits 3-31 zero",
                $"0x{old:X8}");
        }

        _back = (int)index;
    }
}
