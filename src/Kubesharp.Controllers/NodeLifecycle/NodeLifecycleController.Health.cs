using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Controllers.Common;
using Kubesharp.Controllers.Dynamic;

namespace Kubesharp.Controllers.NodeLifecycle;

/// <summary>
/// What the controller last observed of a node, with the local times it observed changes at (upstream's
/// nodeHealthData): heartbeats are judged by when this process saw them change, never by the kubelet's clock.
/// </summary>
internal sealed record NodeHealth(DateTimeOffset ProbeTimestamp, DateTimeOffset ReadyTransitionTimestamp, V1NodeCondition? Ready, DateTime? LeaseRenewTime);

public sealed partial class NodeLifecycleController
{
    /// <summary>Upstream's node-role exclusion label: such nodes do not count in their zone's disruption.</summary>
    public const string ExcludeDisruptionLabel = "node.kubernetes.io/exclude-disruption";

    private const int NodeHealthUpdateRetry = 5;

    private static readonly string[] UnknownOnSilence = [NodeConditions.Ready, NodeConditions.MemoryPressure, NodeConditions.DiskPressure, NodeConditions.PidPressure];

    private readonly Lock _healthLock = new();
    private readonly Dictionary<string, NodeHealth> _health = new(StringComparer.Ordinal);
    private readonly Dictionary<string, V1Node> _knownNodes = new(StringComparer.Ordinal);
    private readonly HashSet<string> _nodesToRetry = new(StringComparer.Ordinal);

    internal NodeHealth? HealthOf(string name)
    {
        lock (_healthLock)
        {
            return _health.GetValueOrDefault(name);
        }
    }

    private void SetHealth(string name, NodeHealth health)
    {
        lock (_healthLock)
        {
            _health[name] = health;
        }
    }

