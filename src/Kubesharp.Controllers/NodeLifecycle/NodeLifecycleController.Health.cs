using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Controllers.Common;
using Kubesharp.Controllers.Dynamic;

namespace Kubesharp.Controllers.NodeLifecycle;

/// <summary>A zone's health as upstream's controller classifies it.</summary>
public enum ZoneState
{
    Initial,
    Normal,
    PartialDisruption,
    FullDisruption,
}

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
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.HealthUpdateFailed(Logger, cached.Metadata.Name, e);
                return null;
            }

            var fresh = await _api.GetNodeAsync(cached.Metadata.Name, cancellationToken).ConfigureAwait(false);
            if (fresh is null)
            {
                return null;
            }

            node = fresh;
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

    /// <summary>Upstream's ComputeZoneState: no ready node is a full disruption; at least three not ready and the threshold share a partial one.</summary>
    internal (int NotReady, ZoneState State) ComputeZoneState(IReadOnlyList<V1NodeCondition?> readyConditions)
    {
        var ready = readyConditions.Count(c => c?.Status == "True");
        var notReady = readyConditions.Count - ready;
        if (ready == 0 && notReady > 0)
        {
            return (notReady, ZoneState.FullDisruption);
        }

        if (notReady > 2 && (double)notReady / (notReady + ready) >= _options.UnhealthyZoneThreshold)
        {
            return (notReady, ZoneState.PartialDisruption);
        }

        return (notReady, ZoneState.Normal);
    }

    /// <summary>
    /// Upstream's handleDisruption: each zone's tainting rate follows its state; when every zone is fully disrupted
    /// the problem is taken to be the control plane's (or the network's), not the nodes': taints are removed and
    /// tainting stops until some node is ready again, when every node's heartbeat clock restarts.
    /// </summary>
    private async Task HandleDisruptionAsync(Dictionary<string, List<V1NodeCondition?>> zoneConditions, IReadOnlyList<V1Node> nodes, CancellationToken cancellationToken)
    {
        var newStates = new Dictionary<string, ZoneState>(StringComparer.Ordinal);
        var allAreFullyDisrupted = true;
        lock (_evictorLock)
        {
            foreach (var (zone, conditions) in zoneConditions)
            {
                var (_, state) = ComputeZoneState(conditions);
                allAreFullyDisrupted &= state == ZoneState.FullDisruption;
                newStates[zone] = state;
                _zoneStates.TryAdd(zone, ZoneState.Initial);
            }
        }

        var allWereFullyDisrupted = true;
        lock (_evictorLock)
        {
            foreach (var (zone, state) in _zoneStates.ToList())
            {
                if (!zoneConditions.ContainsKey(zone))
                {
                    _zoneStates.Remove(zone);
                    continue;
                }

                if (state != ZoneState.FullDisruption)
                {
                    allWereFullyDisrupted = false;
                    break;
                }
            }
        }

        if (allAreFullyDisrupted && allWereFullyDisrupted)
        {
            return;
        }

        if (allAreFullyDisrupted)
        {
            Log.EnteringFullDisruption(Logger);
            foreach (var node in nodes)
            {
                await MarkNodeAsReachableAsync(node, cancellationToken).ConfigureAwait(false);
            }

            lock (_evictorLock)
            {
                foreach (var zone in _zoneStates.Keys.ToList())
                {
                    _zoneTainters[zone].SwapLimiter(0);
                    _zoneStates[zone] = ZoneState.FullDisruption;
                }
            }

            return;
        }

        if (allWereFullyDisrupted)
        {
            Log.LeavingFullDisruption(Logger);
            var now = Time.GetUtcNow();
            foreach (var node in nodes)
            {
                if (HealthOf(node.Metadata.Name) is { } health)
                {
                    SetHealth(node.Metadata.Name, health with { ProbeTimestamp = now, ReadyTransitionTimestamp = now });
                }
            }

            lock (_evictorLock)
            {
                foreach (var zone in _zoneStates.Keys.ToList())
                {
                    SetLimiterInZone(zone, zoneConditions[zone].Count, newStates[zone]);
                    _zoneStates[zone] = newStates[zone];
                }
            }

            return;
        }

        lock (_evictorLock)
        {
            foreach (var (zone, state) in _zoneStates.ToList())
            {
                var next = newStates[zone];
                if (state == next)
                {
                    continue;
                }

                Log.ZoneStateChanged(Logger, zone, next);
                SetLimiterInZone(zone, zoneConditions[zone].Count, next);
                _zoneStates[zone] = next;
            }
        }
    }

    private void SetLimiterInZone(string zone, int zoneSize, ZoneState state)
    {
        switch (state)
        {
            case ZoneState.Normal:
                _zoneTainters[zone].SwapLimiter(_options.NodeEvictionRate);
                break;
            case ZoneState.PartialDisruption:
                // Upstream's ReducedQPSFunc: large zones keep going slowly, small ones stop.
                _zoneTainters[zone].SwapLimiter(zoneSize > _options.LargeClusterSizeThreshold ? _options.SecondaryNodeEvictionRate : 0);
                break;
            case ZoneState.FullDisruption:
                // Upstream's HealthyQPSFunc: a zone down alone (others healthy) is the zone's problem; evict at the normal rate.
                _zoneTainters[zone].SwapLimiter(_options.NodeEvictionRate);
                break;
        }
    }

    /// <summary>Zone states as of the last pass, for tests and diagnostics.</summary>
    internal IReadOnlyDictionary<string, ZoneState> ZoneStates
    {
        get
        {
            lock (_evictorLock)
            {
                return new Dictionary<string, ZoneState>(_zoneStates, StringComparer.Ordinal);
            }
        }
    }
}
