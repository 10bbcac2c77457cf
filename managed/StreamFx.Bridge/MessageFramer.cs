using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace StreamFx.Bridge;

/// <summary>What one framing step produced.</summary>
public enum FramingResult
{
    /// <summary>The buffer does not hold a whole message yet; nothing was consumed.</summary>
    NeedMore,

    /// <summary>A known message was decoded and consumed.</summary>
    Message,

    /// <summary>A message of an unknown type with a valid header was consumed and skipped.</summary>
    Skipped,
}

/// <summary>
/// Splits a byte stream into control messages (docs/protocol.md section 5). Stateless and
/// incremental: each call looks at the bytes received so far, consumes at most one message from the
/// front of <c>buffer</c>, and reports a violation as soon as the header shows one (without waiting
/// for the payload). Works for both directions.
/// </summary>
public static class MessageFramer
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Tries to take one message off the front of <paramref name="buffer"/>; on Message/Skipped the
    /// buffer is advanced past it. Throws <see cref="ProtocolViolationException"/> on a violation.
    /// </summary>
    public static FramingResult TryRead(ref ReadOnlySequence<byte> buffer, out ControlMessage message)
    {
        message = default;
        if (buffer.Length < ProtocolLayout.MessageHeaderSize)
        {
            return FramingResult.NeedMore;
        }

        Span<byte> headerBytes = stackalloc byte[ProtocolLayout.MessageHeaderSize];
        buffer.Slice(0, ProtocolLayout.MessageHeaderSize).CopyTo(headerBytes);
        MessageHeader header = MessageHeader.Read(headerBytes);
        CheckHeader(header);

        long total = ProtocolLayout.MessageHeaderSize + (long)header.Length;
        if (buffer.Length < total)
        {
            return FramingResult.NeedMore;
        }

        ReadOnlySequence<byte> payload = buffer.Slice(ProtocolLayout.MessageHeaderSize, header.Length);
        FramingResult result;
        if (MessageHeader.IsKnown(header.Type))
        {
            message = Decode((MessageType)header.Type, payload);
            result = FramingResult.Message;
        }
        else
        {
            result = FramingResult.Skipped;
        }

        buffer = buffer.Slice(total);
        return result;
    }

    /// <summary>Header rules that need no payload: length, flags, fixed payload sizes.</summary>
    public static void CheckHeader(in MessageHeader header)
    {
        if (header.Length > ProtocolLayout.MaxMessagePayload)
        {
            throw new ProtocolViolationException("message length", $"0..{ProtocolLayout.MaxMessagePayload}", header.Length.ToString());
        }

        if (header.Flags != 0)
        {
            throw new ProtocolViolationException($"message flags (type {header.Type})", "0", $"0x{header.Flags:X4}");
        }

        if (MessageHeader.IsKnown(header.Type))
        {
            var type = (MessageType)header.Type;
            int size = MessageHeader.FixedPayloadSize(type);
            if (size >= 0 && header.Length != size)
            {
                throw new ProtocolViolationException($"{Name(type)} payload length", size.ToString(), header.Length.ToString());
            }

            if (type == MessageType.Log && (header.Length < 1 || header.Length > 1 + ProtocolLayout.MaxLogText))
            {
                throw new ProtocolViolationException("LOG payload length", $"1..{1 + ProtocolLayout.MaxLogText}", header.Length.ToString());
            }

            if (type is MessageType.Configure or MessageType.Status && header.Length == 0)
            {
                throw new ProtocolViolationException($"{Name(type)} payload", "a UTF-8 JSON object", "an empty payload");
            }
        }
    }

    private static ControlMessage Decode(MessageType type, ReadOnlySequence<byte> payload)
    {
        Span<byte> fixedBytes = stackalloc byte[12];
        switch (type)
        {
            case MessageType.Hello:
                payload.CopyTo(fixedBytes);
                return ControlMessage.Hello(
                    BinaryPrimitives.ReadUInt16LittleEndian(fixedBytes),
                    BinaryPrimitives.ReadUInt16LittleEndian(fixedBytes[2..]),
                    BinaryPrimitives.ReadUInt32LittleEndian(fixedBytes[4..]));
            case MessageType.FrameReady:
                payload.CopyTo(fixedBytes);
                return ControlMessage.FrameReady(BinaryPrimitives.ReadUInt32LittleEndian(fixedBytes));
            case MessageType.FrameDone:
                payload.CopyTo(fixedBytes);
                return ControlMessage.FrameDone(
                    BinaryPrimitives.ReadUInt32LittleEndian(fixedBytes),
                    BinaryPrimitives.ReadUInt32LittleEndian(fixedBytes[4..]),
                    BinaryPrimitives.ReadUInt32LittleEndian(fixedBytes[8..]));
            case MessageType.Shutdown:
                return ControlMessage.Shutdown();
            case MessageType.Configure:
                return ControlMessage.Configure(DecodeJsonObject(type, payload));
            case MessageType.Status:
                return ControlMessage.Status(DecodeJsonObject(type, payload));
            case MessageType.Log:
            {
                byte level = payload.FirstSpan[0];
                if (level > (byte)LogLevel.Debug)
                {
                    throw new ProtocolViolationException("LOG level", "0..3", level.ToString());
                }

                return ControlMessage.Log((LogLevel)level, DecodeUtf8(type, payload.Slice(1)));
            }
            default:
                throw new InvalidOperationException($"message type {type} has no decoder");
        }
    }

    private static string DecodeJsonObject(MessageType type, ReadOnlySequence<byte> payload)
    {
        string text = DecodeUtf8(type, payload);
        try
        {
            var reader = new Utf8JsonReader(payload, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 64 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new ProtocolViolationException($"{Name(type)} payload", "a JSON object", $"a JSON {reader.TokenType}");
            }

            reader.Skip();

            // Reading on past the object throws on anything but trailing whitespace ("{}{}", "{} x").
            reader.Read();
        }
        catch (JsonException e)
        {
            throw new ProtocolViolationException($"{Name(type)} payload", "valid JSON", $"invalid JSON ({e.Message})");
        }

        return text;
    }

    private static string DecodeUtf8(MessageType type, ReadOnlySequence<byte> bytes)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new ProtocolViolationException($"{Name(type)} payload", "valid UTF-8", $"invalid UTF-8 at byte {e.Index}");
        }
    }

    /// <summary>The protocol's name for a message type (HELLO, FRAME_READY, ...).</summary>
    public static string Name(MessageType type) => type switch
    {
        MessageType.Hello => "HELLO",
        MessageType.Configure => "CONFIGURE",
        MessageType.FrameReady => "FRAME_READY",
        MessageType.FrameDone => "FRAME_DONE",
        MessageType.Status => "STATUS",
        MessageType.Log => "LOG",
        MessageType.Shutdown => "SHUTDOWN",
        _ => $"type {(ushort)type}",
    };
}
