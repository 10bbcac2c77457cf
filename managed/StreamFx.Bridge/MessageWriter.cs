using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace StreamFx.Bridge;

/// <summary>Encodes control messages into a buffer writer (a PipeWriter in the channel).</summary>
public static class MessageWriter
{
    /// <summary>Writes header and payload. Text longer than the protocol allows is refused (LOG text is cut at 4096 bytes).</summary>
    public static void Write(IBufferWriter<byte> output, in ControlMessage message)
    {
        switch (message.Type)
        {
            case MessageType.Hello:
            {
                Span<byte> span = Begin(output, message.Type, 8);
                BinaryPrimitives.WriteUInt16LittleEndian(span, message.VersionMajor);
                BinaryPrimitives.WriteUInt16LittleEndian(span[2..], message.VersionMinor);
                BinaryPrimitives.WriteUInt32LittleEndian(span[4..], message.ProcessId);
                output.Advance(ProtocolLayout.MessageHeaderSize + 8);
                break;
            }

            case MessageType.FrameReady:
            {
                Span<byte> span = Begin(output, message.Type, 4);
                BinaryPrimitives.WriteUInt32LittleEndian(span, message.Sequence);
                output.Advance(ProtocolLayout.MessageHeaderSize + 4);
                break;
            }

            case MessageType.FrameDone:
            {
                Span<byte> span = Begin(output, message.Type, 12);
                BinaryPrimitives.WriteUInt32LittleEndian(span, message.Sequence);
                BinaryPrimitives.WriteUInt32LittleEndian(span[4..], message.SourceSequence);
                BinaryPrimitives.WriteUInt32LittleEndian(span[8..], message.ProcessUs);
                output.Advance(ProtocolLayout.MessageHeaderSize + 12);
                break;
            }

            case MessageType.Shutdown:
                Begin(output, message.Type, 0);
                output.Advance(ProtocolLayout.MessageHeaderSize);
                break;

            case MessageType.Configure:
            case MessageType.Status:
            {
                string text = message.Text ?? throw new ArgumentException($"{MessageFramer.Name(message.Type)} needs a JSON text", nameof(message));
                int length = Encoding.UTF8.GetByteCount(text);
                if (length is 0 or > ProtocolLayout.MaxMessagePayload)
                {
                    throw new ArgumentException($"{MessageFramer.Name(message.Type)} payload of {length} bytes: expected 1..{ProtocolLayout.MaxMessagePayload}", nameof(message));
                }

                Span<byte> span = Begin(output, message.Type, length);
                Encoding.UTF8.GetBytes(text, span);
                output.Advance(ProtocolLayout.MessageHeaderSize + length);
                break;
            }

            case MessageType.Log:
            {
                string text = message.Text ?? string.Empty;
                int maxLength = Math.Min(Encoding.UTF8.GetByteCount(text), ProtocolLayout.MaxLogText);
                Span<byte> span = output.GetSpan(ProtocolLayout.MessageHeaderSize + 1 + maxLength);
                span[ProtocolLayout.MessageHeaderSize] = (byte)message.Level;

                // Cut long text at a character boundary, never inside a UTF-8 sequence.
                Encoder encoder = Encoding.UTF8.GetEncoder();
                encoder.Convert(text, span.Slice(ProtocolLayout.MessageHeaderSize + 1, maxLength), flush: true, out _, out int written, out _);
                new MessageHeader((uint)(1 + written), (ushort)MessageType.Log, 0).Write(span);
                output.Advance(ProtocolLayout.MessageHeaderSize + 1 + written);
                break;
            }

            default:
                throw new ArgumentException($"cannot encode message type {(ushort)message.Type}", nameof(message));
        }
    }

    // Reserves header + payload, writes the header, returns the payload span.
    private static Span<byte> Begin(IBufferWriter<byte> output, MessageType type, int payloadLength)
    {
        Span<byte> span = output.GetSpan(ProtocolLayout.MessageHeaderSize + payloadLength);
        new MessageHeader((uint)payloadLength, (ushort)type, 0).Write(span);
        return span.Slice(ProtocolLayout.MessageHeaderSize, payloadLength);
    }
}
