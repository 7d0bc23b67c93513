namespace Kubesharp.Scheduler.Framework;

/// <summary>
/// A read-only view of the nominated pods by node, taken once per scheduling cycle: pods that preemption placed on a
/// node (<c>status.nominatedNodeName</c>) while their victims terminate. Filters count the ones of equal or higher
/// priority as if they already ran there, so that lower-priority pods do not take the room made for them.
/// </summary>
public sealed class NominatedPods
{
    private readonly Dictionary<string, PodInfo[]> _byNode;

    internal NominatedPods(Dictionary<string, PodInfo[]> byNode) => _byNode = byNode;

    public static NominatedPods None { get; } = new(new Dictionary<string, PodInfo[]>(StringComparer.Ordinal));

    public bool IsEmpty => _byNode.Count == 0;

    public IReadOnlyList<PodInfo> ForNode(string node) => _byNode.TryGetValue(node, out var pods) ? pods : [];
}

/// <summary>
/// Upstream's PodNominator: which pending pod is nominated to which node. Fed by the scheduler's own nominations
/// and by pods that arrive with <c>status.nominatedNodeName</c> (after a restart); a pod leaves it when it is bound,
/// deleted or its nomination is cleared. Thread-safe; <see cref="Snapshot"/> is rebuilt only after a change.
/// </summary>
public sealed class Nominator
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (PodInfo Pod, string Node)> _byUid = new(StringComparer.Ordinal);
    private NominatedPods? _snapshot = NominatedPods.None;

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _byUid.Count;
            }
        }
    }

    /// <summary>Nominates <paramref name="pod"/> to <paramref name="node"/>, or forgets it when the node is empty.</summary>
    public void Set(PodInfo pod, string? node)
    {
        lock (_lock)
        {
            if (string.IsNullOrEmpty(node))
            {
                RemoveLocked(pod.Uid);
                return;
            }

            _byUid[pod.Uid] = (pod, node);
            _snapshot = null;
        }
    }

    public void Delete(string uid)
    {
        lock (_lock)
        {
            RemoveLocked(uid);
        }
    }

    public string? NodeOf(string uid)
    {
        lock (_lock)
        {
            return _byUid.TryGetValue(uid, out var entry) ? entry.Node : null;
        }
    }

    private void RemoveLocked(string uid)
    {
        if (_byUid.Remove(uid))
        {
            _snapshot = null;
        }
    }

    public NominatedPods Snapshot()
    {
        lock (_lock)
        {
            if (_snapshot is null)
            {
                var byNode = new Dictionary<string, List<PodInfo>>(StringComparer.Ordinal);
                foreach (var (pod, node) in _byUid.Values)
                {
                    if (!byNode.TryGetValue(node, out var pods))
                    {
                        byNode[node] = pods = [];
                    }

                    pods.Add(pod);
                }

                _snapshot = new NominatedPods(byNode.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray(), StringComparer.Ordinal));
            }

            return _snapshot;
        }
    }
}
