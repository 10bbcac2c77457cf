namespace StreamFx.Bridge.Tests.Support;

/// <summary>
/// A <see cref="TimeProvider"/> whose time only moves when the test calls <see cref="Advance"/>:
/// timers (and so <c>Task.Delay(due, clock)</c>) fire from that call, never on their own, so a
/// test about "60 s hidden" takes no 60 s and needs no sleeping.
/// </summary>
public sealed class ManualClock : TimeProvider
{
    private static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly Lock _lock = new();
    private readonly List<ManualTimer> _timers = [];
    private TaskCompletionSource _armed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _ticks;

    /// <summary>
    /// Completes once a timer is armed. A delay is relative to the time its timer is armed, so a test
    /// waits for this before it moves the clock past the code's deadline.
    /// </summary>
    public Task WhenTimerArmed()
    {
        lock (_lock)
        {
            return _timers.Count > 0 ? Task.CompletedTask : _armed.Task;
        }
    }

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp()
    {
        lock (_lock)
        {
            return _ticks;
        }
    }

    public override DateTimeOffset GetUtcNow() => Epoch + TimeSpan.FromTicks(GetTimestamp());

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>Moves time on and runs, on this thread, every timer that fell due (periodic ones as often as they fell due).</summary>
    public void Advance(TimeSpan by)
    {
        long end;
        lock (_lock)
        {
            end = _ticks + by.Ticks;
        }

        while (true)
        {
            ManualTimer? next = null;
            lock (_lock)
            {
                foreach (ManualTimer timer in _timers)
                {
                    if (timer.DueTicks <= end && (next is null || timer.DueTicks < next.DueTicks))
                    {
                        next = timer;
                    }
                }

                if (next is null)
                {
                    _ticks = end;
                    return;
                }

                _ticks = Math.Max(_ticks, next.DueTicks);
                if (next.PeriodTicks > 0)
                {
                    next.DueTicks += next.PeriodTicks;
                }
                else
                {
                    _timers.Remove(next);
                }
            }

            next.Fire();
        }
    }

    private sealed class ManualTimer(ManualClock clock, TimerCallback callback, object? state) : ITimer
    {
        public long DueTicks { get; set; }
        public long PeriodTicks { get; private set; }

        public void Fire() => callback(state);

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (clock._lock)
            {
                clock._timers.Remove(this);
                if (dueTime == Timeout.InfiniteTimeSpan)
                {
                    return true;
                }

                DueTicks = clock._ticks + dueTime.Ticks;
                PeriodTicks = period == Timeout.InfiniteTimeSpan ? 0 : period.Ticks;
                clock._timers.Add(this);
                clock._armed.TrySetResult();
                clock._armed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                return true;
            }
        }

        public void Dispose()
        {
            lock (clock._lock)
            {
                clock._timers.Remove(this);
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
