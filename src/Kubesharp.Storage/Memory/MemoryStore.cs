using Kubesharp.Storage.Watch;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.Storage.Memory;

/// <summary>
/// The in-memory backend, for unit tests: the same semantics as the durable stores, nothing on disk.
/// One lock guards all state; history is kept per key until compaction.
/// </summary>
public sealed class MemoryStore : IStore, IHistorySource
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, List<Version>> _history = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _keys = new(StringComparer.Ordinal);
    private readonly List<WatchEvent> _log = [];
    private readonly WatchHub _hub;
    private readonly TimeProvider _time;
    private readonly TtlExpirer _expirer;
    private long _logBase = 1; // revision of _log[0]
    private long _revision;
    private long _compacted;
    private bool _disposed;

    public MemoryStore(TimeProvider? time = null, ILogger? logger = null)
    {
        _time = time ?? TimeProvider.System;
        _hub = new WatchHub(4096, 0);
        _expirer = new TtlExpirer(_time, (k, rev, ct) => DeleteExpiredAsync(k, rev, ct), logger ?? NullLogger.Instance);
    }

    public string Name => "memory";

    long IHistorySource.CompactedRevision => Volatile.Read(ref _compacted);

    /// <summary>Runs the time-to-live check now, for tests on fake time.</summary>
    public Task ExpireDueAsync(CancellationToken cancellationToken = default) => _expirer.ExpireDueAsync(cancellationToken);

    public ValueTask<WriteResult> CreateAsync(string key, ReadOnlyMemory<byte> value, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        StoreLimits.ValidateKey(key);
        StoreLimits.ValidateValue(value.Span);
        StoreLimits.ValidateTtl(ttl);
        lock (_lock)
        {
            ThrowIfDisposed();
            var current = Latest(key);
            if (current is not null)
            {
                return ValueTask.FromResult(new WriteResult(WriteStatus.AlreadyExists, 0, current));
            }

            var rev = ++_revision;
            var kv = new KeyValue(key, value.ToArray(), rev, rev);
            Append(key, kv, ttl, new WatchEvent(WatchEventType.Put, kv, null));
            return ValueTask.FromResult(new WriteResult(WriteStatus.Ok, rev, kv));
        }
    }

    public ValueTask<WriteResult> UpdateAsync(string key, ReadOnlyMemory<byte> value, long expectedModRevision, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        StoreLimits.ValidateKey(key);
        StoreLimits.ValidateValue(value.Span);
        StoreLimits.ValidateTtl(ttl);
        StoreLimits.ValidateRevision(expectedModRevision, "expected mod revision");
        lock (_lock)
        {
            ThrowIfDisposed();
            var current = Latest(key);
            if (current is null)
            {
                return ValueTask.FromResult(WriteResult.NotFound());
            }

            if (current.ModRevision != expectedModRevision)
            {
                return ValueTask.FromResult(new WriteResult(WriteStatus.Conflict, 0, current));
            }

            var rev = ++_revision;
            var kv = new KeyValue(key, value.ToArray(), current.CreateRevision, rev);
            Append(key, kv, ttl, new WatchEvent(WatchEventType.Put, kv, current));
            return ValueTask.FromResult(new WriteResult(WriteStatus.Ok, rev, kv));
        }
    }

    public ValueTask<WriteResult> DeleteAsync(string key, long? expectedModRevision = null, CancellationToken cancellationToken = default)
    {
        StoreLimits.ValidateKey(key);
        if (expectedModRevision is { } expected)
        {
            StoreLimits.ValidateRevision(expected, "expected mod revision");
        }

        lock (_lock)
        {
            ThrowIfDisposed();
            var current = Latest(key);
            if (current is null)
            {
                return ValueTask.FromResult(WriteResult.NotFound());
            }

            if (expectedModRevision is { } e && current.ModRevision != e)
            {
                return ValueTask.FromResult(new WriteResult(WriteStatus.Conflict, 0, current));
            }

            var rev = ++_revision;
            var tombstone = current with { ModRevision = rev };
            _history[key].Add(new Version(rev, null));
            Publish(new WatchEvent(WatchEventType.Delete, tombstone, current));
            return ValueTask.FromResult(new WriteResult(WriteStatus.Ok, rev, current));
        }
    }

    public ValueTask<KeyValue?> GetAsync(string key, long revision = 0, CancellationToken cancellationToken = default)
    {
        StoreLimits.ValidateKey(key);
        StoreLimits.ValidateRevision(revision);
        lock (_lock)
        {
            ThrowIfDisposed();
            var at = ReadRevision(revision);
            return ValueTask.FromResult(At(key, at));
        }
    }

    public ValueTask<ListResult> ListAsync(string prefix, long limit = 0, string? continueToken = null, long revision = 0, CancellationToken cancellationToken = default)
    {
        StoreLimits.ValidatePrefix(prefix);
        StoreLimits.ValidateLimit(limit);
        StoreLimits.ValidateRevision(revision);
        var start = prefix;
        if (continueToken is not null)
        {
            (revision, start) = ContinueToken.Decode(prefix, continueToken);
        }

        lock (_lock)
        {
            ThrowIfDisposed();
            var at = ReadRevision(revision);
            var items = new List<KeyValue>();
            string? next = null;
            long remaining = 0;
            foreach (var key in _keys.GetViewBetween(start, StoreLimits.PrefixEnd(prefix)))
            {
                if (string.CompareOrdinal(key, start) < 0 || !key.StartsWith(prefix, StringComparison.Ordinal))
                {
                    continue;
                }

                var kv = At(key, at);
                if (kv is null)
                {
                    continue;
                }

                if (limit > 0 && items.Count == limit)
                {
                    next ??= items[^1].Key + "\0";
                    remaining++;
                    continue;
                }

                items.Add(kv);
            }

            return ValueTask.FromResult(new ListResult(
                items,
                at,
                next is null ? null : ContinueToken.Encode(prefix, at, next),
                next is null ? null : remaining));
        }
    }

    public ValueTask<long> CountAsync(string prefix, CancellationToken cancellationToken = default)
    {
        StoreLimits.ValidatePrefix(prefix);
        lock (_lock)
        {
            ThrowIfDisposed();
            long count = 0;
            foreach (var key in _keys.GetViewBetween(prefix, StoreLimits.PrefixEnd(prefix)))
            {
                if (key.StartsWith(prefix, StringComparison.Ordinal) && Latest(key) is not null)
                {
                    count++;
                }
            }

            return ValueTask.FromResult(count);
        }
    }

    public IAsyncEnumerable<WatchEvent> WatchAsync(string prefix, long afterRevision, CancellationToken cancellationToken = default)
    {
        StoreLimits.ValidatePrefix(prefix);
        StoreLimits.ValidateRevision(afterRevision);
        lock (_lock)
        {
            ThrowIfDisposed();
            if (afterRevision > _revision)
            {
                throw StoreException.FutureRevision(afterRevision, _revision);
            }
        }

        return HubWatcher.Watch(_hub, this, prefix, afterRevision, cancellationToken);
    }

    public ValueTask<long> GetCurrentRevisionAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return ValueTask.FromResult(_revision);
        }
    }

    public ValueTask<long> GetCompactedRevisionAsync(CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Volatile.Read(ref _compacted));

    public ValueTask CompactAsync(long revision, CancellationToken cancellationToken = default)
    {
        StoreLimits.ValidateRevision(revision);
        lock (_lock)
        {
            ThrowIfDisposed();
            if (revision > _revision)
            {
                throw StoreException.FutureRevision(revision, _revision);
            }

            if (revision <= _compacted)
            {
                return ValueTask.CompletedTask;
            }

            var emptied = new List<string>();
            foreach (var (key, versions) in _history)
            {
                // Keep the newest version at or before the compaction point (the value as of then),
                // unless it is a tombstone, and everything after it.
                var keepFrom = versions.FindLastIndex(v => v.Revision <= revision);
                if (keepFrom < 0)
                {
                    continue;
                }

                if (versions[keepFrom].Value is null)
                {
                    keepFrom++;
                }

                versions.RemoveRange(0, keepFrom);
                if (versions.Count == 0)
                {
                    emptied.Add(key);
                }
            }

            foreach (var key in emptied)
            {
                _history.Remove(key);
                _keys.Remove(key);
            }

            var drop = (int)Math.Min(_log.Count, revision - _logBase + 1);
            _log.RemoveRange(0, drop);
            _logBase += drop;
            Volatile.Write(ref _compacted, revision);
            return ValueTask.CompletedTask;
        }
    }

    ValueTask<IReadOnlyList<WatchEvent>> IHistorySource.ReadHistoryAsync(long from, long to, int max, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (from <= _compacted)
            {
                throw StoreException.Compacted(from, _compacted);
            }

            var start = (int)(from - _logBase);
            var count = (int)Math.Min(max, to - from + 1);
            return ValueTask.FromResult<IReadOnlyList<WatchEvent>>(_log.GetRange(start, count));
        }
    }

    public async ValueTask DisposeAsync()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        await _expirer.DisposeAsync();
        _hub.Close();
    }

    private async ValueTask DeleteExpiredAsync(string key, long modRevision, CancellationToken cancellationToken) =>
        await DeleteAsync(key, modRevision, cancellationToken);

    private void Append(string key, KeyValue kv, TimeSpan? ttl, WatchEvent e)
    {
        if (!_history.TryGetValue(key, out var versions))
        {
            versions = [];
            _history[key] = versions;
            _keys.Add(key);
        }

        versions.Add(new Version(kv.ModRevision, kv));
        if (ttl is { } t)
        {
            _expirer.Track(key, kv.ModRevision, _time.GetUtcNow() + t);
        }

        Publish(e);
    }

    private void Publish(WatchEvent e)
    {
        _log.Add(e);
        _hub.Publish([e]);
    }

    private KeyValue? Latest(string key) =>
        _history.TryGetValue(key, out var versions) && versions.Count > 0 ? versions[^1].Value : null;

    private KeyValue? At(string key, long revision)
    {
        if (!_history.TryGetValue(key, out var versions))
        {
            return null;
        }

        for (var i = versions.Count - 1; i >= 0; i--)
        {
            if (versions[i].Revision <= revision)
            {
                return versions[i].Value;
            }
        }

        return null;
    }

    private long ReadRevision(long requested)
    {
        if (requested == 0)
        {
            return _revision;
        }

        if (requested > _revision)
        {
            throw StoreException.FutureRevision(requested, _revision);
        }

        if (requested < _compacted)
        {
            throw StoreException.Compacted(requested, _compacted);
        }

        return requested;
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    private readonly record struct Version(long Revision, KeyValue? Value);
}
