using System.Diagnostics;

namespace StreamFx.Host;

/// <summary>Frames per second and mean processing time over roughly one-second windows.</summary>
public sealed class FrameStatistics
{
    private readonly long _window = Stopwatch.Frequency;
    private long _windowStart = Stopwatch.GetTimestamp();
    private int _frames;
    private long _processTicks;

    public double Fps { get; private set; }
    public double LatencyMs { get; private set; }

    /// <summary>Counts one frame; returns true when a window just closed (time to send STATUS).</summary>
    public bool Add(long processTicks, long now)
    {
        _frames++;
        _processTicks += processTicks;
        long elapsed = now - _windowStart;
        if (elapsed < _window)
        {
            return false;
        }

        Fps = _frames * (double)Stopwatch.Frequency / elapsed;
        LatencyMs = _processTicks * 1000.0 / Stopwatch.Frequency / _frames;
        _frames = 0;
        _processTicks = 0;
        _windowStart = now;
        return true;
    }
}
