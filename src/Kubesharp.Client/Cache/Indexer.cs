using k8s;
using k8s.Models;

namespace Kubesharp.Client.Cache;

/// <summary>Computes the values under which an object is indexed (none, one or several).</summary>
public delegate IEnumerable<string> IndexFunc<in T>(T obj);

/// <summary>
/// Read access to an informer's cache (client-go's <c>Indexer</c> reads).
/// <para>
/// Contract: thread-safe; every call sees a consistent state (no call observes half an update). The
/// objects returned are the cache's own instances, shared with every other reader and with event
/// handlers: treat them as immutable, and copy before changing anything.
/// </para>
/// </summary>
public interface IIndexReader<T>
    where T : class
{
    T? Get(string key);

    IReadOnlyList<T> List();

    IReadOnlyList<string> ListKeys();

    /// <summary>Objects whose index function <paramref name="indexName"/> yields <paramref name="value"/>.</summary>
    /// <exception cref="ArgumentException">No index of that name was registered.</exception>
    IReadOnlyList<T> ByIndex(string indexName, string value);

    /// <summary>Keys of the objects whose index function <paramref name="indexName"/> yields <paramref name="value"/>.</summary>
    IReadOnlyList<string> IndexKeys(string indexName, string value);

    int Count { get; }
}

/// <summary>
/// The thread-safe store behind an informer (client-go's <c>threadSafeMap</c> + <c>Indexer</c>): objects
/// by key, plus named indexes kept up to date on every write. The namespace index
/// (<see cref="Indexers.Namespace"/>) is always present. Writes come from one informer; reads from anywhere.
/// </summary>
public sealed class Indexer<T> : IIndexReader<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, T> _items = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IndexFunc<T>> _indexers = new(StringComparer.Ordinal) { [Indexers.Namespace] = Indexers.ByNamespace };
    // index name -> indexed value -> keys
    private readonly Dictionary<string, Dictionary<string, HashSet<string>>> _indices = new(StringComparer.Ordinal)
    {
        [Indexers.Namespace] = new(StringComparer.Ordinal),
    };

    /// <summary>
    /// Registers more indexes. Only while the store is empty (client-go refuses it on a running informer
    /// too): indexing existing items later would race with readers that expect a full index.
    /// </summary>
    /// <exception cref="InvalidOperationException">The store already holds items, or a name is taken.</exception>
    public void AddIndexers(IReadOnlyDictionary<string, IndexFunc<T>> indexers)
    {
        lock (_lock)
        {
            if (_items.Count > 0)
            {
                throw new InvalidOperationException("indexers can only be added before the cache holds items");
            }

            foreach (var (name, _) in indexers)
            {
                if (_indexers.ContainsKey(name))
                {
                    throw new InvalidOperationException($"an indexer named '{name}' already exists");
                }
            }

            foreach (var (name, func) in indexers)
            {
                _indexers[name] = func;
                _indices[name] = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _items.Count;
            }
        }
    }

    /// <summary>Adds or replaces the object under its key; returns the object it replaced, if any.</summary>
    public T? Upsert(T obj)
    {
        var key = ObjectKeys.For(obj);
        lock (_lock)
        {
            _items.TryGetValue(key, out var old);
            _items[key] = obj;
            UpdateIndicesLocked(key, old, obj);
            return old;
        }
    }

    /// <summary>Removes the object with this key; returns it, or null if it was not there.</summary>
    public T? Delete(string key)
    {
        lock (_lock)
        {
            if (!_items.Remove(key, out var old))
            {
                return null;
            }

            UpdateIndicesLocked(key, old, null);
            return old;
        }
    }

    /// <summary>Replaces the whole content; returns what was there before, by key.</summary>
    public Dictionary<string, T> Replace(IEnumerable<T> items)
    {
        lock (_lock)
        {
            var old = new Dictionary<string, T>(_items, StringComparer.Ordinal);
            _items.Clear();
            foreach (var index in _indices.Values)
            {
                index.Clear();
            }

            foreach (var obj in items)
            {
                var key = ObjectKeys.For(obj);
                _items.TryGetValue(key, out var duplicate);
                _items[key] = obj;
                UpdateIndicesLocked(key, duplicate, obj);
            }

            return old;
        }
    }

    private void UpdateIndicesLocked(string key, T? oldObj, T? newObj)
    {
        foreach (var (name, func) in _indexers)
        {
            var index = _indices[name];
            if (oldObj is not null)
            {
                foreach (var value in func(oldObj))
                {
                    if (index.TryGetValue(value, out var keys))
                    {
                        keys.Remove(key);
                        if (keys.Count == 0)
                        {
                            index.Remove(value);
                        }
                    }
                }
            }

            if (newObj is not null)
            {
                foreach (var value in func(newObj))
                {
                    if (!index.TryGetValue(value, out var keys))
                    {
                        index[value] = keys = new HashSet<string>(StringComparer.Ordinal);
                    }

                    keys.Add(key);
                }
            }
        }
    }

    public T? Get(string key)
    {
        lock (_lock)
        {
            return _items.GetValueOrDefault(key);
        }
    }

    public IReadOnlyList<T> List()
    {
        lock (_lock)
        {
            return [.. _items.Values];
        }
    }

    public IReadOnlyList<string> ListKeys()
    {
        lock (_lock)
        {
            return [.. _items.Keys];
        }
    }

    public IReadOnlyList<T> ByIndex(string indexName, string value)
    {
        lock (_lock)
        {
            var keys = KeysLocked(indexName, value);
            if (keys is null)
            {
                return [];
            }

            var result = new List<T>(keys.Count);
            foreach (var key in keys)
            {
                result.Add(_items[key]);
            }

            return result;
        }
    }

    public IReadOnlyList<string> IndexKeys(string indexName, string value)
    {
        lock (_lock)
        {
            return KeysLocked(indexName, value) is { } keys ? [.. keys] : [];
        }
    }

    private HashSet<string>? KeysLocked(string indexName, string value)
    {
        if (!_indices.TryGetValue(indexName, out var index))
        {
            throw new ArgumentException($"no index named '{indexName}'", nameof(indexName));
        }

        return index.GetValueOrDefault(value);
    }
}
