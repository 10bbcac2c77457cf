namespace StreamFx.Bridge;

/// <summary>
/// A mapped, validated frame region: the header, six slots and the shared words. The host reads
/// the input direction and writes the output direction; tests playing the shim do the opposite.
/// </summary>
public sealed unsafe class FrameRegion : IDisposable
{
    private readonly IFrameRegionMapping _mapping;
    private readonly byte* _base;

    private FrameRegion(IFrameRegionMapping mapping, RegionHeader header)
    {
        _mapping = mapping;
        _base = mapping.Pointer;
        Header = header;
    }

    public RegionHeader Header { get; }

    /// <summary>Opens the named region for this OS and validates its header (see <see cref="Attach"/>).</summary>
    public static FrameRegion Open(string name) => Attach(FrameRegionName.Open(name));

    /// <summary>
    /// Reads and validates the header of a mapping; takes ownership of the mapping (disposed on
    /// failure too). Throws <see cref="ProtocolViolationException"/> naming the bad field.
    /// </summary>
    public static FrameRegion Attach(IFrameRegionMapping mapping)
    {
        try
        {
            if (mapping.Size < ProtocolLayout.HeaderSize)
            {
                throw new ProtocolViolationException("region size", $">= {ProtocolLayout.HeaderSize} bytes", $"{mapping.Size} bytes");
            }

            RegionHeader header = RegionHeader.Read(new ReadOnlySpan<byte>(mapping.Pointer, ProtocolLayout.HeaderSize));
            header.Validate(mapping.Size, mapping.SizeSlack);
            return new FrameRegion(mapping, header);
        }
        catch
        {
            mapping.Dispose();
            throw;
        }
    }

    /// <summary>The host's side: reads input frames.</summary>
    public TripleBufferReader CreateReader(FrameDirection direction) => new(this, direction, ExchangeWord(direction));

    /// <summary>The host's side: writes output frames.</summary>
    public TripleBufferWriter CreateWriter(FrameDirection direction) => new(this, direction, ExchangeWord(direction));

    public HostState HostState
    {
        get => (HostState)Volatile.Read(ref *Word(ProtocolLayout.HostStateOffset));
        set => Interlocked.Exchange(ref *Word(ProtocolLayout.HostStateOffset), (uint)value);
    }

    public uint HostHeartbeat => Volatile.Read(ref *Word(ProtocolLayout.HostHeartbeatOffset));

    /// <summary>Adds one to host_heartbeat (wrapping); thread-safe.</summary>
    public uint IncrementHeartbeat() => Interlocked.Increment(ref *Word(ProtocolLayout.HostHeartbeatOffset));

    /// <summary>A whole slot (header + pixels), slot_stride bytes.</summary>
    internal Span<byte> SlotBytes(FrameDirection direction, int index)
    {
        if ((uint)index > 2)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, "slot index must be 0..2");
        }

        long offset = ProtocolLayout.SlotOffset(direction, index, Header.SlotStride);
        return new Span<byte>(_base + offset, checked((int)Header.SlotStride));
    }

    private uint* ExchangeWord(FrameDirection direction) =>
        Word(direction == FrameDirection.Input ? ProtocolLayout.InputExchangeOffset : ProtocolLayout.OutputExchangeOffset);

    private uint* Word(int offset) => (uint*)(_base + offset);

    public void Dispose() => _mapping.Dispose();
}
