namespace Kubesharp.Client.WorkQueue;

/// <summary>
/// The basic <see cref="IWorkQueue{T}"/>: a FIFO of distinct items plus a dirty set and a processing
/// set, as client-go's <c>workqueue.Type</c>. Waiters park on a semaphore whose count tracks the FIFO's
/// length, so a wake-up is never lost and cancellation of a waiter needs no bookkeeping.
/// </summary>
public sealed class WorkQueue<T> : IWorkQueue<T>, IDisposable
    where T : notnull
{
    private readonly Lock _lock = new();
    private readonly LinkedList<T> _queue = new();
    // Items that need processing: queued ones, and processing ones that were added again.
    private readonly HashSet<T> _dirty = [];
    private readonly HashSet<T> _processing = [];
    private readonly SemaphoreSlim _available = new(0);
    private readonly CancellationTokenSource _shutdown = new();
    private TaskCompletionSource? _drained;
    private bool _shuttingDown;

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

    public bool ShuttingDown
    {
        get
        {
            lock (_lock)
            {
                return _shuttingDown;
            }
        }
    }

    /// <summary>Items handed out and not yet done; for tests and metrics.</summary>
    public int ProcessingCount
    {
        get
        {
            lock (_lock)
            {
                return _processing.Count;
            }
        }
    }

    public void Add(T item)
    {
        lock (_lock)
        {
            if (_shuttingDown || !_dirty.Add(item))
            {
                return;
            }

            if (_processing.Contains(item))
            {
                // Done queues it again; handing it out now would let two workers hold one key.
                return;
            }

            _queue.AddLast(item);
        }

        _available.Release();
    }

    public async Task<(T Item, bool Shutdown)> GetAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            lock (_lock)
            {
                if (_shuttingDown)
                {
                    // After shutdown the semaphore no longer tracks the queue: hand out what is left, then report shutdown.
                    return _queue.Count > 0 ? (TakeFirst(), false) : (default!, true);
                }
            }

            try
            {
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _shutdown.Token);
                await _available.WaitAsync(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                continue; // shut down while waiting: loop to hand out leftovers or report shutdown
            }

            lock (_lock)
            {
                if (_queue.Count > 0)
                {
                    return (TakeFirst(), false);
                }
            }
        }
    }

    private T TakeFirst()
    {
        var item = _queue.First!.Value;
        _queue.RemoveFirst();
        _processing.Add(item);
        _dirty.Remove(item);
        return item;
    }

    public void Done(T item)
    {
        var requeued = false;
        TaskCompletionSource? drained = null;
        lock (_lock)
        {
            if (!_processing.Remove(item))
            {
                return;
            }

            if (_dirty.Contains(item))
            {
                _queue.AddLast(item);
                requeued = true;
            }
            else if (_processing.Count == 0 && _drained is not null)
            {
                drained = _drained;
            }
        }

        if (requeued)
        {
            _available.Release();
        }

        drained?.TrySetResult();
    }

    public void ShutDown()
    {
        lock (_lock)
        {
            if (_shuttingDown)
            {
                return;
            }

            _shuttingDown = true;
        }

        _shutdown.Cancel();
    }

    public async Task ShutDownWithDrainAsync(CancellationToken cancellationToken)
    {
        Task wait;
        lock (_lock)
        {
            _drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_processing.Count == 0)
            {
                _drained.TrySetResult();
            }

            wait = _drained.Task;
        }

        ShutDown();
        await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public void Dispose()
    {
        ShutDown();
        _available.Dispose();
        _shutdown.Dispose();
    }
}
