using System.Collections.Concurrent;
using System.Text.Json;
using StreamFx.Bridge.Tests.Support;
using StreamFx.Diffusion.Pipeline;
using StreamFx.Host;
using StreamFx.Host.Effects;

namespace StreamFx.Bridge.Tests;

/// <summary>
/// Issue 13 (host side) and issue 11 item 4: a failed live CONFIGURE keeps the previous state and
/// the host up; one model load at a time, a newer request cancelling the older; models load only
/// when shown and unload after a time hidden (manual clock, no sleeping); the warm-up frame runs
/// inside the load; slow models say how slow; the heartbeat ticks while the loop and a load block.
/// </summary>
public sealed class HostReliabilityTests(DiffusionPacks packs) : IClassFixture<DiffusionPacks>
{
    private const uint Size = 64;
    private const uint RowBytes = Size * 4;

    private readonly StringWriter _hostLog = new();
    private readonly RecordingLoader _loader = new();

    private async Task<Task<int>> StartAsync(ShimSession shim, EffectLoader loader, TimeProvider? time = null)
    {
        Task<int> host = Task.Run(() => HostRunner.RunAsync(shim.Region.Name, shim.Control.SocketPath, TextWriter.Synchronized(_hostLog), CancellationToken.None, loader, time));
        await shim.AcceptAsync();
        Assert.Equal(MessageType.Hello, (await shim.ReadAsync())?.Type);
        return host;
    }

    private static string Settings(string modelDir, string prompt = "a photo of a cat", bool? active = true, int? unloadAfter = null)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("prompt", prompt);
            writer.WriteNumber("strength", 0.6);
            writer.WriteNumber("steps", 1);
            writer.WriteNumber("resolution", DiffusionPacks.Resolution);
            writer.WriteString("execution_provider", "cpu");
            writer.WriteString("model_dir", modelDir);
            if (active is bool a)
            {
                writer.WriteBoolean("active", a);
            }

            if (unloadAfter is int seconds)
            {
                writer.WriteNumber("unload_after_hidden_s", seconds);
            }

            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static byte[] Input() => ShimSession.Picture(Size, Size, RowBytes, 3);

    private static async Task<byte[]> FrameAsync(ShimSession shim, uint sequence, byte[] input)
    {
        (ControlMessage done, _, byte[] pixels) = await shim.ExchangeFrameAsync(sequence, Size, Size, RowBytes, PixelFormat.Rgba8, sequence, input);
        Assert.Equal(sequence, done.SourceSequence);
        return pixels;
    }

    private static async Task ShutdownAsync(ShimSession shim, Task<int> host)
    {
        await shim.SendAsync(ControlMessage.Shutdown());
        Assert.Equal(HostExitCode.Ok, await host.WaitAsync(ShimSession.Timeout));
    }

    // ---- 13.3: a failed live CONFIGURE ------------------------------------------------------------

    [Fact]
    public async Task AnyExceptionFromALiveConfigureKeepsThePreviousStateAndTheHostUp()
    {
        // The effect's Configure throws what ONNX Runtime failures look like to the host: not an ArgumentException.
        EffectLoad Load(EffectRequest request)
        {
            EffectLoad load = _loader.Load(request);
            return load with { Effect = new ConfigureFaultEffect(load.Effect) };
        }

        await using ShimSession shim = ShimSession.Create(Size, Size);
        Task<int> host = await StartAsync(shim, Load);
        await shim.SendAsync(ControlMessage.Configure(Settings(packs.Turbo)));
        await shim.ReadStatusAsync("ready");
        byte[] input = Input();
        byte[] before = await FrameAsync(shim, 1, input);
        Assert.NotEqual(input, before);

        await shim.SendAsync(ControlMessage.Configure(Settings(packs.Turbo, prompt: ConfigureFaultEffect.FailingPrompt)));
        JsonElement error = await shim.ReadStatusAsync("error");
        Assert.Equal("CONFIGURE: " + ConfigureFaultEffect.Message, error.GetProperty("error").GetString());
        Assert.Equal("turbo64", error.GetProperty("model").GetString());
        Assert.False(host.IsCompleted, "the host must survive a failed CONFIGURE");

        // The previous settings (and so the previous picture) stay in force; no reload happened.
        Assert.Equal(before, await FrameAsync(shim, 2, input));
        Assert.Equal(1, _loader.Calls);

        // A good CONFIGURE clears the error.
        await shim.SendAsync(ControlMessage.Configure(Settings(packs.Turbo, prompt: "a photo of a dog")));
        JsonElement ready = await shim.ReadStatusAsync("ready");
        Assert.False(ready.TryGetProperty("error", out _));
        Assert.NotEqual(before, await FrameAsync(shim, 3, input));
        await ShutdownAsync(shim, host);
    }

