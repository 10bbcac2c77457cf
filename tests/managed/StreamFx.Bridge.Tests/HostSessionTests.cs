using System.Text.Json;
using StreamFx.Bridge.Tests.Support;
using StreamFx.Host;

namespace StreamFx.Bridge.Tests;

/// <summary>The real host logic (HostRunner: region, heartbeat, connect, session), in process, against a C# shim over a real region and Unix socket.</summary>
public sealed class HostSessionTests(ModelFolders models) : IClassFixture<ModelFolders>
{
    private readonly StringWriter _hostLog = new();

    private Task<int> StartHost(ShimSession shim) =>
        Task.Run(() => HostRunner.RunAsync(shim.Region.Name, shim.Control.SocketPath, TextWriter.Synchronized(_hostLog), CancellationToken.None));

    private static async Task<Task<int>> Connect(ShimSession shim, Func<ShimSession, Task<int>> start)
    {
        Task<int> host = start(shim);
        await shim.AcceptAsync();

        // HELLO is the first message, with this protocol's version and the host's pid.
        ControlMessage? hello = await shim.ReadAsync();
        Assert.Equal(ControlMessage.Hello(1, 0, (uint)Environment.ProcessId), hello);
        return host;
    }

    private static string State(string statusJson)
    {
        using var document = JsonDocument.Parse(statusJson);
        return document.RootElement.GetProperty("state").GetString()!;
    }

    [Fact]
    public async Task InvertModelInvertsFramesAcrossTheSequenceWrapThenExitsZeroWhenTheChannelCloses()
    {
        const uint w = 40, h = 24;
        await using ShimSession shim = ShimSession.Create(w, h);
        Task<int> host = await Connect(shim, StartHost);
        Assert.Equal(HostState.Ready, shim.Region.Region.HostState);

        await shim.SendAsync(ControlMessage.Configure(ModelFolders.ConfigureJson(models.Invert)));
        JsonElement ready = await shim.ReadStatusAsync("ready");
        Assert.Equal("invert", ready.GetProperty("model").GetString());
        Assert.Equal("cpu", ready.GetProperty("provider").GetString());

        uint sequence = 0xFFFFFFF0;
        uint? lastOutput = null;
        for (int frame = 0; frame < 40; frame++, sequence++)
        {
            // Vary the geometry and format: smaller frames, padded rows, both byte orders.
            uint width = frame % 3 == 0 ? w : w - (uint)frame % 7;
            uint height = frame % 2 == 0 ? h : h - 5;
            uint rowBytes = width * 4 + (frame % 4 == 1 ? 12u : 0u);
            PixelFormat format = frame % 2 == 0 ? PixelFormat.Rgba8 : PixelFormat.Bgra8;
            byte[] input = ShimSession.Picture(width, height, rowBytes, frame);
            ulong capture = 1_000_000UL * (ulong)frame + 17;

            (ControlMessage done, SlotHeader output, byte[] pixels) = await shim.ExchangeFrameAsync(sequence, width, height, rowBytes, format, capture, input);

            Assert.Equal(sequence, output.SourceSequence);
            Assert.Equal(done.Sequence, output.Sequence);
            Assert.Equal(done.SourceSequence, output.SourceSequence);
            Assert.Equal(done.ProcessUs, output.ProcessUs);
            Assert.Equal((width, height, rowBytes, format, capture), (output.Width, output.Height, output.RowBytes, output.PixelFormat, output.CaptureTimeNs));
            if (lastOutput is uint last)
            {
                Assert.True(SequenceNumber.IsNewer(output.Sequence, last), $"output {output.Sequence} after {last}");
            }

            lastOutput = output.Sequence;
            for (int y = 0; y < height; y++)
            {
                for (int x = 0; x < width * 4; x++)
                {
                    int i = y * (int)rowBytes + x;
                    int expected = x % 4 == 3 ? input[i] : 255 - input[i]; // alpha is kept
                    if (pixels[i] != expected)
                    {
                        Assert.Fail($"frame {frame} ({format}) byte ({x},{y}): expected {expected}, found {pixels[i]}");
                    }
                }
            }
        }

        Assert.Equal(0x00000018u, sequence); // the input sequences crossed 2^32
        await shim.CloseAsync();
        Assert.Equal(HostExitCode.Ok, await host.WaitAsync(ShimSession.Timeout));
        Assert.Equal(HostState.Stopping, shim.Region.Region.HostState);
        Assert.Contains("control channel closed", _hostLog.ToString());
    }

