using System.Collections.Concurrent;
using System.Diagnostics;
using StreamFx.Bridge;
using StreamFx.Diffusion.Pipeline;
using StreamFx.Host.Effects;

namespace StreamFx.Host;

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
public sealed class HostSession : IDisposable
{
    /// <summary>Longest gap between STATUS messages while a model loads.</summary>
    public static readonly TimeSpan LoadingStatusPeriod = TimeSpan.FromSeconds(1);

    /// <summary>STATUS state while a model is wanted but not loaded because the source is hidden.</summary>
    public const string StateUnloadedWhileHidden = "unloaded while hidden";

    /// <summary>STATUS state while the load runs its warm-up frame.</summary>
    public const string StateWarmingUp = "warming up";

    /// <summary>From this many seconds per frame on, STATUS "note" says how slow the model is.</summary>
    public const double SlowFrameSeconds = 0.5;

    /// <summary>From this many seconds per frame on, the note also suggests a GPU provider or a smaller resolution.</summary>
    public const double VerySlowFrameSeconds = 2.0;

    private readonly FrameRegion _region;
    private readonly ControlChannel _channel;
    private readonly TextWriter _log;
    private readonly EffectLoader _loader;
    private readonly TripleBufferReader _input;
    private readonly TripleBufferWriter _output;
    private readonly FrameStatistics _statistics = new();
    private readonly ConcurrentQueue<(LogLevel Level, string Text)> _shimLogs = new();
    private readonly TimeProvider _time;

