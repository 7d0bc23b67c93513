namespace Kubesharp.Controllers.Common;

/// <summary>
/// client-go's <c>UIDTrackingControllerExpectations</c>: what a controller has asked the API server to
/// create and delete for one owner (by key) and not yet seen come back through its informer, so that
/// it does not act again on a cache that has not caught up (and, for instance, create the same pods twice).
/// <para>
/// Contract: an owner with no record, with a record whose creates and deletes have all been observed, or
/// with a record older than <see cref="Timeout"/> (a watch event was lost; act again) is satisfied.
/// <see cref="ExpectCreations"/> and <see cref="ExpectDeletions"/> replace the owner's record and restart
/// its clock. Deletions are tracked by pod key, so a pod seen first with a deletionTimestamp and then
/// deleted counts once. Creations are only counted (the names are the server's to choose). Thread-safe:
/// informer handlers observe while workers expect.
/// </para>
/// </summary>
internal sealed class ControllerExpectations(TimeProvider time)
{
    /// <summary>Upstream's <c>ExpectationsTimeout</c>.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Record> _records = new(StringComparer.Ordinal);

    /// <summary>True when the owner may be synced: nothing pending, or the record expired.</summary>
    public bool Satisfied(string key)
    {
        lock (_lock)
        {
            if (!_records.TryGetValue(key, out var record))
            {
                // A new owner, or one whose expectations were deleted: act.
                return true;
            }

            return (record.Adds <= 0 && record.Deletes <= 0) || time.GetUtcNow() - record.Since > Timeout;
        }
    }

    /// <summary>The owner will see <paramref name="adds"/> pods created.</summary>
    public void ExpectCreations(string key, int adds)
    {
        lock (_lock)
        {
            _records[key] = new Record(adds, 0, time.GetUtcNow(), null);
        }
    }

    /// <summary>The owner will see these pods (by <c>namespace/name</c>) deleted.</summary>
    public void ExpectDeletions(string key, IEnumerable<string> podKeys)
    {
        var keys = new HashSet<string>(podKeys, StringComparer.Ordinal);
        lock (_lock)
        {
            _records[key] = new Record(0, keys.Count, time.GetUtcNow(), keys);
        }
    }

    /// <summary>
    /// Both at once (upstream's <c>SetExpectations</c>, which the DaemonSet controller calls before a sync that
    /// creates on some nodes and deletes on others): <paramref name="adds"/> creations and these deletions.
    /// </summary>
    public void Expect(string key, int adds, IEnumerable<string> podKeys)
    {
        var keys = new HashSet<string>(podKeys, StringComparer.Ordinal);
        lock (_lock)
        {
            _records[key] = new Record(adds, keys.Count, time.GetUtcNow(), keys);
        }
    }

    public void CreationObserved(string key) => Lower(key, 1, 0);

    /// <summary>A pod the owner expected to go is gone or going; a pod it did not expect changes nothing.</summary>
    public void DeletionObserved(string key, string podKey)
    {
        lock (_lock)
        {
            if (_records.TryGetValue(key, out var record) && record.Pending is { } pending && pending.Remove(podKey))
            {
                record.Deletes--;
            }
        }
    }

    /// <summary>Lowers the counts (for creates or deletes that failed and will never be observed).</summary>
    public void Lower(string key, int adds, int deletes)
    {
        lock (_lock)
        {
            if (_records.TryGetValue(key, out var record))
            {
                record.Adds -= adds;
                record.Deletes -= deletes;
            }
        }
    }

    /// <summary>Forgets the owner (it was deleted; a new one of the same name starts clean).</summary>
    public void Delete(string key)
    {
        lock (_lock)
        {
            _records.Remove(key);
        }
    }

    /// <summary>The pending (creates, deletes) of an owner, or null when it has no record. For tests and logs.</summary>
    public (int Adds, int Deletes)? Pending(string key)
    {
        lock (_lock)
        {
            return _records.TryGetValue(key, out var record) ? (record.Adds, record.Deletes) : null;
        }
    }

    private sealed class Record(int adds, int deletes, DateTimeOffset since, HashSet<string>? pending)
    {
        public int Adds { get; set; } = adds;

        public int Deletes { get; set; } = deletes;

        public DateTimeOffset Since { get; } = since;

        public HashSet<string>? Pending { get; } = pending;
    }
}
