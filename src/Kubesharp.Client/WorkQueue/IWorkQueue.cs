namespace Kubesharp.Client.WorkQueue;

/// <summary>
/// A work queue with client-go's <c>workqueue.Interface</c> contract, for keys (usually
/// <c>namespace/name</c>) that controllers reconcile.
/// <list type="bullet">
/// <item>An item is handed to at most one caller of <see cref="GetAsync"/> at a time: until that caller
/// calls <see cref="Done"/>, no other caller gets it.</item>
/// <item>Adding an item that is already queued (and not yet handed out) does nothing: adds fold.</item>
/// <item>Adding an item that is being processed marks it dirty; <see cref="Done"/> queues it again, so
/// the change that caused the add is never lost and never processed concurrently.</item>
/// <item>Items are handed out in the order they were first queued.</item>
/// <item>After <see cref="ShutDown"/>, adds are ignored; <see cref="GetAsync"/> still hands out what is
/// queued and then reports shutdown to every caller.</item>
/// </list>
/// Every member is safe to call from any thread. The queue is unbounded in count, but holds each
/// distinct item at most once, so its size is bounded by the number of distinct keys.
/// </summary>
public interface IWorkQueue<T>
    where T : notnull
{
    /// <summary>Queues <paramref name="item"/> unless it is already queued, or marks it for re-queueing if it is being processed.</summary>
    void Add(T item);

    /// <summary>Items queued and not yet handed out.</summary>
    int Count { get; }

    /// <summary>
    /// Waits for an item and marks it as being processed; the caller must call <see cref="Done"/> with
    /// it. Returns <c>Shutdown = true</c> (and a default item) once the queue is shut down and empty.
    /// </summary>
    /// <exception cref="OperationCanceledException">When <paramref name="cancellationToken"/> is cancelled while waiting.</exception>
    Task<(T Item, bool Shutdown)> GetAsync(CancellationToken cancellationToken);

    /// <summary>Ends the processing of <paramref name="item"/>; queues it again if it was added meanwhile.</summary>
    void Done(T item);

    /// <summary>Stops accepting adds and wakes every waiter; items already queued are still handed out.</summary>
    void ShutDown();

    /// <summary>
    /// As <see cref="ShutDown"/>, then waits until no item is being processed (client-go's
    /// <c>ShutDownWithDrain</c>), or until <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    Task ShutDownWithDrainAsync(CancellationToken cancellationToken);

    bool ShuttingDown { get; }
}

/// <summary>A <see cref="IWorkQueue{T}"/> that can also queue an item after a delay (client-go's <c>DelayingInterface</c>).</summary>
public interface IDelayingQueue<T> : IWorkQueue<T>
    where T : notnull
{
    /// <summary>
    /// Adds <paramref name="item"/> once <paramref name="delay"/> has passed (at once when it is zero or
    /// negative). An item already waiting keeps the earlier of its two ready times. Ignored after shutdown.
    /// </summary>
    void AddAfter(T item, TimeSpan delay);

    /// <summary>Items waiting for their delay to pass.</summary>
    int WaitingCount { get; }
}

/// <summary>A <see cref="IDelayingQueue{T}"/> whose re-adds are paced by a <see cref="IRateLimiter{T}"/> (client-go's <c>RateLimitingInterface</c>).</summary>
public interface IRateLimitingQueue<T> : IDelayingQueue<T>
    where T : notnull
{
    /// <summary>Adds <paramref name="item"/> after the delay its rate limiter asks for (this counts as one more failure of the item).</summary>
    void AddRateLimited(T item);

    /// <summary>Clears the item's failure history: its next <see cref="AddRateLimited"/> starts from the base delay. Does not remove it from the queue.</summary>
    void Forget(T item);

    /// <summary>How many times the item has been re-added through <see cref="AddRateLimited"/> since its last <see cref="Forget"/>.</summary>
    int NumRequeues(T item);
}