    private EffectLoad _effect = EffectLoad.NoModel();
    private LoadKey _effectKey;
    private EffectSettings _settings = new();
    private HostVisibility _visibility = HostVisibility.Default;
    private long _hiddenSince;
    // The running load (at most one), and the model wanted next: started once no load runs and the
    // source is shown.
    private ModelLoad? _load;
    private (LoadKey Key, EffectSettings Settings)? _wanted;
    private bool _slowAdviceLogged;
    // Seconds the current effect took for its last frame (null: it ran none yet); statistics mix effects.
    private double? _effectFrameSeconds;
    private LoadKey? _failedKey;
    private string? _loadError;
    private string? _failedModel;
    private string? _settingsError;
    private string? _frameError;
    private string? _lastStatusJson;
    private long _lastStatusTimestamp;
    private uint _outputSequence;
    private bool _staleLogged;

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
        _effectKey = LoadKey.For(_settings);
    }

    /// <summary>Frames published so far.</summary>
    public long FramesProcessed { get; private set; }

    /// <summary>Model loads started so far (parameter-only CONFIGUREs start none).</summary>
    public int LoadsStarted { get; private set; }

    // While a load or a superseded one runs, the loop also wakes for its end and the loading STATUS tick.
    private bool LoadRunning => _load is not null;

    // The load that will give the wanted model (not a superseded one), if any.
    private ModelLoad? LiveLoad => _load is { Superseded: false } load ? load : null;

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
                    ModelLoad? load = _load;
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
                    if (_load is { Result.IsCompleted: true })
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

    // How long until a hidden, loaded model is due to be unloaded; null when none is.
    private TimeSpan? UntilUnload()
    {
        if (_visibility.Active || _visibility.UnloadAfterHiddenSeconds == 0 || _effectKey.ModelDir is null || LoadRunning)
        {
            return null;
        }

        TimeSpan left = TimeSpan.FromSeconds(_visibility.UnloadAfterHiddenSeconds) - _time.GetElapsedTime(_hiddenSince);
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    private async Task UnloadIfHiddenLongEnoughAsync(CancellationToken cancellationToken)
    {
        if (UntilUnload() != TimeSpan.Zero)
        {
            return;
        }

        // The model is wanted again as soon as the source is shown; until then frames pass through.
        LoadKey key = _effectKey;
        string? model = _effect.Model;
        _wanted = (key, _settings);
        Swap(EffectLoad.NoModel(), default);
        string message = $"model '{model}' unloaded: source hidden for {_visibility.UnloadAfterHiddenSeconds} s; it loads again in the background when shown";
        _log.WriteLine("[streamfx-host] " + message);
        _shimLogs.Enqueue((LogLevel.Info, message));
        await SendStatusAsync(force: true, cancellationToken).ConfigureAwait(false);
    }

    private TimeSpan UntilLoadingStatusDue()
    {
        TimeSpan left = LoadingStatusPeriod - Stopwatch.GetElapsedTime(_lastStatusTimestamp);
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    private async Task ConfigureAsync(string json, CancellationToken cancellationToken)
    {
        EffectSettings settings;
        HostVisibility visibility;
        try
        {
            settings = HostSettings.Parse(json, _settings);
            visibility = HostSettings.ParseVisibility(json, _visibility, settings);
        }
        catch (InvalidDataException e)
        {
            // The previous settings stay in force.
            _settingsError = e.Message;
            _log.WriteLine("[streamfx-host] " + e.Message);
            _shimLogs.Enqueue((LogLevel.Warning, e.Message));
            await SendStatusAsync(force: true, cancellationToken).ConfigureAwait(false);
            return;
        }

        _settingsError = null;
        if (_visibility.Active && !visibility.Active)
        {
            _hiddenSince = _time.GetTimestamp();
        }

        _visibility = visibility;
        EffectSettings previous = _settings;
        _settings = settings;
        var key = LoadKey.For(settings);

        if (LiveLoad is ModelLoad live)
        {
            if (live.Key == key)
            {
                // Same model on the way: these settings are applied when it is swapped in.
                _wanted = null;
                await SendStatusAsync(force: false, cancellationToken).ConfigureAwait(false);
                return;
            }

            // A newer CONFIGURE wins: the running load is cancelled, and the next one starts once it has ended.
            _log.WriteLine($"[streamfx-host] model '{live.Model}': load superseded by a newer CONFIGURE; cancelling it");
            live.Supersede();
        }

        _wanted = null;
        if (key == _effectKey)
        {
            // Back on (or still on) the model in use: an earlier failure no longer applies.
            _loadError = null;
            _failedKey = null;
            _failedModel = null;
            ConfigureOutcome outcome;
            try
            {
                outcome = _effect.Effect.Configure(settings);
            }
            catch (Exception e) when (e is not ProtocolViolationException)
            {
                // Any failure, an ONNX Runtime one included: the effect kept its previous state (its
                // Configure is transactional), so the previous settings stay in force and the host stays up.
                _settings = previous;
                _settingsError = $"CONFIGURE: {e.Message}";
                _log.WriteLine($"[streamfx-host] {_settingsError} ({e.GetType().Name}); previous settings kept");
                _shimLogs.Enqueue((LogLevel.Warning, _settingsError));
                await SendStatusAsync(force: true, cancellationToken).ConfigureAwait(false);
                return;
            }

            if (outcome == ConfigureOutcome.Applied)
            {
                await SendStatusAsync(force: false, cancellationToken).ConfigureAwait(false);
                return;
            }
        }
        else if (key == _failedKey)
        {
            // This exact load failed already (reported); retried when the folder or provider changes.
            await SendStatusAsync(force: false, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (key.ModelDir is null)
        {
            // Nothing to load: passthrough right away.
            Swap(EffectLoad.NoModel(), key);
            _log.WriteLine("[streamfx-host] no model folder set; passing frames through");
            await SendStatusAsync(force: true, cancellationToken).ConfigureAwait(false);
            return;
        }

        _wanted = (key, settings);
        if (!await StartWantedLoadAsync(frameArrived: false, cancellationToken).ConfigureAwait(false))
        {
            await SendStatusAsync(force: true, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Starts the wanted model's load when none runs and the source is shown (CONFIGURE <c>active</c>,
    /// or a frame arrived): a hidden filter never loads a model. Returns whether a load started.
    /// </summary>
    private async Task<bool> StartWantedLoadAsync(bool frameArrived, CancellationToken cancellationToken)
    {
        if (_wanted is not (LoadKey key, EffectSettings settings) || LoadRunning || !(_visibility.Active || frameArrived))
        {
            return false;
        }

        _wanted = null;
        LoadsStarted++;
        _load = ModelLoad.Start(key, settings, _loader, LogFromLoader);
        _log.WriteLine($"[streamfx-host] model '{key.ModelDir}': loading (provider {Diffusion.Runtime.ExecutionProviderNames.Name(key.Provider)}); frames keep flowing through '{_effect.Effect.Name}'");
        await SendStatusAsync(force: true, cancellationToken).ConfigureAwait(false);
        return true;
    }

    // Called from the loading thread: the line goes to stderr now, to the shim from the loop.
    private void LogFromLoader(string line)
    {
        _log.WriteLine("[streamfx-host] " + line);
        _shimLogs.Enqueue((LogLevel.Info, line));
    }

    /// <summary>
    /// Takes the finished load's result on the frame loop: swaps it in, keeps the current effect on
    /// failure, or disposes it unseen when it was superseded; then starts the wanted load, if any.
    /// </summary>
    private async Task CompleteLoadAsync(CancellationToken cancellationToken)
    {
        ModelLoad load = _load!;
        _load = null;
        EffectLoad result = await load.Result.ConfigureAwait(false);
        if (load.Superseded)
        {
            result.Effect.Dispose();
            _log.WriteLine($"[streamfx-host] model '{load.Model}': superseded load ended after {load.ElapsedSeconds:0.0} s; its result was discarded");
            if (!await StartWantedLoadAsync(frameArrived: false, cancellationToken).ConfigureAwait(false))
            {
                await SendStatusAsync(force: true, cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        if (result.Error is not null)
        {
            result.Effect.Dispose();
            _loadError = result.Error;
            _failedKey = load.Key;
            _failedModel = result.Model ?? load.Model;
            string message = $"model '{load.Key.ModelDir}' failed to load: {result.Error}; {(_effect.Effect is IdentityEffect ? "frames pass through" : $"still running '{_effect.Model}'")}";
            _log.WriteLine("[streamfx-host] " + message);
            _shimLogs.Enqueue((LogLevel.Error, message));
            await SendStatusAsync(force: true, cancellationToken).ConfigureAwait(false);
            return;
        }

        // Settings that arrived during the load (same folder and provider) apply before the first frame.
        bool reloadAgain = false;
        if (!ReferenceEquals(load.Settings, _settings))
        {
            try
            {
                reloadAgain = result.Effect.Configure(_settings) == ConfigureOutcome.ReloadRequired;
            }
            catch (Exception e) when (e is not ProtocolViolationException)
            {
                // The new effect keeps the settings it was built with.
                _settingsError = $"CONFIGURE: {e.Message}";
                _shimLogs.Enqueue((LogLevel.Warning, _settingsError));
            }
        }

        Swap(result, load.Key);
        _slowAdviceLogged = false;
        string provider = result.Effect.Report.Provider;
        _log.WriteLine($"[streamfx-host] model '{load.Key.ModelDir}': ready on {provider} after {load.ElapsedSeconds:0.0} s");
        _shimLogs.Enqueue((LogLevel.Info, $"model '{result.Model}' ready on {provider} ({load.ElapsedSeconds:0.0} s)"));
        if (reloadAgain)
        {
            // E.g. a new resolution on TensorRT arrived during the build: its engines are per size.
            _wanted = (LoadKey.For(_settings), _settings);
            if (!await StartWantedLoadAsync(frameArrived: false, cancellationToken).ConfigureAwait(false))
            {
                await SendStatusAsync(force: true, cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        await SendStatusAsync(force: true, cancellationToken).ConfigureAwait(false);
    }

    // The old effect is only disposed here, on the frame loop, after the new one took its place.
    private void Swap(EffectLoad next, LoadKey key)
    {
        EffectLoad old = _effect;
        _effect = next;
        _effectKey = key;
        _loadError = null;
        _failedKey = null;
        _failedModel = null;
        _frameError = null;
        _effectFrameSeconds = null;
        old.Effect.Dispose();
    }

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ProcessNewestFrameAsync(CancellationToken cancellationToken)
    {
        if (!TryProcessNewestFrame(out uint sequence, out uint sourceSequence, out uint processUs, out bool statusDue, out string? newError))
        {
            return;
        }

        await _channel.SendAsync(ControlMessage.FrameDone(sequence, sourceSequence, processUs), cancellationToken).ConfigureAwait(false);
        if (newError is not null)
        {
            await _channel.SendAsync(ControlMessage.Log(LogLevel.Error, newError), cancellationToken).ConfigureAwait(false);
        }

        if (statusDue || newError is not null)
        {
            await SendStatusAsync(force: newError is not null, cancellationToken).ConfigureAwait(false);
        }
    }

    // The synchronous part: the frame is a span into the region, which cannot cross an await.
    private bool TryProcessNewestFrame(out uint sequence, out uint sourceSequence, out uint processUs, out bool statusDue, out string? newError)
    {
        sequence = sourceSequence = processUs = 0;
        statusDue = false;
        newError = null;
        TakeResult taken = _input.TryTake(out FrameSlot frame);
        if (taken == TakeResult.Stale && !_staleLogged)
        {
            _staleLogged = true;
            _log.WriteLine($"[streamfx-host] ignored an input frame whose sequence is not newer than {_input.LastSequence}");
        }

        if (taken != TakeResult.Taken)
        {
            return false;
        }

        SlotHeader input = frame.Header;
        int width = (int)input.Width, height = (int)input.Height, rowBytes = (int)input.RowBytes;
        Span<byte> output = _output.BackPixels[..input.PixelBytes];
        long started = Stopwatch.GetTimestamp();
        try
        {
            if (_settings.Bypass)
            {
                frame.Pixels.CopyTo(output);
            }
            else
            {
                _effect.Effect.Process(frame.Pixels, output, width, height, rowBytes, input.PixelFormat);
            }
        }
        catch (Exception e) when (e is not ProtocolViolationException)
        {
            // A failing model must not stop the stream: pass this frame through and say why, once per distinct error.
            frame.Pixels.CopyTo(output);
            string error = $"effect '{_effect.Effect.Name}' failed on a {width}x{height} frame: {e.Message}";
            if (error != _frameError)
            {
                _frameError = error;
                newError = error;
                _log.WriteLine("[streamfx-host] " + error + "; passing frames through");
            }
        }

        long now = Stopwatch.GetTimestamp();
        long elapsed = now - started;
        if (!_settings.Bypass && _effect.Effect is not IdentityEffect)
        {
            _effectFrameSeconds = elapsed / (double)Stopwatch.Frequency;
        }

        processUs = (uint)Math.Min(uint.MaxValue, elapsed * 1_000_000 / Stopwatch.Frequency);
        _outputSequence = SequenceNumber.Next(_outputSequence);
        sequence = _outputSequence;
        sourceSequence = input.Sequence;
        _output.Publish(new SlotHeader(sequence, sourceSequence, input.Width, input.Height, input.RowBytes, input.PixelFormat, input.CaptureTimeNs, processUs));
        FramesProcessed++;
        statusDue = _statistics.Add(elapsed, now);
        return true;
    }

    /// <summary>The STATUS object for the session as it stands.</summary>
    public StatusReport BuildStatus()
    {
        EffectLoad effect = _effect;
        EffectReport report = effect.Effect.Report;
        bool processing = FramesProcessed > 0 && effect.Effect is not IdentityEffect;
        string state;
        string? model = effect.Model;
        string? error = _settingsError ?? _frameError;
        ModelLoad? live = LiveLoad;
        if (live is not null)
        {
            state = live.Progress?.StartsWith(EffectFactory.WarmingUpProgress, StringComparison.Ordinal) == true ? StateWarmingUp : EffectLoad.StateLoading;
            model = live.Model;
        }
        else if (_wanted is (LoadKey wantedKey, _))
        {
            // Either waiting for a superseded load to end, or for the source to be shown.
            state = LoadRunning ? EffectLoad.StateLoading : StateUnloadedWhileHidden;
            model = EffectLoad.ModelName(wantedKey.ModelDir);
        }
        else if (_loadError is not null)
        {
            state = EffectLoad.StateError;
            model = _failedModel;
            error ??= _loadError + (effect.Effect is IdentityEffect ? "; frames pass through" : $"; still running '{effect.Model}'");
        }
        else if (error is not null)
        {
            state = EffectLoad.StateError;
        }
        else
        {
            state = effect.State;
        }

        return new StatusReport(state, report.Provider, model, FramesProcessed > 0 ? _statistics.Fps : null, FramesProcessed > 0 ? _statistics.LatencyMs : null, error)
        {
            ProvidersTried = report.ProvidersTried,
            Stages = report.Stages,
            Skipped = report.Skipped,
            ElapsedSeconds = live?.ElapsedSeconds,
            Progress = live?.Progress,
            Note = SpeedNote(processing, report),
            ModelInfo = report.ModelInfo,
        };
    }

    /// <summary>
    /// "4.2 s per frame on cpu" once a model takes <see cref="SlowFrameSeconds"/> or more per frame (the
    /// warm-up frame's time until live frames are measured), with a suggestion past
    /// <see cref="VerySlowFrameSeconds"/>; null for a model fast enough.
    /// </summary>
    private string? SpeedNote(bool processing, EffectReport report)
    {
        double? seconds = processing ? _effectFrameSeconds ?? report.WarmUpSeconds : report.WarmUpSeconds;
        return seconds is double s ? DescribeSpeed(s, report.Provider) : null;
    }

    /// <summary>The STATUS note for a model taking <paramref name="seconds"/> per frame on <paramref name="provider"/>.</summary>
    public static string? DescribeSpeed(double seconds, string provider)
    {
        if (seconds < SlowFrameSeconds)
        {
            return null;
        }

        string speed = $"{seconds:0.0} s per frame on {provider}";
        if (seconds < VerySlowFrameSeconds)
        {
            return speed;
        }

        string faster = provider == EffectReport.CpuProvider
            ? "choose a GPU execution provider (tensorrt, cuda or directml) or a smaller resolution"
            : "choose a smaller resolution or fewer steps";
        return $"{speed}: frames show late (over {VerySlowFrameSeconds:0} s each); {faster}";
    }

    private async Task SendStatusAsync(bool force, CancellationToken cancellationToken)
    {
        while (_shimLogs.TryDequeue(out (LogLevel Level, string Text) line))
        {
            await _channel.SendAsync(ControlMessage.Log(line.Level, line.Text), cancellationToken).ConfigureAwait(false);
        }

        StatusReport status = BuildStatus();
        if (status.Note is { } note && note.Contains(';', StringComparison.Ordinal) && !_slowAdviceLogged)
        {
            // Once per model: the advice also goes to the OBS log, where a streamer looking for the cause of late frames reads.
            _slowAdviceLogged = true;
            _log.WriteLine("[streamfx-host] " + note);
            await _channel.SendAsync(ControlMessage.Log(LogLevel.Warning, note), cancellationToken).ConfigureAwait(false);
        }

        string json = status.ToJson();
        if (force || json != _lastStatusJson)
        {
            _lastStatusJson = json;
            _lastStatusTimestamp = Stopwatch.GetTimestamp();
            await _channel.SendAsync(ControlMessage.Status(json), cancellationToken).ConfigureAwait(false);
        }
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

    public void Dispose()
    {
        _load?.Abandon();
        _load = null;
        _effect.Effect.Dispose();
    }
}
