using k8s.Models;
using Kubesharp.Controllers.Dynamic;

namespace Kubesharp.Controllers.NodeLifecycle;

public sealed partial class NodeLifecycleController
{
    private const int UpdateTaintAttempts = 5;

    // Upstream's labelReconcileInfo: the beta os/arch labels follow the stable ones.
    private static readonly (string Primary, string Secondary)[] LabelsToReconcile =
    [
        ("kubernetes.io/os", "beta.kubernetes.io/os"),
        ("kubernetes.io/arch", "beta.kubernetes.io/arch"),
    ];

    private readonly Lock _evictorLock = new();
    private readonly Dictionary<string, RateLimitedTimedQueue> _zoneTainters = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ZoneState> _zoneStates = new(StringComparer.Ordinal);

    private bool HasQueuedTaints()
    {
        lock (_evictorLock)
        {
            return _zoneTainters.Values.Any(q => q.Count > 0);
        }
    }

    /// <summary>Upstream's addPodEvictorForNewZone: a zone seen for the first time starts Initial, at the normal rate.</summary>
    private void AddZone(V1Node node)
    {
        var zone = NodeTopology.ZoneKey(node);
        lock (_evictorLock)
        {
            if (_zoneStates.TryAdd(zone, ZoneState.Initial))
            {
                _zoneTainters[zone] = new RateLimitedTimedQueue(_options.NodeEvictionRate, Time);
            }
        }
    }

    private RateLimitedTimedQueue TainterOf(V1Node node)
    {
        lock (_evictorLock)
        {
            return _zoneTainters[NodeTopology.ZoneKey(node)];
        }
    }

