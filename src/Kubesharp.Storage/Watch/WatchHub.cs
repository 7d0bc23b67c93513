namespace Kubesharp.Storage.Watch;

/// <summary>
/// The recent history of an in-process store, and the signal that wakes its watchers.
/// </summary>
/// <remarks>
/// One writer publishes events in revision order with no gap (revision N+1 after N); any number of
/// readers read concurrently without locks. The ring keeps the last <c>capacity</c> events: a reader
/// asks for revision r and either finds it or learns that it has been overwritten (then it reads the
/// store's durable history instead). Nothing ever waits for a reader, so a slow watcher cannot slow the
/// writer or other watchers; it only falls back to durable history.
/// </remarks>
internal sealed class WatchHub
{
    private readonly WatchEvent?[] _ring;
    private long _published;
    private TaskCompletionSource _signal = NewSignal();
    private volatile bool _closed;

    public WatchHub(int capacity, long startRevision)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 16);
        _ring = new WatchEvent?[capacity];
        _published = startRevision;
    }

    /// <summary>The revision of the last published event.</summary>
    public long Published => Volatile.Read(ref _published);

    public bool IsClosed => _closed;

    /// <summary>Publishes events whose revisions follow <see cref="Published"/> without a gap. Single writer only.</summary>
    public void Publish(IReadOnlyList<WatchEvent> events)
    {
        if (events.Count == 0)
        {
            return;
        }

        var expected = _published + 1;
        foreach (var e in events)
        {
            if (e.Revision != expected)
            {
                throw new InvalidOperationException($"watch events out of order: expected revision {expected}, got {e.Revision}");
            }

            _ring[e.Revision % _ring.Length] = e;
            expected++;
        }

        Volatile.Write(ref _published, expected - 1);
        Interlocked.Exchange(ref _signal, NewSignal()).TrySetResult();
    }

    /// <summary>Moves the published revision without events (used when a store starts at a revision).</summary>
    public void Reset(long revision)
    {
        Volatile.Write(ref _published, revision);
        Interlocked.Exchange(ref _signal, NewSignal()).TrySetResult();
    }

    /// <summary>The event of <paramref name="revision"/> if the ring still holds it.</summary>
    public bool TryGet(long revision, out WatchEvent e)
    {
        var candidate = Volatile.Read(ref _ring[revision % _ring.Length]);
        if (candidate is not null && candidate.Revision == revision && revision <= Published)
        {
            e = candidate;
            return true;
        }

        e = null!;
        return false;
    }

    /// <summary>Completes once something after <paramref name="revision"/> is published, or the hub closes.</summary>
    public Task WaitAsync(long revision, CancellationToken cancellationToken)
    {
        // Take the signal before reading the revision, so that a publish in between is never missed.
        var signal = Volatile.Read(ref _signal).Task;
        if (Published > revision || _closed)
        {
            return Task.CompletedTask;
        }

        return signal.WaitAsync(cancellationToken);
    }

    /// <summary>Wakes every watcher for the last time; they end their streams.</summary>
    public void Close()
    {
        _closed = true;
        Interlocked.Exchange(ref _signal, NewSignal()).TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