    // ---- 13.4: one load at a time -----------------------------------------------------------------

    [Fact]
    public async Task ThreeQuickModelChangesNeverLoadTwoModelsAtOnce()
    {
        var slow = new SlowLoader(_loader);
        await using ShimSession shim = ShimSession.Create(Size, Size);
        Task<int> host = await StartAsync(shim, slow.Load);
        TaskCompletionSource gate = slow.Hold(packs.Other);
        await shim.SendAsync(ControlMessage.Configure(Settings(packs.Other)));
        Assert.Equal("other64", (await shim.ReadStatusAsync("loading")).GetProperty("model").GetString());

        // Two more changes while the first load is held (and ignores its cancellation, as a native call would).
        await shim.SendAsync(ControlMessage.Configure(Settings(packs.Corrupt)));
        await shim.SendAsync(ControlMessage.Configure(Settings(packs.Turbo)));
        while ((await shim.ReadStatusAsync("loading")).GetProperty("model").GetString() != "turbo64")
        {
        }

        byte[] input = Input();
        Assert.Equal(input, await FrameAsync(shim, 1, input)); // no model yet: frames pass through meanwhile
        EffectRequest first = Assert.Single(slow.Requests);
        Assert.Equal(packs.Other, first.ModelDir);
        Assert.True(first.Cancellation.IsCancellationRequested, "the superseded load must be asked to stop");

        gate.SetResult();
        Assert.Equal("turbo64", (await shim.ReadStatusAsync("ready")).GetProperty("model").GetString());
        Assert.NotEqual(input, await FrameAsync(shim, 2, input));

        // other64 was built (its loader ignored the cancellation) but disposed unseen; corrupt64 never loaded.
        Assert.Equal([packs.Other, packs.Turbo], slow.Requests.Select(r => r.ModelDir));
        Assert.Equal(1, slow.MaxRunning);
        TrackedEffect stale = _loader.Effects.First();
        await stale.Disposed.WaitAsync(ShimSession.Timeout);
        Assert.Equal(0, stale.Frames);
        await ShutdownAsync(shim, host);
    }

    [Fact]
    public async Task GoingBackToTheRunningModelAfterAFailedSwitchClearsTheFailure()
    {
        await using ShimSession shim = ShimSession.Create(Size, Size);
        Task<int> host = await StartAsync(shim, _loader.Load);
        await shim.SendAsync(ControlMessage.Configure(Settings(packs.Turbo)));
        await shim.ReadStatusAsync("ready");

        await shim.SendAsync(ControlMessage.Configure(Settings(packs.Corrupt)));
        JsonElement failed = await shim.ReadStatusAsync("error");
        Assert.Equal("corrupt64", failed.GetProperty("model").GetString());
        Assert.EndsWith("; still running 'turbo64'", failed.GetProperty("error").GetString());

        // Back on the model that kept running: no load, and the failure no longer shows.
        await shim.SendAsync(ControlMessage.Configure(Settings(packs.Turbo, prompt: "a photo of a dog")));
        JsonElement ready = await shim.ReadStatusAsync("ready");
        Assert.Equal("turbo64", ready.GetProperty("model").GetString());
        Assert.False(ready.TryGetProperty("error", out _));
        Assert.Equal(2, _loader.Calls);

        // Forgotten, not just hidden: asking for the broken folder again retries it.
        await shim.SendAsync(ControlMessage.Configure(Settings(packs.Corrupt)));
        Assert.Equal("corrupt64", (await shim.ReadStatusAsync("loading")).GetProperty("model").GetString());
        Assert.Equal("corrupt64", (await shim.ReadStatusAsync("error")).GetProperty("model").GetString());
        Assert.Equal(3, _loader.Calls);
        await ShutdownAsync(shim, host);
    }

