using k8s.Models;

namespace Kubesharp.Controllers.NodeLifecycle;

/// <summary>A zone's health as upstream's controller classifies it.</summary>
public enum ZoneState
{
    Initial,
    Normal,
    PartialDisruption,
    FullDisruption,
}

public sealed partial class NodeLifecycleController
{
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
