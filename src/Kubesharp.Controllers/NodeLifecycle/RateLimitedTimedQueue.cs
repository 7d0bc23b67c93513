namespace Kubesharp.Controllers.NodeLifecycle;

/// <summary>
/// client-go's token bucket <c>TryAccept</c> (flowcontrol.NewTokenBucketRateLimiter): starts full, refills at
/// <see cref="Qps"/> tokens a second up to the burst. A rate of zero or less never accepts (upstream's
/// FakeNeverRateLimiter). Not thread-safe: its owner serialises calls.
/// </summary>
internal sealed class TokenBucket
{
    private readonly TimeProvider _time;
    private readonly int _burst;
    private double _tokens;
    private DateTimeOffset _last;

    public TokenBucket(double qps, int burst, TimeProvider time)
    {
        Qps = qps;
        _burst = burst;
        _time = time;
        _tokens = qps > 0 ? burst : 0;
        _last = time.GetUtcNow();
    }

    public double Qps { get; }

    public bool TryAccept()
    {
        if (Qps <= 0)
        {
            return false;
        }

        var now = _time.GetUtcNow();
        _tokens = Math.Min(_burst, _tokens + ((now - _last).TotalSeconds * Qps));
        _last = now;
        // A hair of tolerance: 0.1 a second for ten seconds must make a whole token.
        if (_tokens < 1 - 1e-9)
        {
            return false;
        }

        _tokens = Math.Max(0, _tokens - 1);
        return true;
    }
}

/// <summary>A value to act on at a time: a node name to taint, with the UID it had when queued.</summary>
internal sealed record TimedValue(string Value, string? Uid, DateTimeOffset AddedAt, DateTimeOffset ProcessAt);

/// <summary>
/// Upstream's <c>scheduler.RateLimitedTimedQueue</c>: one zone's nodes waiting for their NoExecute taint.
/// <list type="bullet">
/// <item>A value is queued once: <see cref="Add"/> is refused while the value is queued or was processed,
/// until <see cref="Remove"/> forgets it (the node became ready again, or its state changed).</item>
/// <item><see cref="TryAsync"/> takes values in ProcessAt order while the zone's token bucket gives tokens
/// (burst 1, <see cref="SwapLimiter"/> changes the rate as the zone's state changes). A value the action
/// refuses comes back after the wait it asks for.</item>
/// </list>
/// Thread-safe; <see cref="TryAsync"/> must not run concurrently with itself (one pass at a time).
/// </summary>
internal sealed class RateLimitedTimedQueue(double qps, TimeProvider time)
{
    public const int Burst = 1;

    private readonly Lock _lock = new();
    private readonly List<TimedValue> _queue = [];
    private readonly HashSet<string> _set = new(StringComparer.Ordinal);
    private TokenBucket _limiter = new(qps, Burst, time);

    public double Qps
    {
        get
        {
            lock (_lock)
            {
                return _limiter.Qps;
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _queue.Count;
            }
        }
    }

    public bool Add(string value, string? uid)
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            if (!_set.Add(value))
            {
                return false;
            }

            Insert(new TimedValue(value, uid, now, now));
            return true;
        }
    }

    /// <summary>Forgets the value (queued or already processed) so that it can be added again; false when it was not known.</summary>
    public bool Remove(string value)
    {
        lock (_lock)
        {
            if (!_set.Remove(value))
            {
                return false;
            }

            _queue.RemoveAll(v => v.Value == value);
            return true;
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            _queue.Clear();
            _set.Clear();
        }
    }

    /// <summary>
    /// Processes due values while tokens last. <paramref name="action"/> returns true when done with the value
    /// (it stays known and is not added again until removed), or false and how long to wait before the next try.
    /// </summary>
    public async Task TryAsync(Func<TimedValue, Task<(bool Done, TimeSpan Wait)>> action)
    {
        while (true)
        {
            TimedValue head;
            lock (_lock)
            {
                if (_queue.Count == 0 || !_limiter.TryAccept())
                {
                    return;
                }

                head = _queue[0];
                if (time.GetUtcNow() < head.ProcessAt)
                {
                    return;
                }
            }

            var now = time.GetUtcNow();
            var (done, wait) = await action(head).ConfigureAwait(false);
            lock (_lock)
            {
                var at = _queue.FindIndex(v => v.Value == head.Value);
                if (at < 0)
                {
                    // Removed while the action ran.
                    continue;
                }

                _queue.RemoveAt(at);
                if (!done)
                {
                    // Upstream waits one nanosecond more than asked; a tick is the least here.
                    Insert(head with { ProcessAt = now + wait + TimeSpan.FromTicks(1) });
                }
            }
        }
    }

    /// <summary>Changes the rate if it differs; a bucket that is empty now starts the new one empty too (upstream's drain, fair with burst 1).</summary>
    public void SwapLimiter(double newQps)
    {
        lock (_lock)
        {
            if (_limiter.Qps == newQps)
            {
                return;
            }

            var next = new TokenBucket(newQps, Burst, time);
            if (newQps > 0 && !_limiter.TryAccept())
            {
                next.TryAccept();
            }

            _limiter = next;
        }
    }

    private void Insert(TimedValue value)
    {
        var at = _queue.FindIndex(v => v.ProcessAt > value.ProcessAt);
        _queue.Insert(at < 0 ? _queue.Count : at, value);
    }
}
