namespace Kubesharp.Scheduler.Plugins.InterPodAffinity;

/// <summary>
/// Upstream's <c>topologyToMatchedTermCount</c>: how many matching (pod, term) pairs each topology domain
/// (<c>topologyKey=value</c>) holds. Entries that fall to zero are removed, so <see cref="Count"/> says whether any
/// domain counts at all. Written while one cycle's PreFilter (or preemption's AddPod/RemovePod) runs; read
/// concurrently by Filter afterwards, which allocates nothing.
/// </summary>
internal sealed class TopologyCounts
{
    private readonly Dictionary<(string Key, string Value), long> _counts = [];

    // The distinct topology keys ever counted, so that a node is checked against the few keys that matter rather
    // than against all of its labels (upstream walks the node's labels; the answer is the same).
    private readonly List<string> _keys = [];

    public int Count => _counts.Count;

    public long Get(string key, string value) => _counts.GetValueOrDefault((key, value));

    /// <summary>Adds <paramref name="value"/> to the domain the node is in for <paramref name="key"/>; nothing when the node lacks the label.</summary>
    public void Add(IDictionary<string, string>? nodeLabels, string key, long value)
    {
        if (nodeLabels is null || !nodeLabels.TryGetValue(key, out var domain))
        {
            return;
        }

        var pair = (key, domain);
        var updated = _counts.GetValueOrDefault(pair) + value;
        if (updated == 0)
        {
            _counts.Remove(pair);
            return;
        }

        _counts[pair] = updated;
        if (!_keys.Contains(key))
        {
            _keys.Add(key);
        }
    }

    /// <summary>Whether any of the node's domains has a positive count.</summary>
    public bool AnyOn(IDictionary<string, string>? nodeLabels)
    {
        if (nodeLabels is null || _counts.Count == 0)
        {
            return false;
        }

        foreach (var key in _keys)
        {
            if (nodeLabels.TryGetValue(key, out var domain) && _counts.GetValueOrDefault((key, domain)) > 0)
            {
                return true;
            }
        }

        return false;
    }

    public TopologyCounts Clone()
    {
        var clone = new TopologyCounts();
        foreach (var (pair, count) in _counts)
        {
            clone._counts[pair] = count;
        }

        clone._keys.AddRange(_keys);
        return clone;
    }
}
