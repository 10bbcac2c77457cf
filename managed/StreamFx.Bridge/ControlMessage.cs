namespace StreamFx.Bridge;

/// <summary>
/// One decoded control message. A struct with a field set per type, so the per-frame messages
/// (FRAME_READY, FRAME_DONE) cost no allocation; only text messages carry a string.
/// </summary>
public readonly record struct ControlMessage
{
    public MessageType Type { get; init; }

    /// <summary>HELLO: protocol version and host process id.</summary>
    public ushort VersionMajor { get; init; }
    public ushort VersionMinor { get; init; }
    public uint ProcessId { get; init; }

    /// <summary>FRAME_READY: the input sequence; FRAME_DONE: the output sequence.</summary>
    public uint Sequence { get; init; }

    /// <summary>FRAME_DONE: the input sequence the output was made from.</summary>
    public uint SourceSequence { get; init; }

    /// <summary>FRAME_DONE: host time spent on the frame.</summary>
    public uint ProcessUs { get; init; }

    /// <summary>LOG: the level.</summary>
    public LogLevel Level { get; init; }

    /// <summary>CONFIGURE / STATUS: the JSON object; LOG: the text.</summary>
    public string? Text { get; init; }

    public static ControlMessage Hello(ushort major, ushort minor, uint processId) =>
        new() { Type = MessageType.Hello, VersionMajor = major, VersionMinor = minor, ProcessId = processId };

    public static ControlMessage Configure(string json) => new() { Type = MessageType.Configure, Text = json };

    public static ControlMessage FrameReady(uint sequence) => new() { Type = MessageType.FrameReady, Sequence = sequence };

    public static ControlMessage FrameDone(uint sequence, uint sourceSequence, uint processUs) =>
        new() { Type = MessageType.FrameDone, Sequence = sequence, SourceSequence = sourceSequence, ProcessUs = processUs };

    public static ControlMessage Status(string json) => new() { Type = MessageType.Status, Text = json };

    public static ControlMessage Log(LogLevel level, string text) => new() { Type = MessageType.Log, Level = level, Text = text };

    public static ControlMessage Shutdown() => new() { Type = MessageType.Shutdown };
}