    /// <summary>
    /// Upstream's processTaintBaseEviction, from the Ready condition as observed before this pass changed it: a
    /// node not ready or unreachable is queued for its NoExecute taint (swapped at once when it has the other one);
    /// a ready node loses both.
    /// </summary>
    private async Task ProcessTaintBaseEvictionAsync(V1Node node, V1NodeCondition observedReady, CancellationToken cancellationToken)
    {
        switch (observedReady.Status)
        {
            case "False":
                if (NodeTaints.Exists(node.Spec?.Taints, NodeTaints.UnreachableNoExecute()))
                {
                    await SwapTaintsAsync(node, [NodeTaints.NotReadyNoExecute()], [NodeTaints.UnreachableNoExecute()], cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    MarkNodeForTainting(node, "False");
                }

                break;
            case "Unknown":
                if (NodeTaints.Exists(node.Spec?.Taints, NodeTaints.NotReadyNoExecute()))
                {
                    await SwapTaintsAsync(node, [NodeTaints.UnreachableNoExecute()], [NodeTaints.NotReadyNoExecute()], cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    MarkNodeForTainting(node, "Unknown");
                }

                break;
            case "True":
                await MarkNodeAsReachableAsync(node, cancellationToken).ConfigureAwait(false);
                break;
        }
    }

    /// <summary>Queues the node for its NoExecute taint; a node without the matching taint is queued afresh (its state changed).</summary>
    private bool MarkNodeForTainting(V1Node node, string status)
    {
        var tainter = TainterOf(node);
        var wanted = status == "False" ? NodeTaints.NotReadyNoExecute() : NodeTaints.UnreachableNoExecute();
        if (!NodeTaints.Exists(node.Spec?.Taints, wanted))
        {
            tainter.Remove(node.Metadata.Name);
        }

        return tainter.Add(node.Metadata.Name, node.Metadata.Uid);
    }

    /// <summary>Upstream's markNodeAsReachable: both NoExecute taints off, and the node out of its zone's queue.</summary>
    private async Task<bool> MarkNodeAsReachableAsync(V1Node node, CancellationToken cancellationToken)
    {
        if (!await SwapTaintsAsync(node, [], [NodeTaints.UnreachableNoExecute(), NodeTaints.NotReadyNoExecute()], cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        return TainterOf(node).Remove(node.Metadata.Name);
    }

    /// <summary>Upstream's doNoExecuteTaintingPass: each zone's queued nodes, at the zone's rate.</summary>
    internal async Task NoExecuteTaintingPassAsync(CancellationToken cancellationToken)
    {
        List<RateLimitedTimedQueue> tainters;
        lock (_evictorLock)
        {
            tainters = [.. _zoneTainters.Values];
        }

        foreach (var tainter in tainters)
        {
            await tainter.TryAsync(async value =>
            {
                var node = _nodes.Get(value.Value);
                if (node is null)
                {
                    return (true, TimeSpan.Zero);
                }

                var ready = NodeConditions.Get(node, NodeConditions.Ready);
                if (ready is null)
                {
                    return (false, TimeSpan.FromMilliseconds(50));
                }

                // The two taints mirror the Ready condition, so they never stand together.
                var (add, opposite) = ready.Status switch
                {
                    "False" => (NodeTaints.NotReadyNoExecute(), NodeTaints.UnreachableNoExecute()),
                    "Unknown" => (NodeTaints.UnreachableNoExecute(), NodeTaints.NotReadyNoExecute()),
                    _ => (null, null),
                };
                if (add is null)
                {
                    // Ready again meanwhile.
                    return (true, TimeSpan.Zero);
                }

                return (await SwapTaintsAsync(node, [add], [opposite!], cancellationToken).ConfigureAwait(false), TimeSpan.Zero);
            }).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Upstream's doNoScheduleTaintingPass: the NoSchedule taints that mirror conditions (upstream's table) and
    /// <c>spec.unschedulable</c>, added and removed to match; other taints are left alone.
    /// </summary>
    private async Task NoScheduleTaintingPassAsync(string name, CancellationToken cancellationToken)
    {
        var node = _nodes.Get(name);
        if (node is null)
        {
            return;
        }

        var wanted = new List<V1Taint>();
        foreach (var condition in node.Status?.Conditions ?? [])
        {
            if (NodeTaints.ConditionTaints.TryGetValue(condition.Type, out var byStatus) && byStatus.TryGetValue(condition.Status, out var key))
            {
                wanted.Add(new V1Taint { Key = key, Effect = NodeTaints.NoSchedule });
            }
        }

        if (node.Spec?.Unschedulable == true)
        {
            wanted.Add(new V1Taint { Key = NodeTaints.Unschedulable, Effect = NodeTaints.NoSchedule });
        }

        var managed = node.Spec?.Taints?
            .Where(t => t.Effect == NodeTaints.NoSchedule && (t.Key == NodeTaints.Unschedulable || NodeTaints.ConditionTaintKeys.Contains(t.Key)))
            .ToList() ?? [];
        var add = wanted.Where(w => !managed.Any(m => NodeTaints.Matches(m, w))).ToList();
        var remove = managed.Where(m => !wanted.Any(w => NodeTaints.Matches(m, w))).ToList();
        if (add.Count == 0 && remove.Count == 0)
        {
            return;
        }

        if (!await SwapTaintsAsync(node, add, remove, cancellationToken).ConfigureAwait(false))
        {
            throw new InvalidOperationException($"could not swap the NoSchedule taints of node {name}");
        }
    }

    private async Task ReconcileNodeLabelsAsync(string name, CancellationToken cancellationToken)
    {
        var labels = _nodes.Get(name)?.Metadata.Labels;
        if (labels is null)
        {
            return;
        }

        var update = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (primary, secondary) in LabelsToReconcile)
        {
            if (labels.TryGetValue(primary, out var value) && (!labels.TryGetValue(secondary, out var current) || current != value))
            {
                update[secondary] = value;
            }
        }

        if (update.Count > 0 && await _api.PatchNodeLabelsAsync(name, update, cancellationToken).ConfigureAwait(false) is not (WriteOutcome.Done or WriteOutcome.NotFound) and var outcome)
        {
            throw new InvalidOperationException($"could not reconcile the labels of node {name}: {outcome}");
        }
    }

    /// <summary>
    /// Upstream's SwapNodeControllerTaint: adds <paramref name="add"/> (stamped with timeAdded now) and removes
    /// <paramref name="remove"/> in one write. The first attempt works from the cached node; a lost race reads the node
    /// again. True when the node has the wanted taints (or is gone); false, logged, when the write kept failing.
    /// </summary>
    internal async Task<bool> SwapTaintsAsync(V1Node cached, IReadOnlyList<V1Taint> add, IReadOnlyList<V1Taint> remove, CancellationToken cancellationToken)
    {
        var stamp = Common.MetaTime.Now(Time);
        var stamped = add.Select(t => new V1Taint { Key = t.Key, Value = t.Value, Effect = t.Effect, TimeAdded = stamp }).ToList();
        var node = cached;
        try
        {
            for (var attempt = 0; attempt < UpdateTaintAttempts; attempt++)
            {
                if (attempt > 0)
                {
                    node = await _api.GetNodeAsync(cached.Metadata.Name, cancellationToken).ConfigureAwait(false);
                    if (node is null)
                    {
                        return true;
                    }
                }

                var taints = NodeTaints.Apply(node.Spec?.Taints, stamped, remove);
                if (taints is null)
                {
                    return true;
                }

                switch (await _api.SetNodeTaintsAsync(node.Metadata.Name, node.Metadata.ResourceVersion, taints, cancellationToken).ConfigureAwait(false))
                {
                    case WriteOutcome.Done:
                    case WriteOutcome.NotFound:
                        return true;
                }
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.TaintFailed(Logger, cached.Metadata.Name, e);
            return false;
        }

        Log.TaintFailed(Logger, cached.Metadata.Name, null);
        return false;
    }
}