    [Fact]
    public async Task ShutdownEndsTheSessionWithZeroAndStoppingState()
    {
        await using ShimSession shim = ShimSession.Create(8, 8);
        Task<int> host = await Connect(shim, StartHost);
        await shim.SendAsync(ControlMessage.Shutdown());
        Assert.Equal(HostExitCode.Ok, await host.WaitAsync(ShimSession.Timeout));
        Assert.Equal(HostState.Stopping, shim.Region.Region.HostState);

        // The host closed its end: the shim reads the end of the stream.
        while (await shim.ReadAsync() is not null)
        {
        }
    }

    [Fact]
    public async Task WithoutAModelFramesPassThroughAndStatusSaysNoModel()
    {
        await using ShimSession shim = ShimSession.Create(16, 16);
        Task<int> host = await Connect(shim, StartHost);
        await shim.ReadStatusAsync("no model");

        byte[] input = ShimSession.Picture(16, 16, 64, 3);
        (_, SlotHeader output, byte[] pixels) = await shim.ExchangeFrameAsync(100, 16, 16, 64, PixelFormat.Bgra8, 5, input);
        Assert.Equal(100u, output.SourceSequence);
        Assert.Equal(input, pixels);

        await shim.CloseAsync();
        Assert.Equal(HostExitCode.Ok, await host.WaitAsync(ShimSession.Timeout));
    }

    [Fact]
    public async Task IncompleteStreamDiffusionManifestIsReportedByFileAndFramesPassThrough()
    {
        await using ShimSession shim = ShimSession.Create(16, 8);
        Task<int> host = await Connect(shim, StartHost);
        await shim.SendAsync(ControlMessage.Configure(ModelFolders.ConfigureJson(models.StreamDiffusion)));
        await shim.ReadStatusAsync("loading");
        JsonElement error = await shim.ReadStatusAsync("error");
        Assert.StartsWith(Path.Combine(models.StreamDiffusion, "manifest.json") + ": field \"format_version\"", error.GetProperty("error").GetString());
        Assert.Equal("diffusion", error.GetProperty("model").GetString());

        byte[] input = ShimSession.Picture(16, 8, 64, 1);
        (_, _, byte[] pixels) = await shim.ExchangeFrameAsync(1, 16, 8, 64, PixelFormat.Rgba8, 0, input);
        Assert.Equal(input, pixels);
        await shim.SendAsync(ControlMessage.Shutdown());
        Assert.Equal(HostExitCode.Ok, await host.WaitAsync(ShimSession.Timeout));
    }

    [Fact]
    public async Task BadModelFoldersAreReportedByNameAndFramesPassThrough()
    {
        await using ShimSession shim = ShimSession.Create(8, 8);
        Task<int> host = await Connect(shim, StartHost);

        await shim.SendAsync(ControlMessage.Configure(ModelFolders.ConfigureJson(models.Missing)));
        JsonElement missing = await shim.ReadStatusAsync("error");
        Assert.Contains(models.Missing, missing.GetProperty("error").GetString());

        await shim.SendAsync(ControlMessage.Configure(ModelFolders.ConfigureJson(models.WrongTensorName)));
        JsonElement wrong = await shim.ReadStatusAsync("error");
        Assert.Contains("input \"pixels\"", wrong.GetProperty("error").GetString());

        await shim.SendAsync(ControlMessage.Configure("{\"model_dir\":42}"));
        JsonElement badType = await shim.ReadStatusAsync("error");
        Assert.Equal("CONFIGURE setting \"model_dir\": expected a string, found 42", badType.GetProperty("error").GetString());

        byte[] input = ShimSession.Picture(8, 8, 32, 2);
        (_, _, byte[] pixels) = await shim.ExchangeFrameAsync(9, 8, 8, 32, PixelFormat.Rgba8, 0, input);
        Assert.Equal(input, pixels);

        // A good folder afterwards recovers.
        await shim.SendAsync(ControlMessage.Configure(ModelFolders.ConfigureJson(models.Invert)));
        await shim.ReadStatusAsync("ready");
        (_, _, pixels) = await shim.ExchangeFrameAsync(10, 8, 8, 32, PixelFormat.Rgba8, 0, input);
        Assert.Equal(255 - input[0], pixels[0]);

        await shim.CloseAsync();
        Assert.Equal(HostExitCode.Ok, await host.WaitAsync(ShimSession.Timeout));
    }

