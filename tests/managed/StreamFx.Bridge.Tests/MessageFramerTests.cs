using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Text;

namespace StreamFx.Bridge.Tests;

public sealed class MessageFramerTests
{
    private static readonly ControlMessage[] Samples =
    [
        ControlMessage.Hello(1, 0, 4242),
        ControlMessage.Configure("{\"model_dir\":\"/models/ünï\",\"resolution\":512}"),
        ControlMessage.FrameReady(0xFFFFFFFF),
        ControlMessage.FrameDone(7, 0xFFFFFFF0, 1234),
        ControlMessage.Status("{\"state\":\"ready\",\"fps\":29.97}"),
        ControlMessage.Log(LogLevel.Warning, "slow frame: 42 ms ✓"),
        ControlMessage.Shutdown(),
    ];

    public static TheoryData<ControlMessage> AllMessages() => new(Samples);

    private static byte[] Encode(params ControlMessage[] messages)
    {
        var buffer = new ArrayBufferWriter<byte>();
        foreach (ControlMessage message in messages)
        {
            MessageWriter.Write(buffer, message);
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static byte[] Raw(uint length, ushort type, ushort flags, ReadOnlySpan<byte> payload)
    {
        var bytes = new byte[8 + payload.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, length);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(4), type);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(6), flags);
        payload.CopyTo(bytes.AsSpan(8));
        return bytes;
    }

    private static List<ControlMessage> ParseAll(ReadOnlySequence<byte> buffer)
    {
        var messages = new List<ControlMessage>();
        FramingResult result;
        while ((result = MessageFramer.TryRead(ref buffer, out ControlMessage message)) != FramingResult.NeedMore)
        {
            if (result == FramingResult.Message)
            {
                messages.Add(message);
            }
        }

        Assert.Equal(0, buffer.Length);
        return messages;
    }

    [Theory]
    [MemberData(nameof(AllMessages))]
    public void EachMessageRoundTrips(ControlMessage message)
    {
        List<ControlMessage> parsed = ParseAll(new ReadOnlySequence<byte>(Encode(message)));
        Assert.Equal([message], parsed);
    }

    [Fact]
    public void WireBytesMatchTheProtocolTable()
    {
        Assert.Equal(
            new byte[] { 12, 0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0 },
            Encode(ControlMessage.FrameDone(1, 2, 3)));
        Assert.Equal(
            new byte[] { 8, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0x39, 0x30, 0, 0 },
            Encode(ControlMessage.Hello(1, 0, 12345)));
        Assert.Equal(new byte[] { 0, 0, 0, 0, 7, 0, 0, 0 }, Encode(ControlMessage.Shutdown()));
        Assert.Equal(new byte[] { 3, 0, 0, 0, 6, 0, 0, 0, 2, (byte)'h', (byte)'i' }, Encode(ControlMessage.Log(LogLevel.Info, "hi")));
    }

    [Fact]
    public void PartialMessageNeedsMoreAndConsumesNothing()
    {
        byte[] bytes = Encode(ControlMessage.FrameDone(1, 2, 3));
        for (int length = 0; length < bytes.Length; length++)
        {
            var buffer = new ReadOnlySequence<byte>(bytes, 0, length);
            Assert.Equal(FramingResult.NeedMore, MessageFramer.TryRead(ref buffer, out _));
            Assert.Equal(length, buffer.Length);
        }
    }

    [Fact]
    public void MessagesSplitAcrossSegmentsAtEveryOffsetParse()
    {
        ControlMessage[] messages = Samples;
        byte[] bytes = Encode(messages);
        for (int split = 1; split < bytes.Length; split++)
        {
            ReadOnlySequence<byte> sequence = TwoSegments(bytes, split);
            Assert.Equal(messages, ParseAll(sequence));
        }
    }