    // ---- 13.6: lazy load, unload when hidden ------------------------------------------------------

    [Fact]
    public async Task AHiddenFilterLoadsNothingUntilShownAndUnloadsAfterTheConfiguredTimeHidden()
    {
        var clock = new ManualClock();
        await using ShimSession shim = ShimSession.Create(Size, Size);
        Task<int> host = await StartAsync(shim, _loader.Load, clock);

        // Created hidden (a scene that is not shown): nothing loads.
        await shim.SendAsync(ControlMessage.Configure(Settings(packs.Turbo, active: false)));
        JsonElement hidden = await shim.ReadStatusAsync(HostSession.StateUnloadedWhileHidden);
        Assert.Equal("turbo64", hidden.GetProperty("model").GetString());
        Assert.Equal(0, _loader.Calls);

        // Shown: the load starts.
        await shim.SendAsync(ControlMessage.Configure("{\"active\":true}"));
        await shim.ReadStatusAsync("ready");
        Assert.Equal(1, _loader.Calls);
        TrackedEffect first = Assert.Single(_loader.Effects);
        byte[] input = Input();
        byte[] processed = await FrameAsync(shim, 1, input);
        Assert.NotEqual(input, processed);

        // Hidden for 59 s: still loaded (the default is 60 s). Messages are handled in order, so the
        // error STATUS for the refused CONFIGURE proves the host took "active: false" before the clock
        // moves; and it checks its clock before reading the next message, so the answer to a CONFIGURE
        // sent after the move tells what it decided at 59 s.
        await shim.SendAsync(ControlMessage.Configure("{\"active\":false}"));
        await shim.SendAsync(ControlMessage.Configure("{\"strength\":7}"));
        Assert.Equal("turbo64", (await shim.ReadStatusAsync("error")).GetProperty("model").GetString());
        await clock.WhenTimerArmed().WaitAsync(ShimSession.Timeout);
        clock.Advance(TimeSpan.FromSeconds(59));
        await shim.SendAsync(ControlMessage.Configure("{\"strength\":0.6}"));
        await shim.ReadStatusAsync("ready");
        Assert.False(first.Disposed.IsCompleted);

        // The 60th second: unloaded, and STATUS says so.
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("turbo64", (await shim.ReadStatusAsync(HostSession.StateUnloadedWhileHidden)).GetProperty("model").GetString());
        await first.Disposed.WaitAsync(ShimSession.Timeout);

        // Coming back: the first frame passes through while the model loads again in the background.
        TaskCompletionSource gate = _loader.Hold(packs.Turbo);
        Assert.Equal(input, await FrameAsync(shim, 3, input));
        await shim.ReadStatusAsync("loading");
        Assert.Equal(input, await FrameAsync(shim, 4, input));
        gate.SetResult();
        await shim.ReadStatusAsync("ready");
        Assert.Equal(processed, await FrameAsync(shim, 5, input));
        Assert.Equal(2, _loader.Calls);
        await ShutdownAsync(shim, host);
    }

