using Microsoft.Extensions.Time.Testing;

namespace Kubesharp.Testing.Client;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that also counts its armed timers (created or changed with a finite
/// due time, not yet fired or disposed), so that a test can wait until a background loop has parked on
/// a delay before it advances time: a phase barrier instead of a sleep. Thread-safe.
/// </summary>
public sealed class FakeClock : FakeTimeProvider
{
    private readonly Lock _lock = new();
    private int _armed;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public FakeClock()
        : base(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero))
    {
    }

    public int ArmedTimers
    {
        get
        {
            lock (_lock)
            {
                return _armed;
            }
        }
    }

    /// <summary>Waits (real time, bounded) until at least <paramref name="count"/> timers are armed.</summary>
    /// <exception cref="TimeoutException">They were not, within <paramref name="timeout"/> (default 10 s).</exception>
    public async Task WaitForArmedTimersAsync(int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                if (_armed >= count)
                {
                    return;
                }

                changed = _changed.Task;
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"expected at least {count} armed timers, have {ArmedTimers}");
            }

            try
            {
                await changed.WaitAsync(left);
            }
            catch (TimeoutException)
            {
                throw new TimeoutException($"expected at least {count} armed timers, have {ArmedTimers}");
            }
        }
    }

    /// <summary>Waits until a timer is armed, then advances by <paramref name="delta"/>.</summary>
    public async Task AdvanceWhenArmedAsync(TimeSpan delta, int armedTimers = 1)
    {
        await WaitForArmedTimersAsync(armedTimers);
        Advance(delta);
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var tracked = new TrackedTimer(this, callback, state, period);
        tracked.SetArmed(dueTime != Timeout.InfiniteTimeSpan);
        tracked.Inner = base.CreateTimer(static s => ((TrackedTimer)s!).Fire(), tracked, dueTime, period);
        return tracked;
    }

    private void Adjust(int delta)
    {
        TaskCompletionSource changed;
        lock (_lock)
        {
            _armed += delta;
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.TrySetResult();
    }

    private sealed class TrackedTimer(FakeClock clock, TimerCallback callback, object? state, TimeSpan period) : ITimer
    {
        private readonly Lock _lock = new();
        private bool _armed;
        private TimeSpan _period = period;

        public ITimer? Inner { get; set; }

        public void SetArmed(bool armed)
        {
            lock (_lock)
            {
                if (_armed == armed)
                {
                    return;
                }

                _armed = armed;
            }

            clock.Adjust(armed ? 1 : -1);
        }

        public void Fire()
        {
            if (_period == Timeout.InfiniteTimeSpan || _period == TimeSpan.Zero)
            {
                SetArmed(false);
            }

            callback(state);
        }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            _period = period;
            SetArmed(dueTime != Timeout.InfiniteTimeSpan);
            return Inner!.Change(dueTime, period);
        }

        public void Dispose()
        {
            SetArmed(false);
            Inner?.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
