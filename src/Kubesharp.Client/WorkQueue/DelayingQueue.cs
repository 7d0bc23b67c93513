namespace Kubesharp.Client.WorkQueue;

/// <summary>
/// <see cref="IDelayingQueue{T}"/> over a <see cref="WorkQueue{T}"/>: waiting items sit in a min-heap
/// by ready time, and one timer from the injected <see cref="TimeProvider"/> is armed for the earliest.
/// When it fires, every item whose time has come is added to the work queue (where adds fold as usual).
/// The heap holds each item once logically (the earliest ready time wins); a superseded heap entry is
/// skipped when it surfaces. Shutting down drops the waiting items, as client-go does.
/// </summary>
public sealed class DelayingQueue<T> : IDelayingQueue<T>, IDisposable
    where T : notnull
{
    private readonly WorkQueue<T> _queue;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly PriorityQueue<T, DateTimeOffset> _heap = new();
    private readonly Dictionary<T, DateTimeOffset> _readyAt = [];
    private readonly ITimer _timer;
    private DateTimeOffset? _armedFor;

    public DelayingQueue(TimeProvider time)
        : this(new WorkQueue<T>(), time)
    {
    }

    public DelayingQueue(WorkQueue<T> queue, TimeProvider time)
    {
        _queue = queue;
        _time = time;
        _timer = time.CreateTimer(static s => ((DelayingQueue<T>)s!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public int Count => _queue.Count;

    public int WaitingCount
    {
        get
        {
            lock (_lock)
            {
                return _readyAt.Count;
            }
        }
    }

    public bool ShuttingDown => _queue.ShuttingDown;

    /// <summary>Items handed out and not yet done.</summary>
    public int ProcessingCount => _queue.ProcessingCount;

    public void Add(T item) => _queue.Add(item);

    public void AddAfter(T item, TimeSpan delay)
    {
        if (_queue.ShuttingDown)
        {
            return;
        }

        if (delay <= TimeSpan.Zero)
        {
            _queue.Add(item);
            return;
        }

        lock (_lock)
        {
            var readyAt = _time.GetUtcNow() + delay;
            if (_readyAt.TryGetValue(item, out var existing) && existing <= readyAt)
            {
                return;
            }

            _readyAt[item] = readyAt;
            _heap.Enqueue(item, readyAt);
            ArmLocked();
        }
    }

    private void ArmLocked()
    {
        while (_heap.TryPeek(out var item, out var at))
        {
            if (!_readyAt.TryGetValue(item, out var current) || current != at)
            {
                _heap.Dequeue(); // superseded by an earlier add, or already delivered
                continue;
            }

            if (_armedFor is null || at < _armedFor)
            {
                _armedFor = at;
                var due = at - _time.GetUtcNow();
                _timer.Change(due < TimeSpan.Zero ? TimeSpan.Zero : due, Timeout.InfiniteTimeSpan);
            }

            return;
        }
    }

    private void OnTimer()
    {
        List<T>? ready = null;
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            while (_heap.TryPeek(out var item, out var at) && at <= now)
            {
                _heap.Dequeue();
                if (_readyAt.TryGetValue(item, out var current) && current == at)
                {
                    _readyAt.Remove(item);
                    (ready ??= []).Add(item);
                }
            }

            _armedFor = null;
            if (!_queue.ShuttingDown)
            {
                ArmLocked();
            }
        }

        if (ready is not null)
        {
            foreach (var item in ready)
            {
                _queue.Add(item);
            }
        }
    }

    public Task<(T Item, bool Shutdown)> GetAsync(CancellationToken cancellationToken) => _queue.GetAsync(cancellationToken);

    public void Done(T item) => _queue.Done(item);

    public void ShutDown()
    {
        _queue.ShutDown();
        StopWaiting();
    }

    public Task ShutDownWithDrainAsync(CancellationToken cancellationToken)
    {
        StopWaiting();
        return _queue.ShutDownWithDrainAsync(cancellationToken);
    }

    private void StopWaiting()
    {
        lock (_lock)
        {
            _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _heap.Clear();
            _readyAt.Clear();
            _armedFor = null;
        }
    }

    public void Dispose()
    {
        _timer.Dispose();
        _queue.Dispose();
    }
}