    [Fact]
    public async Task UnloadAfterHiddenZeroNeverUnloadsAndOtherValuesAreHonoured()
    {
        var clock = new ManualClock();
        await using ShimSession shim = ShimSession.Create(Size, Size);
        Task<int> host = await StartAsync(shim, _loader.Load, clock);
        await shim.SendAsync(ControlMessage.Configure(Settings(packs.Turbo, unloadAfter: 0)));
        await shim.ReadStatusAsync("ready");
        TrackedEffect effect = Assert.Single(_loader.Effects);
        byte[] input = Input();
        byte[] processed = await FrameAsync(shim, 1, input);

        await shim.SendAsync(ControlMessage.Configure("{\"active\":false}"));
        clock.Advance(TimeSpan.FromDays(2));
        await shim.SendAsync(ControlMessage.Configure("{\"strength\":7}"));
        await shim.ReadStatusAsync("error");
        Assert.False(effect.Disposed.IsCompleted, "unload_after_hidden_s 0 means never");
        await shim.SendAsync(ControlMessage.Configure("{\"strength\":0.6}"));
        await shim.ReadStatusAsync("ready");
        Assert.Equal(processed, await FrameAsync(shim, 2, input));

        // 5 s: unloaded after 5 s of the clock.
        await shim.SendAsync(ControlMessage.Configure("{\"unload_after_hidden_s\":5}"));
        await clock.WhenTimerArmed().WaitAsync(ShimSession.Timeout);
        clock.Advance(TimeSpan.FromSeconds(5));
        await shim.ReadStatusAsync(HostSession.StateUnloadedWhileHidden);
        await effect.Disposed.WaitAsync(ShimSession.Timeout);

        // Bad values are refused by key, the previous ones stay.
        await shim.SendAsync(ControlMessage.Configure("{\"unload_after_hidden_s\":-1}"));
        JsonElement error = await shim.ReadStatusAsync(HostSession.StateUnloadedWhileHidden);
        Assert.StartsWith("CONFIGURE setting \"unload_after_hidden_s\": expected", error.GetProperty("error").GetString());
        await ShutdownAsync(shim, host);
    }

    // ---- issue 11 item 4: warm-up, slow models, heartbeat -----------------------------------------

    [Fact]
    public async Task TheLoadRunsAWarmUpFrameAndSaysWarmingUpMeanwhile()
    {
        var slow = new SlowLoader(_loader) { HoldWarmUp = true };
        await using ShimSession shim = ShimSession.Create(Size, Size);
        Task<int> host = await StartAsync(shim, slow.Load);
        await shim.SendAsync(ControlMessage.Configure(Settings(packs.Turbo)));
        JsonElement warming = await shim.ReadStatusAsync(HostSession.StateWarmingUp);
        Assert.StartsWith(EffectFactory.WarmingUpProgress + ": one 64x64 frame on cpu", warming.GetProperty("progress").GetString());
        slow.ReleaseWarmUp();
        await shim.ReadStatusAsync("ready");
        Assert.Contains("warm-up frame took", _hostLog.ToString());

        // The warm-up ran the models once, and left the stream state as new: the first frame matches a fresh pipeline's.
        StreamDiffusionEffect pipeline = Assert.Single(_loader.Effects).Pipeline!;
        Assert.Equal(1, pipeline.Status.UnetCalls);
        Assert.Equal(1, pipeline.Status.DecoderCalls);
        Assert.Equal(0, pipeline.Status.FramesProcessed);
        byte[] input = Input();
        byte[] hosted = await FrameAsync(shim, 1, input);
        using var fresh = new StreamDiffusionEffect(packs.Turbo, HostSettings.Parse(Settings(packs.Turbo), new EffectSettings()));
        byte[] expected = new byte[input.Length];
        fresh.Process(input, expected, (int)Size, (int)Size, (int)RowBytes, Diffusion.Imaging.PixelLayout.Rgba);
        Assert.Equal(expected, hosted);
        await ShutdownAsync(shim, host);
    }

