namespace Kubesharp.Client.WorkQueue;

/// <summary>
/// Decides how long an item waits before it is retried (client-go's <c>workqueue.TypedRateLimiter</c>).
/// Implementations are safe to call from any thread.
/// </summary>
public interface IRateLimiter<in T>
{
    /// <summary>The wait before the item's next retry; counts the retry.</summary>
    TimeSpan When(T item);

    /// <summary>Forgets the item's retries, as after a success.</summary>
    void Forget(T item);

    /// <summary>Retries counted for the item since it was last forgotten.</summary>
    int NumRequeues(T item);
}

public static class RateLimiters
{
    /// <summary>
    /// client-go's <c>DefaultTypedControllerRateLimiter</c>: the larger of a per-item exponential
    /// back-off (5 ms, doubling, capped at 1000 s) and an overall token bucket (10 qps, burst 100).
    /// </summary>
    public static IRateLimiter<T> DefaultController<T>(TimeProvider time)
        where T : notnull =>
        new MaxOfRateLimiter<T>(
            new ItemExponentialFailureRateLimiter<T>(TimeSpan.FromMilliseconds(5), TimeSpan.FromSeconds(1000)),
            new BucketRateLimiter<T>(10, 100, time));
}

/// <summary>
/// Per-item exponential back-off: the n-th retry (from 0) of an item waits <c>baseDelay * 2^n</c>, capped
/// at <c>maxDelay</c>. Memory: one counter per item that failed and was not forgotten.
/// </summary>
public sealed class ItemExponentialFailureRateLimiter<T>(TimeSpan baseDelay, TimeSpan maxDelay) : IRateLimiter<T>
    where T : notnull
{
    private readonly Lock _lock = new();
    private readonly Dictionary<T, int> _failures = [];

    public TimeSpan When(T item)
    {
        int exponent;
        lock (_lock)
        {
            _failures.TryGetValue(item, out exponent);
            _failures[item] = exponent + 1;
        }

        // 2^exponent overflows long before any real cap; compare in doubles, as client-go does.
        var ticks = baseDelay.Ticks * Math.Pow(2, exponent);
        return ticks >= maxDelay.Ticks ? maxDelay : TimeSpan.FromTicks((long)ticks);
    }

    public void Forget(T item)
    {
        lock (_lock)
        {
            _failures.Remove(item);
        }
    }

    public int NumRequeues(T item)
    {
        lock (_lock)
        {
            return _failures.TryGetValue(item, out var n) ? n : 0;
        }
    }
}

/// <summary>
/// An overall token bucket (golang.org/x/time/rate's <c>Reserve</c>, as client-go's
/// <c>TypedBucketRateLimiter</c>): <paramref name="qps"/> tokens a second up to <paramref name="burst"/>;
/// every call takes one token, and when none is left the caller is told how long until its token
/// exists. Retries are never refused, only spread out. Not per item: Forget and NumRequeues do nothing.
/// </summary>
public sealed class BucketRateLimiter<T>(double qps, int burst, TimeProvider time) : IRateLimiter<T>
{
    private readonly Lock _lock = new();
    private double _tokens = burst;
    private DateTimeOffset _last = time.GetUtcNow();

    public TimeSpan When(T item)
    {
        lock (_lock)
        {
            var now = time.GetUtcNow();
            if (now > _last)
            {
                _tokens = Math.Min(burst, _tokens + ((now - _last).TotalSeconds * qps));
                _last = now;
            }

            _tokens -= 1;
            return _tokens >= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(-_tokens / qps);
        }
    }

    public void Forget(T item)
    {
    }

    public int NumRequeues(T item) => 0;
}

/// <summary>The longest wait of several limiters; every limiter counts every call (client-go's <c>MaxOfRateLimiter</c>).</summary>
public sealed class MaxOfRateLimiter<T>(params IRateLimiter<T>[] limiters) : IRateLimiter<T>
{
    public TimeSpan When(T item)
    {
        var max = TimeSpan.Zero;
        foreach (var limiter in limiters)
        {
            var wait = limiter.When(item);
            if (wait > max)
            {
                max = wait;
            }
        }

        return max;
    }

    public void Forget(T item)
    {
        foreach (var limiter in limiters)
        {
            limiter.Forget(item);
        }
    }

    public int NumRequeues(T item)
    {
        var max = 0;
        foreach (var limiter in limiters)
        {
            max = Math.Max(max, limiter.NumRequeues(item));
        }

        return max;
    }
}