    /// <summary>Upstream's monitorNodeHealth: one pass over every node of the cache.</summary>
    internal async Task MonitorNodeHealthAsync(CancellationToken cancellationToken)
    {
        var nodes = _nodes.List();
        var names = nodes.Select(n => n.Metadata.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var node in nodes)
        {
            if (!_knownNodes.ContainsKey(node.Metadata.Name))
            {
                Log.NodeAdded(Logger, node.Metadata.Name);
                RecordNodeEvent(node, "RegisteredNode", $"Registered Node {node.Metadata.Name} in Controller");
                _knownNodes[node.Metadata.Name] = node;
                AddZone(node);
                await MarkNodeAsReachableAsync(node, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                AddZone(node);
            }
        }

        foreach (var (name, gone) in _knownNodes.Where(kv => !names.Contains(kv.Key)).ToList())
        {
            Log.NodeRemoved(Logger, name);
            RecordNodeEvent(gone, "RemovingNode", $"Removing Node {name} from Controller");
            _knownNodes.Remove(name);
            _nodesToRetry.Remove(name);
            lock (_healthLock)
            {
                _health.Remove(name);
            }
        }

        var zoneConditions = new Dictionary<string, List<V1NodeCondition?>>(StringComparer.Ordinal);
        foreach (var cached in nodes)
        {
            var updated = await UpdateNodeHealthWithRetriesAsync(cached, cancellationToken).ConfigureAwait(false);
            if (updated is not var (node, observedReady, currentReady))
            {
                continue;
            }

            if (node.Metadata.Labels?.ContainsKey(ExcludeDisruptionLabel) != true)
            {
                var zone = NodeTopology.ZoneKey(node);
                if (!zoneConditions.TryGetValue(zone, out var list))
                {
                    zoneConditions[zone] = list = [];
                }

                list.Add(currentReady);
            }

            if (currentReady is null)
            {
                _nodesToRetry.Remove(node.Metadata.Name);
                continue;
            }

            await ProcessTaintBaseEvictionAsync(node, observedReady, cancellationToken).ConfigureAwait(false);
            var turnedNotReady = currentReady.Status != "True" && observedReady.Status == "True";
            var retry = _nodesToRetry.Contains(node.Metadata.Name) && observedReady.Status != "True";
            if (turnedNotReady)
            {
                // Reported once, when the change is seen.
                RecordNodeStatusChange(node, "NodeNotReady");
            }

            if (turnedNotReady || retry)
            {
                try
                {
                    await MarkPodsNotReadyAsync(PodsOn(node.Metadata.Name), node.Metadata.Name, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    Log.MarkPodsFailed(Logger, node.Metadata.Name, e);
                    _nodesToRetry.Add(node.Metadata.Name);
                    continue;
                }
            }

            _nodesToRetry.Remove(node.Metadata.Name);
        }

        await HandleDisruptionAsync(zoneConditions, nodes, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// <see cref="TryUpdateNodeHealthAsync"/>, retried with a fresh read of the node when the status write loses a
    /// race; null when the node is gone or could not be updated (the node is skipped this pass, as upstream).
    /// </summary>
    private async Task<(V1Node Node, V1NodeCondition ObservedReady, V1NodeCondition? CurrentReady)?> UpdateNodeHealthWithRetriesAsync(V1Node cached, CancellationToken cancellationToken)
    {
        var node = Copy(cached);
        for (var attempt = 0; attempt < NodeHealthUpdateRetry; attempt++)
        {
            try
            {
                var (outcome, observed, current) = await TryUpdateNodeHealthAsync(node, cancellationToken).ConfigureAwait(false);
                if (outcome == WriteOutcome.Done)
                {
                    return (node, observed, current);
                }

                if (outcome == WriteOutcome.NotFound)
                {
                    return null;
                }

                var fresh = await _api.GetNodeAsync(cached.Metadata.Name, cancellationToken).ConfigureAwait(false);
                if (fresh is null)
                {
                    return null;
                }

                node = fresh;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.HealthUpdateFailed(Logger, cached.Metadata.Name, e);
                return null;
            }
        }

        Log.HealthUpdateFailed(Logger, cached.Metadata.Name, null);
        return null;
    }

    /// <summary>
    /// Upstream's tryUpdateNodeHealth on <paramref name="node"/> (a private copy, changed in place): brings the
    /// node's health record up to date with what is observed now, and when the last heartbeat is older than the
    /// grace period, sets the node's conditions Unknown through <c>nodes/status</c>. Returns the write's outcome
    /// (Done when nothing needed writing), the Ready condition as observed and as it is now.
    /// </summary>
    private async Task<(WriteOutcome Outcome, V1NodeCondition ObservedReady, V1NodeCondition? CurrentReady)> TryUpdateNodeHealthAsync(V1Node node, CancellationToken cancellationToken)
    {
        var name = node.Metadata.Name;
        var now = Time.GetUtcNow();
        var created = node.Metadata.CreationTimestamp is { } c ? MetaTime.Utc(c) : now;
        var health = HealthOf(name);
        var currentReady = NodeConditions.Get(node, NodeConditions.Ready);
        V1NodeCondition observedReady;
        TimeSpan gracePeriod;
        if (currentReady is null)
        {
            // Never posted: judged from the node's creation, with the longer startup grace period.
            observedReady = new V1NodeCondition
            {
                Type = NodeConditions.Ready,
                Status = "Unknown",
                LastHeartbeatTime = node.Metadata.CreationTimestamp,
                LastTransitionTime = node.Metadata.CreationTimestamp,
            };
            gracePeriod = _options.NodeStartupGracePeriod;
            health = health is null ? new NodeHealth(created, created, null, null) : health with { Ready = null };
        }
        else
        {
            observedReady = NodeConditions.Copy(currentReady)!;
            gracePeriod = _options.NodeMonitorGracePeriod;
        }

        var savedReady = health?.Ready;
        var savedLease = health?.LeaseRenewTime;
        if (health is null)
        {
            health = new NodeHealth(now, now, NodeConditions.Copy(currentReady), null);
        }
        else if (savedReady is null && currentReady is not null)
        {
            health = new NodeHealth(now, now, NodeConditions.Copy(currentReady), health.LeaseRenewTime);
        }
        else if (savedReady is not null && currentReady is null)
        {
            health = new NodeHealth(now, now, null, health.LeaseRenewTime);
        }
        else if (savedReady is not null && currentReady is not null && !MetaTime.Same(savedReady.LastHeartbeatTime, currentReady.LastHeartbeatTime))
        {
            // A new heartbeat in the status; a changed transition time means the Ready condition changed meanwhile.
            var transition = MetaTime.Same(savedReady.LastTransitionTime, currentReady.LastTransitionTime) ? health.ReadyTransitionTimestamp : now;
            health = new NodeHealth(now, transition, NodeConditions.Copy(currentReady), health.LeaseRenewTime);
        }

        // A renewed Lease is a heartbeat too (a kubelet that renews its Lease but never posts status counts as healthy).
        var lease = _leases.Get(ObjectKeys.For(NodeLeaseNamespace, name));
        if (lease?.Spec?.RenewTime is { } renewed && (savedLease is null || MetaTime.Utc(savedLease.Value) < MetaTime.Utc(renewed)))
        {
            health = health with { LeaseRenewTime = renewed, ProbeTimestamp = now };
        }

        try
        {
            if (now <= health.ProbeTimestamp + gracePeriod)
            {
                return (WriteOutcome.Done, observedReady, currentReady);
            }

            Log.NodeUnresponsive(Logger, name, now - health.ProbeTimestamp);
            var stamp = MetaTime.Now(Time);
            node.Status ??= new V1NodeStatus();
            node.Status.Conditions ??= [];
            foreach (var type in UnknownOnSilence)
            {
                var condition = NodeConditions.Get(node, type);
                if (condition is null)
                {
                    node.Status.Conditions.Add(new V1NodeCondition
                    {
                        Type = type,
                        Status = "Unknown",
                        Reason = "NodeStatusNeverUpdated",
                        Message = "Kubelet never posted node status.",
                        LastHeartbeatTime = node.Metadata.CreationTimestamp,
                        LastTransitionTime = stamp,
                    });
                }
                else if (condition.Status != "Unknown")
                {
                    condition.Status = "Unknown";
                    condition.Reason = "NodeStatusUnknown";
                    condition.Message = "Kubelet stopped posting node status.";
                    condition.LastTransitionTime = stamp;
                }
            }

            currentReady = NodeConditions.Get(node, NodeConditions.Ready);
            if (NodeConditions.Same(currentReady, observedReady))
            {
                return (WriteOutcome.Done, observedReady, currentReady);
            }

            var outcome = await _api.UpdateNodeStatusAsync(node, cancellationToken).ConfigureAwait(false);
            if (outcome == WriteOutcome.Done)
            {
                health = new NodeHealth(health.ProbeTimestamp, now, NodeConditions.Copy(currentReady), health.LeaseRenewTime);
            }

            return (outcome, observedReady, currentReady);
        }
        finally
        {
            // As upstream's deferred set: what was observed is kept even when the write fails.
            SetHealth(name, health);
        }
    }
}