    [Fact]
    public async Task BurstOfWakeUpsProcessesTheNewestFrame()
    {
        await using ShimSession shim = ShimSession.Create(8, 4);
        Task<int> host = await Connect(shim, StartHost);
        for (uint seq = 1; seq <= 5; seq++)
        {
            byte[] picture = ShimSession.Picture(8, 4, 32, (int)seq);
            shim.Region.PublishInput(seq, 8, 4, 32, PixelFormat.Rgba8, seq, span => picture.CopyTo(span));
            await shim.SendAsync(ControlMessage.FrameReady(seq));
        }

        // Whatever the host saw of the burst, the last frame it finished is the newest one.
        ControlMessage done;
        do
        {
            done = await shim.ReadUntilAsync(MessageType.FrameDone);
        }
        while (done.SourceSequence != 5);

        Assert.Equal(TakeResult.Taken, shim.Region.Output.TryTake(out FrameSlot output));
        Assert.Equal(5u, output.Header.SourceSequence);
        await shim.SendAsync(ControlMessage.Shutdown());
        Assert.Equal(HostExitCode.Ok, await host.WaitAsync(ShimSession.Timeout));
    }

    [Fact]
    public async Task HeartbeatAdvancesWhileTheHostIsIdle()
    {
        await using ShimSession shim = ShimSession.Create(8, 8);
        Task<int> host = await Connect(shim, StartHost);
        uint start = shim.Region.Region.HostHeartbeat;
        Assert.True(start >= 1, "the heartbeat starts when the region is opened");

        // At least once a second: two more ticks must arrive well within 5 s.
        Assert.True(
            SpinWait.SpinUntil(() => shim.Region.Region.HostHeartbeat - start >= 2, TimeSpan.FromSeconds(5)),
            $"heartbeat went from {start} to {shim.Region.Region.HostHeartbeat} in 5 s");
        await shim.SendAsync(ControlMessage.Shutdown());
        Assert.Equal(HostExitCode.Ok, await host.WaitAsync(ShimSession.Timeout));
    }

    [Fact]
    public async Task ProtocolViolationEndsTheSessionWithALogLine()
    {
        await using ShimSession shim = ShimSession.Create(8, 8);
        Task<int> host = await Connect(shim, StartHost);

        // A frame whose row_bytes is shorter than width*4, written by hand.
        int back = shim.Region.Input.Back;
        shim.Region.PokeSlotHeader(FrameDirection.Input, back, new SlotHeader(1, 1, 8, 8, 16, PixelFormat.Rgba8, 0, 0));
        shim.Region.PokeExchange(FrameDirection.Input, (uint)back | ProtocolLayout.ExchangeFresh);
        await shim.SendAsync(ControlMessage.FrameReady(1));

        Assert.Equal(HostExitCode.ProtocolViolation, await host.WaitAsync(ShimSession.Timeout));
        while (await shim.ReadAsync() is not null)
        {
        }

        string log = Assert.Single(shim.Logs);
        Assert.Equal("protocol violation: input slot row_bytes: expected >= 32 (width*4), found 16", log);
        Assert.Contains(log, _hostLog.ToString());
        Assert.Equal(HostState.Stopping, shim.Region.Region.HostState);
    }

    [Fact]
    public async Task MessagesOnlyTheHostMaySendAreViolations()
    {
        await using ShimSession shim = ShimSession.Create(8, 8);
        Task<int> host = await Connect(shim, StartHost);
        await shim.SendAsync(ControlMessage.Hello(1, 0, 1));
        Assert.Equal(HostExitCode.ProtocolViolation, await host.WaitAsync(ShimSession.Timeout));
        Assert.Contains("message type from the shim: expected CONFIGURE, FRAME_READY or SHUTDOWN, found HELLO", _hostLog.ToString());
    }

    [Fact]
    public async Task StatusCarriesFpsAndLatencyWhileProcessing()
    {
        await using ShimSession shim = ShimSession.Create(8, 8);
        Task<int> host = await Connect(shim, StartHost);
        byte[] input = ShimSession.Picture(8, 8, 32, 0);
        var started = DateTime.UtcNow;
        uint seq = 0;

        // Frames keep flowing until the host's once-a-second STATUS with numbers arrives (bounded).
        JsonElement? measured = null;
        while (measured is null)
        {
            Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(20), "no STATUS with fps within 20 s of frames");
            await shim.ExchangeFrameAsync(++seq, 8, 8, 32, PixelFormat.Rgba8, 0, input);
            foreach (string status in shim.Statuses)
            {
                using var document = JsonDocument.Parse(status);
                if (document.RootElement.TryGetProperty("fps", out JsonElement fps) && fps.GetDouble() > 0)
                {
                    measured = document.RootElement.Clone();
                }
            }
        }

        Assert.Equal("no model", measured.Value.GetProperty("state").GetString());
        Assert.True(measured.Value.GetProperty("latency_ms").GetDouble() >= 0);
        await shim.CloseAsync();
        Assert.Equal(HostExitCode.Ok, await host.WaitAsync(ShimSession.Timeout));
    }
}
