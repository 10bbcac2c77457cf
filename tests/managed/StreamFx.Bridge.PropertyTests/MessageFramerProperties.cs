using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using CsCheck;
using StreamFx.Bridge.PropertyTests.Support;
using Xunit.Abstractions;

namespace StreamFx.Bridge.PropertyTests;

/// <summary>
/// The control-message framer against anything a peer can send: arbitrary bytes, valid streams cut
/// at arbitrary points, and valid messages with one header field broken.
/// </summary>
public sealed class MessageFramerProperties(ITestOutputHelper output)
{
    private const long Iterations = 100_000;

    private static readonly Gen<char> TextChar = Gen.Char['\u0001', '\uD7FF'];

    private static readonly Gen<string> JsonObjectText =
        Gen.Select(TextChar.Array[0, 12], TextChar.Array[0, 40], Gen.Double, Gen.Bool)
            .Select((key, value, number, flag) =>
            {
                using var stream = new MemoryStream();
                using (var writer = new Utf8JsonWriter(stream))
                {
                    writer.WriteStartObject();
                    writer.WriteString(new string(key), new string(value));
                    if (double.IsFinite(number))
                    {
                        writer.WriteNumber("n", number);
                    }

                    writer.WriteStartArray("a");
                    writer.WriteBooleanValue(flag);
                    writer.WriteNullValue();
                    writer.WriteEndArray();
                    writer.WriteEndObject();
                }

                return Encoding.UTF8.GetString(stream.ToArray());
            });

    private static readonly Gen<ControlMessage> ValidMessage = Gen.OneOf(
        Gen.Select(Gen.UShort, Gen.UShort, Gen.UInt, ControlMessage.Hello),
        JsonObjectText.Select(ControlMessage.Configure),
        Gen.UInt.Select(ControlMessage.FrameReady),
        Gen.Select(Gen.UInt, Gen.UInt, Gen.UInt, ControlMessage.FrameDone),
        JsonObjectText.Select(ControlMessage.Status),
        Gen.Select(Gen.Byte[0, 3], TextChar.Array[0, 200], (level, text) => ControlMessage.Log((LogLevel)level, new string(text))),
        Gen.Const(ControlMessage.Shutdown()));

