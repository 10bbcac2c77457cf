using System.Diagnostics;
using StreamFx.Bridge;
using StreamFx.Host.Effects;

namespace StreamFx.Host;

// Frame processing: take the newest input frame, run the current effect (or pass through), publish, FRAME_DONE.
public sealed partial class HostSession
{
    private uint _outputSequence;
    private bool _staleLogged;

    // Seconds the current effect took for its last frame (null: it ran none yet); statistics mix effects.
    private double? _effectFrameSeconds;

    // The last distinct frame failure, reported once (cleared when another effect is swapped in).
    private string? _frameError;

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
                _slot.Current.Effect.Process(frame.Pixels, output, width, height, rowBytes, input.PixelFormat);
            }
        }
        catch (Exception e) when (e is not ProtocolViolationException)
        {
            // A failing model must not stop the stream: pass this frame through and say why, once per distinct error.
            frame.Pixels.CopyTo(output);
            string error = $"effect '{_slot.Current.Effect.Name}' failed on a {width}x{height} frame: {e.Message}";
            if (error != _frameError)
            {
                _frameError = error;
                newError = error;
                _log.WriteLine("[streamfx-host] " + error + "; passing frames through");
            }
        }

        long now = Stopwatch.GetTimestamp();
        long elapsed = now - started;
        if (!_settings.Bypass && _slot.Current.Effect is not IdentityEffect)
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
}
