using StreamFx.Bridge;

namespace StreamFx.Host;

/// <summary>
/// Increments the region's host_heartbeat four times a second on a timer thread, so the shim can
/// tell a live but slow host (a long model run) from a hung one.
/// </summary>
public sealed class HeartbeatTimer : IDisposable
{
    public static readonly TimeSpan Period = TimeSpan.FromMilliseconds(250);

    private readonly Timer _timer;

    public HeartbeatTimer(FrameRegion region)
    {
        region.IncrementHeartbeat();
        _timer = new Timer(static state => ((FrameRegion)state!).IncrementHeartbeat(), region, Period, Period);
    }

    public void Dispose()
    {
        // Wait for a tick in flight so nothing touches the region after it is unmapped.
        using var done = new ManualResetEvent(false);
        if (_timer.Dispose(done))
        {
            done.WaitOne();
        }
    }
}
