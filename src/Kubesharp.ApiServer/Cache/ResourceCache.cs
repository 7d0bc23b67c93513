namespace Kubesharp.ApiServer.Cache;

/// <summary>
/// The watch cache of one resource (one storage prefix): every live object, sorted by key on demand,
/// and a ring of the latest events. Fed only by <see cref="WatchCache"/>'s single storage watch; read
/// by lists (snapshots) and by watchers, each of which keeps a cursor into the ring and never copies it.
/// </summary>
internal sealed class ResourceCache
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, CachedObject> _objects = new(StringComparer.Ordinal);
    private readonly CacheEvent[] _ring;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private List<Storage.WatchEvent>? _pending = [];
    private string[]? _order;
    private CachedObject[]? _snapshot;
    private long _nextSeq;
    private long _windowStart;
    private long _revision;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ResourceCache(string prefix, IReadOnlyList<string> fieldSelectors, int capacity)
    {
        Prefix = prefix;
        FieldSelectors = fieldSelectors;
        _ring = new CacheEvent[capacity];
    }

    public string Prefix { get; }

    /// <summary>The field labels whose values <see cref="CachedObject.GetSelectable"/> precomputes.</summary>
    public IReadOnlyList<string> FieldSelectors { get; }

    /// <summary>Completes once the initial list is loaded.</summary>
    public Task Ready => _ready.Task;

    /// <summary>True once the cache was dropped (its storage watch broke); watchers end their streams.</summary>
    public bool Closed { get; private set; }

    /// <summary>The revision of the last change applied to this resource (or of the initial list).</summary>
    public long Revision
    {
        get
        {
            lock (_gate)
            {
                return _revision;
            }
        }
    }

    /// <summary>Number of live objects.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _objects.Count;
            }
        }
    }

    /// <summary>Fills the cache from a list at <paramref name="revision"/>, then applies what arrived meanwhile.</summary>
    public void Load(IEnumerable<Storage.KeyValue> items, long revision)
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            foreach (var kv in items)
            {
                _objects[kv.Key] = new CachedObject(kv.Key, Rest.ObjectJson.WithResourceVersion(kv.Value, kv.ModRevision), kv.ModRevision);
            }

            _windowStart = revision;
            _revision = revision;
            foreach (var e in _pending!)
            {
                if (e.Revision > revision)
                {
                    ApplyLocked(e);
                }
            }

            _pending = null;
            changed = SwapChanged();
        }

        changed.TrySetResult();
        _ready.TrySetResult();
    }

    /// <summary>Fails every waiter: the initial list could not be read.</summary>
    public void Fail(Exception error) => _ready.TrySetException(error);

    /// <summary>Applies one change from the storage watch (buffered until the initial list is loaded).</summary>
    public void Apply(Storage.WatchEvent e)
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            if (_pending is not null)
            {
                _pending.Add(e);
                return;
            }

            ApplyLocked(e);
            changed = SwapChanged();
        }

        changed.TrySetResult();
    }

    /// <summary>Ends the cache: watchers wake and see <see cref="Closed"/>.</summary>
    public void Close()
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            Closed = true;
            changed = SwapChanged();
        }

        changed.TrySetResult();
        _ready.TrySetException(new InvalidOperationException("the watch cache was reset"));
    }

    public bool Contains(string key)
    {
        lock (_gate)
        {
            return _objects.ContainsKey(key);
        }
    }

    /// <summary>The cached state of <paramref name="key"/>, possibly behind the store; null when not cached.</summary>
    public CachedObject? TryGet(string key)
    {
        lock (_gate)
        {
            return _objects.GetValueOrDefault(key);
        }
    }

    /// <summary>Every live object sorted by key, and the revision this state is at.</summary>
    public (CachedObject[] Items, long Revision) Snapshot()
    {
        lock (_gate)
        {
            return (SnapshotLocked(), _revision);
        }
    }

    /// <summary>
    /// The current state (for a watch that starts with it) and the cursor of the first event after it.
    /// </summary>
    public (CachedObject[] Items, long Revision, long Cursor) SnapshotForWatch()
    {
        lock (_gate)
        {
            return (SnapshotLocked(), _revision, _nextSeq);
        }
    }

    /// <summary>
    /// The cursor of the first event after <paramref name="afterRevision"/>, or false when the ring no
    /// longer holds every event since then (the caller then reads the store's history).
    /// </summary>
    public bool TryFindCursor(long afterRevision, out long cursor)
    {
        lock (_gate)
        {
            cursor = 0;
            if (afterRevision < _windowStart)
            {
                return false;
            }

            var oldest = Math.Max(0, _nextSeq - _ring.Length);
            var seq = _nextSeq;
            while (seq > oldest && _ring[(seq - 1) % _ring.Length].Revision > afterRevision)
            {
                seq--;
            }

            cursor = seq;
            return true;
        }
    }

    /// <summary>
    /// Copies the events from <paramref name="cursor"/> on into <paramref name="into"/> (at most
    /// <paramref name="max"/>) and advances the cursor. False when the watcher fell so far behind that
    /// the ring overwrote events it had not read: its stream must end.
    /// </summary>
    public bool Read(ref long cursor, List<CacheEvent> into, int max)
    {
        lock (_gate)
        {
            if (cursor < _nextSeq - _ring.Length)
            {
                return false;
            }

            while (cursor < _nextSeq && into.Count < max)
            {
                into.Add(_ring[cursor % _ring.Length]);
                cursor++;
            }

            return true;
        }
    }

    /// <summary>Completes when an event at or after <paramref name="cursor"/> exists, or the cache closes.</summary>
    public Task WaitAsync(long cursor)
    {
        lock (_gate)
        {
            return cursor < _nextSeq || Closed ? Task.CompletedTask : _changed.Task;
        }
    }

    private CachedObject[] SnapshotLocked()
    {
        if (_snapshot is { } known)
        {
            return known;
        }

        if (_order is null)
        {
            var keys = _objects.Keys.ToArray();
            Array.Sort(keys, StringComparer.Ordinal);
            _order = keys;
        }

        var items = new CachedObject[_order.Length];
        for (var i = 0; i < items.Length; i++)
        {
            items[i] = _objects[_order[i]];
        }

        _snapshot = items;
        return items;
    }

    private void ApplyLocked(Storage.WatchEvent e)
    {
        var key = e.Kv.Key;
        var obj = new CachedObject(key, Rest.ObjectJson.WithResourceVersion(e.Kv.Value, e.Revision), e.Revision);
        _objects.TryGetValue(key, out var previous);
        bool isDelete;
        if (e.Type == Storage.WatchEventType.Delete)
        {
            isDelete = true;
            if (_objects.Remove(key))
            {
                _order = null;
            }
        }
        else
        {
            isDelete = false;
            _objects[key] = obj;
            if (previous is null)
            {
                _order = null;
            }
        }

        _snapshot = null;
        var slot = _nextSeq % _ring.Length;
        if (_nextSeq >= _ring.Length)
        {
            // The oldest event leaves the window: a watch must now start after it.
            _windowStart = _ring[slot].Revision;
        }

        _ring[slot] = new CacheEvent(isDelete, obj, previous, e.Revision);
        _nextSeq++;
        _revision = e.Revision;
    }

    private TaskCompletionSource SwapChanged()
    {
        var changed = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return changed;
    }
}
