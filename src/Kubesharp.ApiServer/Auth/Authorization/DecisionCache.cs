using System.Collections.Concurrent;

namespace Kubesharp.ApiServer.Auth.Authorization;

/// <summary>
/// Remembers authorization decisions made against one RBAC snapshot, keyed by a string that the owner
/// builds from everything its decision depends on.
/// </summary>
/// <remarks>
/// Contract: an entry is returned only for the snapshot version it was stored under, so publishing a
/// new snapshot invalidates everything at once (the first lookup or store with a newer version drops the
/// old entries); a store for an older version than the cache holds is ignored, so a request that raced a
/// snapshot change cannot put a stale decision back. Bounded: entries live in two generations of at most
/// half the capacity each; when the current generation is full it becomes the previous one and the
/// oldest is dropped, and a hit in the previous generation is copied forward (an approximate LRU without
/// a lock or a linked list). Thread-safe and lock-free; losing a race only costs a re-evaluation.
/// </remarks>
internal sealed class DecisionCache
{
    private readonly int _generationCapacity;
    private Generations _state;

    public DecisionCache(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 2);
        _generationCapacity = capacity / 2;
        _state = new Generations(0, new Generation(), null);
    }

    /// <summary>How many decisions are held now, for tests and metrics: at most the capacity, plus one per writer racing a full generation.</summary>
    public int Count
    {
        get
        {
            var state = Volatile.Read(ref _state);
            return state.Current.Count + (state.Previous?.Count ?? 0);
        }
    }

    public bool TryGet(long version, string key, out AuthorizationDecision decision)
    {
        var state = Volatile.Read(ref _state);
        if (state.Version == version)
        {
            if (state.Current.Entries.TryGetValue(key, out decision))
            {
                return true;
            }

            if (state.Previous is { } previous && previous.Entries.TryGetValue(key, out decision))
            {
                Set(version, key, decision);
                return true;
            }
        }

        decision = default;
        return false;
    }

    public void Set(long version, string key, AuthorizationDecision decision)
    {
        while (true)
        {
            var state = Volatile.Read(ref _state);
            if (version < state.Version)
            {
                return;
            }

            Generations next;
            if (version > state.Version)
            {
                next = new Generations(version, new Generation(), null);
            }
            else if (state.Current.Count >= _generationCapacity)
            {
                next = new Generations(version, new Generation(), state.Current);
            }
            else
            {
                if (state.Current.Entries.TryAdd(key, decision))
                {
                    Interlocked.Increment(ref state.Current.Count);
                }

                return;
            }

            Interlocked.CompareExchange(ref _state, next, state);
        }
    }

    private sealed class Generation
    {
        // Counted apart: ConcurrentDictionary.Count takes every lock of the dictionary.
        public int Count;

        public ConcurrentDictionary<string, AuthorizationDecision> Entries { get; } = new(StringComparer.Ordinal);
    }

    private sealed record Generations(long Version, Generation Current, Generation? Previous);
}
