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
/// overlap, so the effect is only ever touched from it. Only model loads run elsewhere (a
/// background task): while one runs, frames keep flowing through the current effect, STATUS says
/// "loading" at least once a second, and the finished effect is swapped in by the loop.
/// </remarks>
public sealed class HostSession : IDisposable
{
    /// <summary>Longest gap between STATUS messages while a model loads.</summary>
    public static readonly TimeSpan LoadingStatusPeriod = TimeSpan.FromSeconds(1);

    private readonly FrameRegion _region;
    private readonly ControlChannel _channel;
    private readonly TextWriter _log;
    private readonly EffectLoader _loader;
    private readonly TripleBufferReader _input;
    private readonly TripleBufferWriter _output;
    private readonly FrameStatistics _statistics = new();
    private readonly ConcurrentQueue<(LogLevel Level, string Text)> _shimLogs = new();

    private EffectLoad _effect = EffectLoad.NoModel();
    private LoadKey _effectKey;
    private EffectSettings _settings = new();
    private ModelLoad? _load;
    private LoadKey? _failedKey;
    private string? _loadError;
    private string? _failedModel;
    private string? _settingsError;
    private string? _frameError;
    private string? _lastStatusJson;
    private long _lastStatusTimestamp;
    private uint _outputSequence;
    private bool _staleLogged;

    public HostSession(FrameRegion region, ControlChannel channel, TextWriter log, EffectLoader? loader = null)
    {
        _region = region;
        _channel = channel;
        _log = log;
        _loader = loader ?? EffectFactory.Create;
        _input = region.CreateReader(FrameDirection.Input);
        _output = region.CreateWriter(FrameDirection.Output);
        _effectKey = LoadKey.For(_settings);
    }

    /// <summary>Frames published so far.</summary>
    public long FramesProcessed { get; private set; }

    /// <summary>Model loads started so far (parameter-only CONFIGUREs start none).</summary>
    public int LoadsStarted { get; private set; }

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

            // While a model loads, the next read is kept as a task so the loop can also wake for the
            // load's end and the loading STATUS tick; otherwise reads are awaited directly (no allocation).
            Task<ControlMessage?>? read = null;
            Task? tick = null;
            while (true)
            {
                if (_load is ModelLoad load)
                {
                    read ??= _channel.ReadAsync(cancellationToken).AsTask();
                    tick ??= Task.Delay(UntilLoadingStatusDue(), cancellationToken);
                    await Task.WhenAny(read, load.Result, tick).ConfigureAwait(false);
                    if (load.Result.IsCompleted)
                    {
                        tick = null;
                        await CompleteLoadAsync(cancellationToken).ConfigureAwait(false);
                    }
                    else if (tick.IsCompleted)
                    {
                        tick = null;
                        await SendStatusAsync(force: true, cancellationToken).ConfigureAwait(false);
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

    private TimeSpan UntilLoadingStatusDue()
    {
        TimeSpan left = LoadingStatusPeriod - Stopwatch.GetElapsedTime(_lastStatusTimestamp);
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    private async Task ConfigureAsync(string json, CancellationToken cancellationToken)
    {
        EffectSettings settings;
        try
        {
            settings = HostSettings.Parse(json, _settings);
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
        EffectSettings previous = _settings;
        _settings = settings;
        var key = LoadKey.For(settings);

        if (_load is ModelLoad load)
        {
            if (load.Key == key)
            {
                // Same model on the way: these settings are applied when it is swapped in.
                await SendStatusAsync(force: false, cancellationToken).ConfigureAwait(false);
                return;
            }

            // A newer CONFIGURE wins: the stale load's effect is disposed when it finishes.
            _log.WriteLine($"[streamfx-host] model '{load.Model}': load superseded by a newer CONFIGURE");
            load.Abandon();
            _load = null;
        }

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
            catch (ArgumentException e)
            {
                _settings = previous;
                _settingsError = $"CONFIGURE: {e.Message}";
                _log.WriteLine("[streamfx-host] " + _settingsError + "; previous settings kept");
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

        await StartLoadAsync(key, settings, cancellationToken).ConfigureAwait(false);
    }

    private async Task StartLoadAsync(LoadKey key, EffectSettings settings, CancellationToken cancellationToken)
    {
        if (key.ModelDir is null)
        {
            // Nothing to load: passthrough right away.
            Swap(EffectLoad.NoModel(), key);
            _log.WriteLine("[streamfx-host] no model folder set; passing frames through");
            await SendStatusAsync(force: true, cancellationToken).ConfigureAwait(false);
            return;
        }

        LoadsStarted++;
        _load = ModelLoad.Start(key, settings, _loader, LogFromLoader);
        _log.WriteLine($"[streamfx-host] model '{key.ModelDir}': loading (provider {Diffusion.Runtime.ExecutionProviderNames.Name(key.Provider)}); frames keep flowing through '{_effect.Effect.Name}'");
        await SendStatusAsync(force: true, cancellationToken).ConfigureAwait(false);
    }

    // Called from the loading thread: the line goes to stderr now, to the shim from the loop.
    private void LogFromLoader(string line)
    {
        _log.WriteLine("[streamfx-host] " + line);
        _shimLogs.Enqueue((LogLevel.Info, line));
    }

    /// <summary>Takes the finished load's result on the frame loop: swaps it in, or keeps the current effect on failure.</summary>
    private async Task CompleteLoadAsync(CancellationToken cancellationToken)
    {
        ModelLoad load = _load!;
        _load = null;
        EffectLoad result = await load.Result.ConfigureAwait(false);
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
            catch (ArgumentException e)
            {
                _settingsError = $"CONFIGURE: {e.Message}";
                _shimLogs.Enqueue((LogLevel.Warning, _settingsError));
            }
        }

        Swap(result, load.Key);
        string provider = result.Effect.Report.Provider;
        _log.WriteLine($"[streamfx-host] model '{load.Key.ModelDir}': ready on {provider} after {load.ElapsedSeconds:0.0} s");
        _shimLogs.Enqueue((LogLevel.Info, $"model '{result.Model}' ready on {provider} ({load.ElapsedSeconds:0.0} s)"));
        if (reloadAgain)
        {
            // E.g. a new resolution on TensorRT arrived during the build: its engines are per size.
            await StartLoadAsync(LoadKey.For(_settings), _settings, cancellationToken).ConfigureAwait(false);
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
        bool processing = FramesProcessed > 0;
        string state;
        string? model = effect.Model;
        string? error = _settingsError ?? _frameError;
        if (_load is ModelLoad load)
        {
            state = EffectLoad.StateLoading;
            model = load.Model;
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

        return new StatusReport(state, report.Provider, model, processing ? _statistics.Fps : null, processing ? _statistics.LatencyMs : null, error)
        {
            ProvidersTried = report.ProvidersTried,
            Stages = report.Stages,
            Skipped = report.Skipped,
            ElapsedSeconds = _load?.ElapsedSeconds,
            Progress = _load?.Progress,
            ModelInfo = report.ModelInfo,
        };
    }

    private async Task SendStatusAsync(bool force, CancellationToken cancellationToken)
    {
        while (_shimLogs.TryDequeue(out (LogLevel Level, string Text) line))
        {
            await _channel.SendAsync(ControlMessage.Log(line.Level, line.Text), cancellationToken).ConfigureAwait(false);
        }

        string json = BuildStatus().ToJson();
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
