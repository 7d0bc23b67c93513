namespace Kubesharp.Controllers.Job;

/// <summary>
/// Upstream's <c>uidTrackingExpectations</c>: per Job, the UIDs of pods whose tracking finalizer the controller has
/// asked to remove and not yet seen removed, so that a sync on a stale cache neither counts those pods twice nor
/// patches them again. Thread-safe: informer handlers observe while workers expect.
/// </summary>
internal sealed class FinalizerExpectations
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, HashSet<string>> _expected = new(StringComparer.Ordinal);

    public IReadOnlySet<string> Expected(string key)
    {
        lock (_lock)
        {
            return _expected.TryGetValue(key, out var uids) ? new HashSet<string>(uids, StringComparer.Ordinal) : new HashSet<string>(StringComparer.Ordinal);
        }
    }

    public void ExpectRemoved(string key, IEnumerable<string> uids)
    {
        lock (_lock)
        {
            if (!_expected.TryGetValue(key, out var set))
            {
                _expected[key] = set = new HashSet<string>(StringComparer.Ordinal);
            }

            set.UnionWith(uids);
        }
    }

    public void RemovalObserved(string key, string uid)
    {
        lock (_lock)
        {
            if (_expected.TryGetValue(key, out var set) && set.Remove(uid) && set.Count == 0)
            {
                _expected.Remove(key);
            }
        }
    }

    public void Delete(string key)
    {
        lock (_lock)
        {
            _expected.Remove(key);
        }
    }
}
