using System.Collections.Concurrent;
using Kubesharp.Storage;

namespace Kubesharp.Testing;

/// <summary>
/// A store that passes everything to another, and lets a test slip a competing write in just before a
/// chosen update (or create) reaches it: the way to make a caller lose a compare-and-swap on purpose, without timing.
/// Thread-safe; each armed write runs once.
/// </summary>
public sealed class FakeInterleavingStore(IStore inner) : IStore
{
    private readonly ConcurrentDictionary<string, Queue<Func<IStore, Task>>> _beforeUpdate = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Queue<Func<IStore, Task>>> _beforeCreate = new(StringComparer.Ordinal);

    public string Name => inner.Name;

    /// <summary>
    /// Runs <paramref name="competing"/> against the underlying store right before the next
    /// <see cref="UpdateAsync"/> of <paramref name="key"/>; armed several times, one per update in order.
    /// </summary>
    public void BeforeNextUpdate(string key, Func<IStore, Task> competing)
    {
        var queue = _beforeUpdate.GetOrAdd(key, _ => new Queue<Func<IStore, Task>>());
        lock (queue)
        {
            queue.Enqueue(competing);
        }
    }

    public async ValueTask<WriteResult> UpdateAsync(string key, ReadOnlyMemory<byte> value, long expectedModRevision, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        Func<IStore, Task>? competing = null;
        if (_beforeUpdate.TryGetValue(key, out var queue))
        {
            lock (queue)
            {
                queue.TryDequeue(out competing);
            }
        }

        if (competing is not null)
        {
            await competing(inner);
        }

        return await inner.UpdateAsync(key, value, expectedModRevision, ttl, cancellationToken);
    }

    /// <summary>Runs <paramref name="competing"/> against the underlying store right before the next <see cref="CreateAsync"/> of <paramref name="key"/>.</summary>
    public void BeforeNextCreate(string key, Func<IStore, Task> competing)
    {
        var queue = _beforeCreate.GetOrAdd(key, _ => new Queue<Func<IStore, Task>>());
        lock (queue)
        {
            queue.Enqueue(competing);
        }
    }

    public async ValueTask<WriteResult> CreateAsync(string key, ReadOnlyMemory<byte> value, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        Func<IStore, Task>? competing = null;
        if (_beforeCreate.TryGetValue(key, out var queue))
        {
            lock (queue)
            {
                queue.TryDequeue(out competing);
            }
        }

        if (competing is not null)
        {
            await competing(inner);
        }

        return await inner.CreateAsync(key, value, ttl, cancellationToken);
    }

    public ValueTask<KeyValue?> GetAsync(string key, long revision = 0, CancellationToken cancellationToken = default) =>
        inner.GetAsync(key, revision, cancellationToken);

    public ValueTask<ListResult> ListAsync(string prefix, long limit = 0, string? continueToken = null, long revision = 0, CancellationToken cancellationToken = default) =>
        inner.ListAsync(prefix, limit, continueToken, revision, cancellationToken);

    public ValueTask<long> CountAsync(string prefix, CancellationToken cancellationToken = default) => inner.CountAsync(prefix, cancellationToken);

    public ValueTask<WriteResult> DeleteAsync(string key, long? expectedModRevision = null, CancellationToken cancellationToken = default) =>
        inner.DeleteAsync(key, expectedModRevision, cancellationToken);

    public IAsyncEnumerable<WatchEvent> WatchAsync(string prefix, long afterRevision, CancellationToken cancellationToken = default) =>
        inner.WatchAsync(prefix, afterRevision, cancellationToken);

    public ValueTask<long> GetCurrentRevisionAsync(CancellationToken cancellationToken = default) => inner.GetCurrentRevisionAsync(cancellationToken);

    public ValueTask CompactAsync(long revision, CancellationToken cancellationToken = default) => inner.CompactAsync(revision, cancellationToken);

    public ValueTask<long> GetCompactedRevisionAsync(CancellationToken cancellationToken = default) => inner.GetCompactedRevisionAsync(cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