    private static byte[] Encode(IEnumerable<ControlMessage> messages)
    {
        var buffer = new ArrayBufferWriter<byte>();
        foreach (ControlMessage m in messages)
        {
            MessageWriter.Write(buffer, m);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads messages until the buffer needs more; a violation ends the list with its exception.</summary>
    private static (List<(FramingResult Result, ControlMessage Message)> Items, ProtocolViolationException? Violation, long Consumed) ReadAll(ReadOnlySequence<byte> buffer)
    {
        var items = new List<(FramingResult, ControlMessage)>();
        long start = buffer.Length;
        try
        {
            for (;;)
            {
                long before = buffer.Length;
                FramingResult r = MessageFramer.TryRead(ref buffer, out ControlMessage m);
                if (r == FramingResult.NeedMore)
                {
                    Assert.Equal(before, buffer.Length); // nothing consumed
                    return (items, null, start - buffer.Length);
                }

                Assert.True(before - buffer.Length >= ProtocolLayout.MessageHeaderSize);
                items.Add((r, m));
            }
        }
        catch (ProtocolViolationException e)
        {
            Assert.False(string.IsNullOrEmpty(e.Field));
            return (items, e, start - buffer.Length);
        }
    }

    [Fact]
    public void Arbitrary_bytes_only_ever_yield_messages_need_more_or_a_named_violation()
    {
        // Half the cases start with a plausible header so the payload rules get exercised too.
        Gen<byte[]> bytes = Gen.OneOf(
            Gen.Byte.Array[0, 300],
            Gen.Select(Gen.UInt[0, 300], Gen.UShort[0, 9], Gen.Byte.Array[0, 300], (length, type, rest) =>
            {
                var b = new byte[8 + rest.Length];
                BinaryPrimitives.WriteUInt32LittleEndian(b, length);
                BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(4), type);
                rest.CopyTo(b, 8);
                return b;
            }));
        long decoded = 0, refused = 0;
        CountedSample.Run(bytes, b =>
        {
            // Any other exception type escapes Sample and fails the property.
            var (items, violation, consumed) = ReadAll(new ReadOnlySequence<byte>(b));
            Assert.True(consumed <= b.Length);
            Interlocked.Add(ref decoded, items.Count);
            if (violation is not null)
            {
                Interlocked.Increment(ref refused);
            }

            foreach (var (result, message) in items.Where(i => i.Result == FramingResult.Message))
            {
                Assert.InRange((ushort)message.Type, (ushort)1, (ushort)7);
                if (message.Type is MessageType.Configure or MessageType.Status)
                {
                    using var doc = JsonDocument.Parse(message.Text!);
                    Assert.Equal(JsonValueKind.Object, doc.RootElement.ValueKind);
                }
            }
        }, Iterations, output, "arbitrary bytes");
        output.WriteLine($"  messages decoded: {decoded}, streams refused: {refused}");
        Assert.True(decoded > 0 && refused > 0, "both outcomes must occur");
    }

    [Fact]
    public void Valid_streams_decode_to_the_same_messages_however_they_are_cut()
    {
        Gen<(ControlMessage[] Messages, int[] Cuts)> gen = Gen.Select(ValidMessage.Array[1, 8], Gen.Int[0, 4000].Array[0, 12]);
        CountedSample.Run(gen, t =>
        {
            byte[] wire = Encode(t.Messages);
            var (items, violation, consumed) = ReadAll(ChunkedSequence.Create(wire, t.Cuts));
            Assert.Null(violation);
            Assert.Equal(wire.Length, consumed);
            Assert.Equal(t.Messages.Length, items.Count);
            for (int i = 0; i < items.Count; i++)
            {
                Assert.Equal(FramingResult.Message, items[i].Result);
                Assert.Equal(t.Messages[i], items[i].Message);
            }
        }, Iterations / 4, output, "valid streams, cut anywhere");
    }

    [Fact]
    public void Arriving_byte_by_piece_gives_the_same_result_as_all_at_once()
    {
        // A receiver sees a growing prefix; at every prefix the framer must agree with the whole.
        Gen<(byte[] Bytes, int Step)> gen = Gen.Select(
            Gen.OneOf(Gen.Byte.Array[0, 120], ValidMessage.Array[1, 3].Select(Encode)), Gen.Int[1, 17]);
        CountedSample.Run(gen, t =>
        {
            var whole = ReadAll(new ReadOnlySequence<byte>(t.Bytes));
            var received = new List<(FramingResult, ControlMessage)>();
            ProtocolViolationException? violation = null;
            int offset = 0;
            for (int have = t.Step; ; have += t.Step)
            {
                int end = Math.Min(have, t.Bytes.Length);
                var part = ReadAll(new ReadOnlySequence<byte>(t.Bytes, offset, end - offset));
                received.AddRange(part.Items);
                offset += (int)part.Consumed;
                violation = part.Violation;
                if (violation is not null || end == t.Bytes.Length)
                {
                    break;
                }
            }

            Assert.Equal(whole.Items, received);
            Assert.Equal(whole.Violation?.Message, violation?.Message);
        }, Iterations / 4, output, "growing prefixes");
    }

    [Fact]
    public void A_valid_message_with_one_broken_header_field_is_refused_naming_it()
    {
        // 0: length past 65536, 1: non-zero flags, 2: wrong size for a fixed-size type.
        Gen<(ControlMessage Message, int Field, uint Noise)> gen = Gen.Select(ValidMessage, Gen.Int[0, 2], Gen.UInt);
        CountedSample.Run(gen, t =>
        {
            byte[] wire = Encode([t.Message]);
            int fixedSize = MessageHeader.FixedPayloadSize(t.Message.Type);
            string expectField;
            switch (t.Field)
            {
                case 0:
                    BinaryPrimitives.WriteUInt32LittleEndian(wire, (uint)ProtocolLayout.MaxMessagePayload + 1 + (t.Noise % 1_000_000));
                    expectField = "message length";
                    break;
                case 1:
                    BinaryPrimitives.WriteUInt16LittleEndian(wire.AsSpan(6), (ushort)(1 + (t.Noise % 65535)));
                    expectField = "message flags";
                    break;
                default:
                    if (fixedSize < 0)
                    {
                        return; // variable-size types have no fixed size to break
                    }

                    BinaryPrimitives.WriteUInt32LittleEndian(wire, (uint)(fixedSize + 1 + (t.Noise % 100)));
                    expectField = "payload length";
                    break;
            }

            var (items, violation, _) = ReadAll(new ReadOnlySequence<byte>(wire));
            Assert.Empty(items);
            Assert.NotNull(violation);
            Assert.Contains(expectField, violation!.Field);
        }, Iterations / 4, output, "one broken header field");
    }
}
