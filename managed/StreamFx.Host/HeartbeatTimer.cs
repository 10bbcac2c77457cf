using StreamFx.Bridge;

namespace StreamFx.Host;

/// <summary>
/// Increments the region's host_heartbeat four times a second, so the shim can tell a live but slow
/// host (a long model run, a load, a warm-up frame, a TensorRT engine build) from a hung one.
/// </summary>
/// <remarks>
/// It ticks on its own thread rather than a thread-pool timer: a frame that takes seconds and a model
/// load both block pool or dedicated threads, and a starved pool delays timer callbacks by the pool's
/// thread-injection pace (about one thread per half second), enough to look like a hang on a
/// 2-core machine. Nothing here takes a lock the frame loop or a load holds.
/// </remarks>
public sealed class HeartbeatTimer : IDisposable
{
    public static readonly TimeSpan Period = TimeSpan.FromMilliseconds(250);

    private readonly FrameRegion _region;
    private readonly ManualResetEventSlim _stop = new(false);
    private readonly Thread _thread;

    public HeartbeatTimer(FrameRegion region)
    {
        _region = region;
        region.IncrementHeartbeat();
        _thread = new Thread(Run) { IsBackground = true, Name = "streamfx heartbeat" };
        _thread.Start();
    }

    private void Run()
    {
        while (!_stop.Wait(Period))
        {
            _region.IncrementHeartbeat();
        }
    }

    public void Dispose()
    {
        // Joined, so nothing touches the region after it is unmapped.
        _stop.Set();
        _thread.Join();
        _stop.Dispose();
    }
}