    [Theory]
    [InlineData(0.2, "cpu", null)]
    [InlineData(0.8, "cpu", "0.8 s per frame on cpu")]
    [InlineData(4.2, "cpu", "4.2 s per frame on cpu: frames show late (over 2 s each); choose a GPU execution provider (tensorrt, cuda or directml) or a smaller resolution")]
    [InlineData(3.0, "cuda", "3.0 s per frame on cuda: frames show late (over 2 s each); choose a smaller resolution or fewer steps")]
    public void ASlowModelsStatusSaysHowSlowAndPastTheBoundWhatToChange(double seconds, string provider, string? note) =>
        Assert.Equal(note, HostSession.DescribeSpeed(seconds, provider));

    [Fact]
    public async Task SlowFramesGetANoteInStatusAndOneLogLineWithTheAdvice()
    {
        EffectLoad Load(EffectRequest request) => new(new SlowEffect(), EffectLoad.StateReady, "slow", null);

        await using ShimSession shim = ShimSession.Create(Size, Size);
        Task<int> host = await StartAsync(shim, Load);
        // Fast passthrough frames before the model (over a statistics window, 1 s) must not hide its slowness.
        byte[] input = Input();
        var passing = System.Diagnostics.Stopwatch.StartNew();
        for (uint seq = 1; passing.Elapsed < TimeSpan.FromSeconds(1.2); seq++)
        {
            Assert.Equal(input, await FrameAsync(shim, seq, input));
        }

        await shim.SendAsync(ControlMessage.Configure(Settings(packs.Turbo)));
        JsonElement ready = await shim.ReadStatusAsync("ready");
        Assert.StartsWith("2.5 s per frame on cpu: frames show late", ready.GetProperty("note").GetString());
        Assert.Single(shim.Logs, log => log.StartsWith("2.5 s per frame on cpu", StringComparison.Ordinal));
        await ShutdownAsync(shim, host);
    }

    [Fact]
    public async Task HeartbeatAdvancesWhileAFrameAndALoadBothBlock()
    {
        var slow = new SlowLoader(_loader);
        var blocking = new BlockingEffect();
        EffectLoad Load(EffectRequest request) => request.ModelDir == packs.Turbo ? new(blocking, EffectLoad.StateReady, "blocking", null) : slow.Load(request);

        await using ShimSession shim = ShimSession.Create(Size, Size);
        Task<int> host = await StartAsync(shim, Load);
        await shim.SendAsync(ControlMessage.Configure(Settings(packs.Turbo)));
        await shim.ReadStatusAsync("ready");
        TaskCompletionSource gate = slow.Hold(packs.Other);
        await shim.SendAsync(ControlMessage.Configure(Settings(packs.Other)));
        await shim.ReadStatusAsync("loading");

        // The frame loop is now stuck in Process and the load in its gate: the heartbeat must still tick.
        byte[] input = Input();
        shim.Region.PublishInput(1, Size, Size, RowBytes, PixelFormat.Rgba8, 1, span => input.CopyTo(span));
        await shim.SendAsync(ControlMessage.FrameReady(1));
        Assert.True(blocking.Entered.Wait(ShimSession.Timeout), "the frame never reached the effect");
        uint start = shim.Region.Region.HostHeartbeat;
        Assert.True(
            SpinWait.SpinUntil(() => shim.Region.Region.HostHeartbeat - start >= 4, TimeSpan.FromSeconds(10)),
            $"heartbeat went from {start} to {shim.Region.Region.HostHeartbeat} while the loop and the load were blocked");
        blocking.Release.Set();
        gate.SetResult();
        await shim.ReadUntilAsync(MessageType.FrameDone);
        await ShutdownAsync(shim, host);
    }

    /// <summary>Configure throws (as an ONNX Runtime failure would, not an ArgumentException) for one prompt.</summary>
    private sealed class ConfigureFaultEffect(IFrameEffect inner) : IFrameEffect
    {
        public const string FailingPrompt = "fail in configure";
        public const string Message = "simulated ONNX Runtime failure while applying settings";

        public string Name => inner.Name;
        public EffectReport Report => inner.Report;