    [Fact]
    public async Task ByteByByteDeliveryThroughAPipeParsesEveryMessage()
    {
        ControlMessage[] messages = Samples;
        byte[] bytes = Encode(messages);
        var pipe = new Pipe();
        var channel = new ControlChannel(pipe.Reader, new Pipe().Writer);

        Task writer = Task.Run(async () =>
        {
            foreach (byte b in bytes)
            {
                await pipe.Writer.WriteAsync(new[] { b });
            }

            await pipe.Writer.CompleteAsync();
        });

        var received = new List<ControlMessage>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (await channel.ReadAsync(timeout.Token) is ControlMessage message)
        {
            received.Add(message);
        }

        await writer;
        Assert.Equal(messages, received);
    }

    [Fact]
    public void UnknownTypesAreSkipped()
    {
        byte[] unknown = Raw(5, 99, 0, [1, 2, 3, 4, 5]);
        byte[] bytes = [.. unknown, .. Encode(ControlMessage.FrameReady(9)), .. Raw(0, 0, 0, [])];
        var buffer = new ReadOnlySequence<byte>(bytes);
        Assert.Equal(FramingResult.Skipped, MessageFramer.TryRead(ref buffer, out _));
        Assert.Equal(FramingResult.Message, MessageFramer.TryRead(ref buffer, out ControlMessage message));
        Assert.Equal(ControlMessage.FrameReady(9), message);
        Assert.Equal(FramingResult.Skipped, MessageFramer.TryRead(ref buffer, out _)); // type 0 is not a known type either
        Assert.Equal(0, buffer.Length);
    }

    public static TheoryData<string, byte[], string> Violations() => new()
    {
        { "message length", Raw(65537, 99, 0, []), "65537" },
        { "message length", Raw(uint.MaxValue, 3, 0, []), uint.MaxValue.ToString() },
        { "message flags (type 3)", Raw(4, 3, 1, [0, 0, 0, 0]), "0x0001" },
        { "message flags (type 99)", Raw(0, 99, 0x8000, []), "0x8000" },
        { "HELLO payload length", Raw(6, 1, 0, new byte[6]), "6" },
        { "FRAME_READY payload length", Raw(8, 3, 0, new byte[8]), "8" },
        { "FRAME_DONE payload length", Raw(4, 4, 0, new byte[4]), "4" },
        { "SHUTDOWN payload length", Raw(1, 7, 0, [0]), "1" },
        { "LOG payload length", Raw(0, 6, 0, []), "0" },
        { "LOG payload length", Raw(4098, 6, 0, new byte[4098]), "4098" },
        { "LOG level", Raw(2, 6, 0, [4, (byte)'x']), "4" },
        { "LOG payload", Raw(3, 6, 0, [0, 0xC3, 0x28]), "invalid UTF-8 at byte 0" },
        { "CONFIGURE payload", Raw(0, 2, 0, []), "an empty payload" },
        { "CONFIGURE payload", Raw(4, 2, 0, [(byte)'{', 0xFF, (byte)'}', (byte)' ']), "invalid UTF-8 at byte 1" },
        { "CONFIGURE payload", Raw(5, 2, 0, "[1,2]"u8), "a JSON StartArray" },
        { "CONFIGURE payload", Raw(7, 2, 0, "{\"a\":1,"u8), "invalid JSON" },
        { "CONFIGURE payload", Raw(4, 2, 0, "{}{}"u8), "invalid JSON" },
        { "STATUS payload", Raw(4, 5, 0, "null"u8), "a JSON Null" },
    };

    [Theory]
    [MemberData(nameof(Violations))]
    public void ViolationsNameTheFieldAndWhatWasFound(string field, byte[] bytes, string found)
    {
        var buffer = new ReadOnlySequence<byte>(bytes);
        var e = Assert.Throws<ProtocolViolationException>(() => MessageFramer.TryRead(ref buffer, out _));
        Assert.Equal(field, e.Field);
        Assert.Contains(found, e.Found);
    }

