using System.Diagnostics;
using StreamFx.Bridge;
using StreamFx.Host.Effects;

namespace StreamFx.Host;

/// <summary>
/// One host session over an open region and a connected control channel (docs/protocol.md
/// section 1, steps 2-3): HELLO, then event-driven frames until end of stream or SHUTDOWN.
/// The heartbeat is the caller's (<see cref="HostRunner"/>), so it ticks while connecting too.
/// </summary>
public sealed class HostSession : IDisposable
{
    private readonly FrameRegion _region;
    private readonly ControlChannel _channel;
    private readonly TextWriter _log;
    private readonly Func<string?, EffectLoad> _loadEffect;
    private readonly TripleBufferReader _input;
    private readonly TripleBufferWriter _output;
    private readonly FrameStatistics _statistics = new();

    private EffectLoad _effect;
    private string? _modelDir;
    private string? _frameError;
    private string? _lastStatusJson;
    private uint _outputSequence;
    private bool _staleLogged;

    public HostSession(FrameRegion region, ControlChannel channel, TextWriter log, Func<string?, EffectLoad>? loadEffect = null)
    {
        _region = region;
        _channel = channel;
        _log = log;
        _loadEffect = loadEffect ?? EffectFactory.Create;
        _input = region.CreateReader(FrameDirection.Input);
        _output = region.CreateWriter(FrameDirection.Output);
        _effect = _loadEffect(null);
    }

    /// <summary>Frames published so far.</summary>
    public long FramesProcessed { get; private set; }

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

            while (true)
            {
                ControlMessage? first = await _channel.ReadAsync(cancellationToken).ConfigureAwait(false);
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

    private async Task ConfigureAsync(string json, CancellationToken cancellationToken)
    {
        HostSettings settings;
        try
        {
            settings = HostSettings.Parse(json);
        }
        catch (InvalidDataException e)
        {
            _log.WriteLine("[streamfx-host] " + e.Message);
            await SendStatusAsync(force: true, cancellationToken, e.Message).ConfigureAwait(false);
            return;
        }

        if (settings.ModelDir == _modelDir && _effect.Error is null)
        {
            return;
        }

        _modelDir = settings.ModelDir;
        await _channel.SendAsync(ControlMessage.Status(new StatusReport("loading", EffectFactory.Provider, _modelDir, null, null, null).ToJson()), cancellationToken).ConfigureAwait(false);
        EffectLoad loaded = _loadEffect(_modelDir);
        _effect.Effect.Dispose();
        _effect = loaded;
        _frameError = null;
        _log.WriteLine($"[streamfx-host] model '{_modelDir ?? "(none)"}': {loaded.State}{(loaded.Error is null ? "" : " - " + loaded.Error)}");
        await SendStatusAsync(force: true, cancellationToken).ConfigureAwait(false);
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
            _effect.Effect.Process(frame.Pixels, output, width, height, rowBytes, input.PixelFormat);
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

    private async Task SendStatusAsync(bool force, CancellationToken cancellationToken, string? settingsError = null)
    {
        EffectLoad effect = _effect;
        string? error = settingsError ?? _frameError ?? effect.Error;
        string state = _frameError is not null ? EffectLoad.StateError : effect.State;
        bool processing = FramesProcessed > 0;
        var report = new StatusReport(state, EffectFactory.Provider, effect.Model, processing ? _statistics.Fps : null, processing ? _statistics.LatencyMs : null, error);
        string json = report.ToJson();
        if (force || json != _lastStatusJson)
        {
            _lastStatusJson = json;
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

    public void Dispose() => _effect.Effect.Dispose();
}