        public void Process(ReadOnlySpan<byte> input, Span<byte> output, int width, int height, int rowBytes, PixelFormat format) =>
            inner.Process(input, output, width, height, rowBytes, format);

        public ConfigureOutcome Configure(EffectSettings settings) =>
            settings.Prompt == FailingPrompt ? throw new InvalidOperationException(Message) : inner.Configure(settings);

        public void Dispose() => inner.Dispose();
    }

    /// <summary>Reports 2.5 s per warm-up frame (as a 1024 px model on a CPU would); processes as identity.</summary>
    private sealed class SlowEffect : IFrameEffect
    {
        public string Name => "slow";
        public EffectReport Report => EffectReport.Cpu with { WarmUpSeconds = 2.5 };

        public void Process(ReadOnlySpan<byte> input, Span<byte> output, int width, int height, int rowBytes, PixelFormat format) =>
            input[..(rowBytes * height)].CopyTo(output);

        public ConfigureOutcome Configure(EffectSettings settings) => ConfigureOutcome.Applied;

        public void Dispose()
        {
        }
    }

    /// <summary>Blocks the frame loop inside Process until the test releases it.</summary>
    private sealed class BlockingEffect : IFrameEffect
    {
        public ManualResetEventSlim Entered { get; } = new();
        public ManualResetEventSlim Release { get; } = new();
        public string Name => "blocking";
        public EffectReport Report => EffectReport.Cpu;

        public void Process(ReadOnlySpan<byte> input, Span<byte> output, int width, int height, int rowBytes, PixelFormat format)
        {
            Entered.Set();
            Release.Wait(ShimSession.Timeout);
            input[..(rowBytes * height)].CopyTo(output);
        }

        public ConfigureOutcome Configure(EffectSettings settings) => ConfigureOutcome.Applied;

        public void Dispose()
        {
        }
    }

    /// <summary>
    /// A loader over <see cref="RecordingLoader"/> that records requests and how many run at once, and
    /// can hold a folder's load on a gate that ignores cancellation (a native call that cannot be
    /// interrupted), or hold inside the warm-up (the progress line says "warming up").
    /// </summary>
    private sealed class SlowLoader(RecordingLoader inner)
    {
        private readonly ConcurrentDictionary<string, TaskCompletionSource> _gates = new();
        private readonly ManualResetEventSlim _warmUp = new();
        private int _running;
        private int _maxRunning;

        public ConcurrentQueue<EffectRequest> Requests { get; } = new();
        public int MaxRunning => Volatile.Read(ref _maxRunning);
        public bool HoldWarmUp { get; init; }

        public TaskCompletionSource Hold(string modelDir) =>
            _gates.GetOrAdd(modelDir, static _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

        public void ReleaseWarmUp() => _warmUp.Set();

        public EffectLoad Load(EffectRequest request)
        {
            Requests.Enqueue(request);
            int now = Interlocked.Increment(ref _running);
            for (int max = Volatile.Read(ref _maxRunning); now > max && Interlocked.CompareExchange(ref _maxRunning, now, max) != max; max = Volatile.Read(ref _maxRunning))
            {
            }

            try
            {
                if (request.ModelDir is not null && _gates.TryGetValue(request.ModelDir, out TaskCompletionSource? gate) && !gate.Task.Wait(ShimSession.Timeout))
                {
                    throw new TimeoutException($"the test never opened the gate for '{request.ModelDir}'");
                }

                if (HoldWarmUp)
                {
                    // Hold at the warm-up's progress line, as a long first frame would.
                    Action<string>? progress = request.Progress;
                    request = request with
                    {
                        Progress = line =>
                        {
                            progress?.Invoke(line);
                            if (line.StartsWith(EffectFactory.WarmingUpProgress, StringComparison.Ordinal))
                            {
                                _warmUp.Wait(ShimSession.Timeout);
                            }
                        },
                    };
                }

                return inner.Load(request);
            }
            finally
            {
                Interlocked.Decrement(ref _running);
            }
        }
    }
}
