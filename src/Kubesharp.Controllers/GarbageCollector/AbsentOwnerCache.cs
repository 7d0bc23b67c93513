namespace Kubesharp.Controllers.GarbageCollector;

/// <summary>
/// Owners verified not to exist (upstream's absentOwnerCache, an LRU of 500): spares a live read for every
/// dependent of an owner already known gone. Keyed by the full reference (group, kind, namespace, name, uid), so
/// an entry never answers for another object. Thread-safe.
/// </summary>
internal sealed class AbsentOwnerCache(int capacity = 500)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, LinkedListNode<string>> _entries = new(StringComparer.Ordinal);
    private readonly LinkedList<string> _lru = new();

    public static string KeyOf(string group, string kind, string ns, string name, string uid) => string.Join('\u0000', group, kind, ns, name, uid);

    public void Add(string key)
    {
        lock (_lock)
        {
            if (_entries.Remove(key, out var existing))
            {
                _lru.Remove(existing);
            }

            _entries[key] = _lru.AddFirst(key);
            while (_lru.Count > capacity)
            {
                _entries.Remove(_lru.Last!.Value);
                _lru.RemoveLast();
            }
        }
    }

    public bool Has(string key)
    {
        lock (_lock)
        {
            if (!_entries.TryGetValue(key, out var node))
            {
                return false;
            }

            _lru.Remove(node);
            _lru.AddFirst(node);
            return true;
        }
    }
}
