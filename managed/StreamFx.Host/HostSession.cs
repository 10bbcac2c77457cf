using System.Collections.Concurrent;
using StreamFx.Bridge;
using StreamFx.Diffusion.Pipeline;
using StreamFx.Host.Effects;

namespace StreamFx.Host;

// The session's message loop: HELLO, then CONFIGURE, FRAME_READY and SHUTDOWN until the shim goes
// (model loads: HostSession.Loading.cs; frames: HostSession.Frames.cs; STATUS: HostSession.Status.cs).

/// <summary>
/// One host session over an open region and a connected control channel (docs/protocol.md
/// section 1, steps 2-3): HELLO, then event-driven frames until end of stream or SHUTDOWN.
/// The heartbeat is the caller's (<see cref="HostRunner"/>), so it ticks while connecting too.
/// </summary>
/// <remarks>
/// Everything here runs on one logical flow, the frame loop: CONFIGURE, frames and STATUS never
/// overlap, so the effect is only ever touched from it. Only model loads run elsewhere (their own
/// thread), one at a time: while one runs, frames keep flowing through the current effect, STATUS
/// says "loading" (then "warming up") at least once a second, and the finished effect is swapped in
/// by the loop. A newer model request cancels the running load and waits for it to end. Loads are
/// lazy: a model is only loaded once the source is shown, and unloaded after it was hidden for
/// <see cref="HostVisibility.UnloadAfterHiddenSeconds"/> (docs/reliability.md).
/// </remarks>
public sealed partial class HostSession : IDisposable
{
    private readonly FrameRegion _region;
    private readonly ControlChannel _channel;
    private readonly TextWriter _log;
    private readonly EffectLoader _loader;
    private readonly TripleBufferReader _input;
    private readonly TripleBufferWriter _output;
    private readonly FrameStatistics _statistics = new();
    private readonly ConcurrentQueue<(LogLevel Level, string Text)> _shimLogs = new();
    private readonly TimeProvider _time;
    private readonly EffectSlot _slot;

    private EffectSettings _settings = new();
    private HostVisibility _visibility = HostVisibility.Default;
    private long _hiddenSince;

    /// <param name="time">The clock for unloading hidden models (tests inject a manual one); null: the system clock.</param>
    public HostSession(FrameRegion region, ControlChannel channel, TextWriter log, EffectLoader? loader = null, TimeProvider? time = null)
    {
        _region = region;
        _channel = channel;
        _log = log;
        _loader = loader ?? EffectFactory.Create;
        _time = time ?? TimeProvider.System;
        _input = region.CreateReader(FrameDirection.Input);
        _output = region.CreateWriter(FrameDirection.Output);
        _slot = new EffectSlot(LoadKey.For(_settings));
    }

    /// <summary>Frames published so far.</summary>
    public long FramesProcessed { get; private set; }

    /// <summary>Model loads started so far (parameter-only CONFIGUREs start none).</summary>
    public int LoadsStarted { get; private set; }

    // While a load or a superseded one runs, the loop also wakes for its end and the loading STATUS tick.
    private bool LoadRunning => _slot.RunningLoad is not null;

    /// <summary>
    /// Runs until the shim closes the channel or sends SHUTDOWN (returns <see cref="HostExitCode.Ok"/>),
    /// or the shim breaks the protocol (logs one line naming the field, returns <see cref="HostExitCode.ProtocolViolation"/>).
    /// host_state is 2 (stopping) on return.
    /// </summary>
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _channel.SendAsync(ControlMessage.Hello(ProtocolLayout.VersionMajor, ProtocolLayout.VersionMinor, (uint)Environment.ProcessId), cancellationToken).ConfigureAwait(false);
            _region.HostState = HostState.Ready;
            await SendStatusAsync(force: true, cancellationToken).ConfigureAwait(false);

