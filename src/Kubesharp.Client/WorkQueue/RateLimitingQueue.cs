namespace Kubesharp.Client.WorkQueue;

/// <summary>
/// <see cref="IRateLimitingQueue{T}"/>: a <see cref="DelayingQueue{T}"/> whose <see cref="AddRateLimited"/>
/// waits as long as its <see cref="IRateLimiter{T}"/> says. With <see cref="RateLimiters.DefaultController{T}"/>
/// that is client-go's default controller pacing: per-item back-off from 5 ms doubling to 1000 s, and
/// never faster overall than a 10 qps token bucket with a burst of 100.
/// </summary>
public sealed class RateLimitingQueue<T> : IRateLimitingQueue<T>, IDisposable
    where T : notnull
{
    private readonly DelayingQueue<T> _queue;
    private readonly IRateLimiter<T> _limiter;

    public RateLimitingQueue(IRateLimiter<T> limiter, TimeProvider time)
    {
        _limiter = limiter;
        _queue = new DelayingQueue<T>(time);
    }

    public int Count => _queue.Count;

    public int WaitingCount => _queue.WaitingCount;

    /// <summary>Items handed out and not yet done.</summary>
    public int ProcessingCount => _queue.ProcessingCount;

    public bool ShuttingDown => _queue.ShuttingDown;

    public void Add(T item) => _queue.Add(item);

    public void AddAfter(T item, TimeSpan delay) => _queue.AddAfter(item, delay);

    public void AddRateLimited(T item)
    {
        if (_queue.ShuttingDown)
        {
            return;
        }

        _queue.AddAfter(item, _limiter.When(item));
    }

    public void Forget(T item) => _limiter.Forget(item);

    public int NumRequeues(T item) => _limiter.NumRequeues(item);

    public Task<(T Item, bool Shutdown)> GetAsync(CancellationToken cancellationToken) => _queue.GetAsync(cancellationToken);

    public void Done(T item) => _queue.Done(item);

    public void ShutDown() => _queue.ShutDown();

    public Task ShutDownWithDrainAsync(CancellationToken cancellationToken) => _queue.ShutDownWithDrainAsync(cancellationToken);

    public void Dispose() => _queue.Dispose();
}

public static class RateLimitingQueue
{
    /// <summary>A queue with client-go's default controller rate limiter.</summary>
    public static RateLimitingQueue<T> CreateDefault<T>(TimeProvider time)
        where T : notnull =>
        new(RateLimiters.DefaultController<T>(time), time);
}
