using System.Text.Json;

namespace StreamFx.Bridge.Tests.Support;

/// <summary>
/// The shim's half of one session (region + control channel) plus helpers to push a frame and
/// collect the host's answer, waiting on the channel (bounded), never sleeping.
/// </summary>
public sealed class ShimSession : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private ShimSession(ShimRegion region, ShimControl control)
    {
        Region = region;
        Control = control;
    }

    public ShimRegion Region { get; }
    public ShimControl Control { get; }

    /// <summary>Every STATUS JSON received so far, in order.</summary>
    public List<string> Statuses { get; } = [];

    /// <summary>Every LOG text received so far.</summary>
    public List<string> Logs { get; } = [];

    public static ShimSession Create(uint maxWidth, uint maxHeight) => new(ShimRegion.Create(maxWidth, maxHeight), ShimControl.Listen());

    public Task<ControlChannel> AcceptAsync() => Control.AcceptAsync(Timeout);

    /// <summary>Reads the next message, recording STATUS and LOG ones.</summary>
    public async Task<ControlMessage?> ReadAsync()
    {
        using var cancel = new CancellationTokenSource(Timeout);
        ControlMessage? message = await Control.Channel.ReadAsync(cancel.Token);
        if (message is { Type: MessageType.Status } status)
        {
            Statuses.Add(status.Text!);
        }
        else if (message is { Type: MessageType.Log } log)
        {
            Logs.Add(log.Text!);
        }

        return message;
    }

    public async Task<ControlMessage> ReadUntilAsync(MessageType type)
    {
        while (true)
        {
            ControlMessage message = await ReadAsync() ?? throw new InvalidOperationException($"channel closed while waiting for {MessageFramer.Name(type)}");
            if (message.Type == type)
            {
                return message;
            }
        }
    }

    /// <summary>Reads until a STATUS whose "state" is <paramref name="state"/> arrives; returns it parsed.</summary>
    public async Task<JsonElement> ReadStatusAsync(string state)
    {
        while (true)
        {
            ControlMessage status = await ReadUntilAsync(MessageType.Status);
            using var document = JsonDocument.Parse(status.Text!);
            if (document.RootElement.GetProperty("state").GetString() == state)
            {
                return document.RootElement.Clone();
            }
        }
    }

    public Task SendAsync(ControlMessage message) => Control.Channel.SendAsync(message, CancellationToken.None).AsTask();

    /// <summary>Publishes one input frame, wakes the host, and returns its FRAME_DONE and the output it published.</summary>
    public async Task<(ControlMessage Done, SlotHeader Output, byte[] Pixels)> ExchangeFrameAsync(
        uint sequence, uint width, uint height, uint rowBytes, PixelFormat format, ulong captureTimeNs, byte[] pixels)
    {
        Region.PublishInput(sequence, width, height, rowBytes, format, captureTimeNs, span => pixels.CopyTo(span));
        await SendAsync(ControlMessage.FrameReady(sequence));
        ControlMessage done = await ReadUntilAsync(MessageType.FrameDone);
        Assert.Equal(TakeResult.Taken, Region.Output.TryTake(out FrameSlot output));
        return (done, output.Header, output.Pixels.ToArray());
    }

    public Task CloseAsync() => Control.CloseAsync();

    public async ValueTask DisposeAsync()
    {
        await Control.DisposeAsync();
        Region.Dispose();
    }

    /// <summary>A deterministic test picture: every byte depends on position, channel and frame.</summary>
    public static byte[] Picture(uint width, uint height, uint rowBytes, int frame)
    {
        var pixels = new byte[rowBytes * height];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < rowBytes; x++)
            {
                pixels[y * rowBytes + x] = (byte)(x * 7 + y * 13 + frame * 31);
            }
        }

        return pixels;
    }
}