    [Fact]
    public void OversizeLengthIsReportedFromTheHeaderAlone()
    {
        // Only the 8 header bytes have arrived: the violation must not wait for 1 MiB of payload.
        var buffer = new ReadOnlySequence<byte>(Raw(1 << 20, 2, 0, []));
        Assert.Throws<ProtocolViolationException>(() => MessageFramer.TryRead(ref buffer, out _));
    }

    [Fact]
    public void MaximumLengthIsAccepted()
    {
        byte[] payload = new byte[65536];
        var buffer = new ReadOnlySequence<byte>(Raw(65536, 1234, 0, payload));
        Assert.Equal(FramingResult.Skipped, MessageFramer.TryRead(ref buffer, out _));

        string json = "{\"k\":\"" + new string('x', 65536 - 8) + "\"}";
        Assert.Equal(65536, Encoding.UTF8.GetByteCount(json));
        var configure = new ReadOnlySequence<byte>(Encode(ControlMessage.Configure(json)));
        Assert.Equal(FramingResult.Message, MessageFramer.TryRead(ref configure, out ControlMessage message));
        Assert.Equal(json, message.Text);
    }

    [Fact]
    public void LongLogTextIsCutAtACharacterBoundary()
    {
        string text = new string('a', 4095) + "€€"; // the cut would fall inside the first €
        List<ControlMessage> parsed = ParseAll(new ReadOnlySequence<byte>(Encode(ControlMessage.Log(LogLevel.Error, text))));
        ControlMessage log = Assert.Single(parsed);
        Assert.Equal(new string('a', 4095), log.Text);
    }

    [Fact]
    public void WriterRefusesOversizeJson()
    {
        string json = "{\"k\":\"" + new string('x', 65536) + "\"}";
        Assert.Throws<ArgumentException>(() => Encode(ControlMessage.Status(json)));
    }

    [Fact]
    public async Task CleanEndOfStreamReadsAsNull()
    {
        var channel = new ControlChannel(new MemoryStream(Encode(ControlMessage.FrameReady(1))));
        Assert.Equal(ControlMessage.FrameReady(1), await channel.ReadAsync(CancellationToken.None));
        Assert.Null(await channel.ReadAsync(CancellationToken.None));
    }

    [Fact]
    public async Task MessagesArrivingTogetherWithEndOfStreamAreAllRead()
    {
        // The writer finishes before the first read: the pipe reports the data and completion at once.
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(Encode(ControlMessage.FrameReady(1), ControlMessage.Configure("{}"), ControlMessage.Shutdown()));
        await pipe.Writer.CompleteAsync();
        var channel = new ControlChannel(pipe.Reader, new Pipe().Writer);
        Assert.Equal(ControlMessage.FrameReady(1), await channel.ReadAsync(CancellationToken.None));
        Assert.Equal(ControlMessage.Configure("{}"), await channel.ReadAsync(CancellationToken.None));
        Assert.Equal(ControlMessage.Shutdown(), await channel.ReadAsync(CancellationToken.None));
        Assert.Null(await channel.ReadAsync(CancellationToken.None));
    }

    [Fact]
    public async Task EndOfStreamInsideAMessageIsAViolation()
    {
        byte[] bytes = Encode(ControlMessage.FrameReady(1), ControlMessage.FrameDone(1, 2, 3));
        var channel = new ControlChannel(new MemoryStream(bytes[..^3]));
        Assert.Equal(ControlMessage.FrameReady(1), await channel.ReadAsync(CancellationToken.None));
        var e = await Assert.ThrowsAsync<ProtocolViolationException>(async () => await channel.ReadAsync(CancellationToken.None));
        Assert.Equal("control stream", e.Field);
        Assert.Contains("17 bytes", e.Found);
    }

    private static ReadOnlySequence<byte> TwoSegments(byte[] bytes, int split)
    {
        var first = new Segment(bytes.AsMemory(0, split), 0);
        Segment last = first.Append(bytes.AsMemory(split));
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