            // While a model loads, or a hidden model waits to be unloaded, the next read is kept as a
            // task so the loop can also wake for the load's end, the loading STATUS tick and the unload
            // time; otherwise reads are awaited directly (no allocation).
            Task<ControlMessage?>? read = null;
            Task? tick = null;
            Task? unloadTimer = null;
            while (true)
            {
                TimeSpan? untilUnload = UntilUnload();
                if (LoadRunning || untilUnload is not null)
                {
                    read ??= _channel.ReadAsync(cancellationToken).AsTask();
                    ModelLoad? load = _slot.RunningLoad;
                    if (load is not null)
                    {
                        tick ??= Task.Delay(UntilLoadingStatusDue(), cancellationToken);
                    }

                    if (untilUnload is TimeSpan due)
                    {
                        unloadTimer ??= Task.Delay(due, _time, cancellationToken);
                    }

                    await Task.WhenAny(WakeSources(read, load?.Result, tick, unloadTimer)).ConfigureAwait(false);
                    if (load is not null && load.Result.IsCompleted)
                    {
                        tick = null;
                        await CompleteLoadAsync(cancellationToken).ConfigureAwait(false);
                    }
                    else if (tick is { IsCompleted: true })
                    {
                        tick = null;
                        await SendStatusAsync(force: true, cancellationToken).ConfigureAwait(false);
                    }

                    if (unloadTimer is { IsCompleted: true })
                    {
                        // Re-checked against the clock: the source may have been shown (and hidden again) meanwhile.
                        unloadTimer = null;
                        await UnloadIfHiddenLongEnoughAsync(cancellationToken).ConfigureAwait(false);
                    }

                    if (!read.IsCompleted)
                    {
                        continue;
                    }
                }

                ControlMessage? first;
                if (read is not null)
                {
                    first = await read.ConfigureAwait(false);
                    read = null;
                }
                else
                {
                    first = await _channel.ReadAsync(cancellationToken).ConfigureAwait(false);
                }

                if (first is not ControlMessage message)
                {
                    _log.WriteLine("[streamfx-host] control channel closed by the shim; exiting");
                    return HostExitCode.Ok;
                }

                // Handle everything already received, then do one frame's work for any number of
                // FRAME_READY wake-ups: the region only holds the newest frame anyway.
                bool frameReady = false;
                do
                {
                    switch (message.Type)
                    {
                        case MessageType.FrameReady:
                            frameReady = true;
                            break;
                        case MessageType.Configure:
                            await ConfigureAsync(message.Text!, cancellationToken).ConfigureAwait(false);
                            break;
                        case MessageType.Shutdown:
                            _log.WriteLine("[streamfx-host] SHUTDOWN received; exiting");
                            return HostExitCode.Ok;
                        default:
                            throw new ProtocolViolationException(
                                "message type from the shim", "CONFIGURE, FRAME_READY or SHUTDOWN", MessageFramer.Name(message.Type));
                    }
                }
                while (_channel.TryReadBuffered(out message));

                if (frameReady)
                {
                    if (_slot.RunningLoad is { Result.IsCompleted: true })
                    {
                        tick = null;
                        await CompleteLoadAsync(cancellationToken).ConfigureAwait(false);
                    }

                    // A frame means the source is drawn: a model that waited for that starts loading now,
                    // and hidden time counts from the last frame (active=false may lag the first frames).
                    if (!_visibility.Active)
                    {
                        _hiddenSince = _time.GetTimestamp();
                    }

                    await StartWantedLoadAsync(frameArrived: true, cancellationToken).ConfigureAwait(false);
                    await ProcessNewestFrameAsync(cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (ProtocolViolationException e)
        {
            _log.WriteLine("[streamfx-host] " + e.Message + "; ending the session");
            await TrySendAsync(ControlMessage.Log(LogLevel.Error, e.Message)).ConfigureAwait(false);
            return HostExitCode.ProtocolViolation;
        }
        catch (IOException e)
        {
            // The shim vanished mid-write: same as end of stream, the host never outlives it.
            _log.WriteLine("[streamfx-host] control channel failed: " + e.Message + "; exiting");
            return HostExitCode.Ok;
        }
        finally
        {
            _region.HostState = HostState.Stopping;
        }
    }

    private static Task[] WakeSources(Task read, Task? load, Task? tick, Task? unloadTimer)
    {
        int count = 1 + (load is null ? 0 : 1) + (tick is null ? 0 : 1) + (unloadTimer is null ? 0 : 1);
        var tasks = new Task[count];
        int i = 0;
        tasks[i++] = read;
        if (load is not null)
        {
            tasks[i++] = load;
        }

        if (tick is not null)
        {
            tasks[i++] = tick;
        }

        if (unloadTimer is not null)
        {
            tasks[i] = unloadTimer;
        }

        return tasks;
    }

    private async Task TrySendAsync(ControlMessage message)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await _channel.SendAsync(message, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // Best effort: the session is ending either way.
        }
    }

    public void Dispose() => _slot.Dispose();
}
