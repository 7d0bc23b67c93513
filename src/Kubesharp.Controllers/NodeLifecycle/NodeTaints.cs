using k8s.Models;

namespace Kubesharp.Controllers.NodeLifecycle;

/// <summary>
/// The taints the node lifecycle controller manages and the set operations upstream's <c>pkg/util/taints</c>
/// does on them. A taint is identified by key and effect (upstream's <c>MatchTaint</c>); the value and
/// <c>timeAdded</c> are its content.
/// </summary>
internal static class NodeTaints
{
    public const string NotReady = "node.kubernetes.io/not-ready";
    public const string Unreachable = "node.kubernetes.io/unreachable";
    public const string Unschedulable = "node.kubernetes.io/unschedulable";
    public const string MemoryPressure = "node.kubernetes.io/memory-pressure";
    public const string DiskPressure = "node.kubernetes.io/disk-pressure";
    public const string NetworkUnavailable = "node.kubernetes.io/network-unavailable";
    public const string PidPressure = "node.kubernetes.io/pid-pressure";

    public const string NoExecute = "NoExecute";
    public const string NoSchedule = "NoSchedule";

    /// <summary>
    /// Upstream's nodeConditionToTaintKeyStatusMap: which condition, in which status, means which taint.
    /// NetworkUnavailable is tainted but never set Unknown by the controller (it is managed by the network's owner).
    /// </summary>
    public static readonly IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> ConditionTaints =
        new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal)
        {
            [NodeConditions.Ready] = new Dictionary<string, string>(StringComparer.Ordinal) { ["False"] = NotReady, ["Unknown"] = Unreachable },
            [NodeConditions.MemoryPressure] = new Dictionary<string, string>(StringComparer.Ordinal) { ["True"] = MemoryPressure },
            [NodeConditions.DiskPressure] = new Dictionary<string, string>(StringComparer.Ordinal) { ["True"] = DiskPressure },
            [NodeConditions.NetworkUnavailable] = new Dictionary<string, string>(StringComparer.Ordinal) { ["True"] = NetworkUnavailable },
            [NodeConditions.PidPressure] = new Dictionary<string, string>(StringComparer.Ordinal) { ["True"] = PidPressure },
        };

    /// <summary>Upstream's taintKeyToNodeConditionMap, as the set of keys that come from a condition.</summary>
    public static readonly IReadOnlySet<string> ConditionTaintKeys = new HashSet<string>(StringComparer.Ordinal)
    {
        NotReady, Unreachable, NetworkUnavailable, MemoryPressure, DiskPressure, PidPressure,
    };

    public static V1Taint UnreachableNoExecute() => new() { Key = Unreachable, Effect = NoExecute };

    public static V1Taint NotReadyNoExecute() => new() { Key = NotReady, Effect = NoExecute };

    public static bool Matches(V1Taint a, V1Taint b) => a.Key == b.Key && a.Effect == b.Effect;

    public static bool Exists(IEnumerable<V1Taint>? taints, V1Taint taint) => taints?.Any(t => Matches(t, taint)) == true;

    public static List<V1Taint> NoExecuteOf(V1Node? node) => [.. node?.Spec?.Taints?.Where(t => t.Effect == NoExecute) ?? []];

    /// <summary>
    /// The node's taints with <paramref name="add"/> added (or replacing one of the same key and effect whose value
    /// differs) and <paramref name="remove"/> taken off; null when nothing changes.
    /// </summary>
    /// <remarks>
    /// Upstream's AddOrUpdateTaint also replaces a taint that differs only by timeAdded; here an equal key, effect and
    /// value keep the taint as it is, so that re-adding never moves the time its NoExecute eviction is counted from.
    /// </remarks>
    public static List<V1Taint>? Apply(IList<V1Taint>? current, IEnumerable<V1Taint> add, IEnumerable<V1Taint> remove)
    {
        var result = new List<V1Taint>(current ?? []);
        var changed = false;
        foreach (var taint in add)
        {
            var at = result.FindIndex(t => Matches(t, taint));
            if (at < 0)
            {
                result.Add(taint);
                changed = true;
            }
            else if ((result[at].Value ?? "") != (taint.Value ?? ""))
            {
                result[at] = taint;
                changed = true;
            }
        }

        foreach (var taint in remove)
        {
            changed |= result.RemoveAll(t => Matches(t, taint)) > 0;
        }

        return changed ? result : null;
    }
}

/// <summary>Node condition types and the lookups upstream's <c>controllerutil.GetNodeCondition</c> does.</summary>
internal static class NodeConditions
{
    public const string Ready = "Ready";
    public const string MemoryPressure = "MemoryPressure";
    public const string DiskPressure = "DiskPressure";
    public const string PidPressure = "PIDPressure";
    public const string NetworkUnavailable = "NetworkUnavailable";

    public static V1NodeCondition? Get(V1Node node, string type) => node.Status?.Conditions?.FirstOrDefault(c => c.Type == type);

    public static V1NodeCondition? Copy(V1NodeCondition? c) => c is null ? null : new V1NodeCondition
    {
        Type = c.Type,
        Status = c.Status,
        Reason = c.Reason,
        Message = c.Message,
        LastHeartbeatTime = c.LastHeartbeatTime,
        LastTransitionTime = c.LastTransitionTime,
    };

    /// <summary>apiequality.Semantic.DeepEqual on two conditions (times compared as instants).</summary>
    public static bool Same(V1NodeCondition? a, V1NodeCondition? b) =>
        a is null ? b is null
        : b is not null && a.Type == b.Type && a.Status == b.Status && (a.Reason ?? "") == (b.Reason ?? "") && (a.Message ?? "") == (b.Message ?? "")
            && Common.MetaTime.Same(a.LastHeartbeatTime, b.LastHeartbeatTime) && Common.MetaTime.Same(a.LastTransitionTime, b.LastTransitionTime);
}

/// <summary>Upstream's <c>component-helpers/node/topology.GetZoneKey</c>: the failure zone a node counts in for disruption.</summary>
internal static class NodeTopology
{
    public const string Zone = "topology.kubernetes.io/zone";
    public const string Region = "topology.kubernetes.io/region";
    public const string BetaZone = "failure-domain.beta.kubernetes.io/zone";
    public const string BetaRegion = "failure-domain.beta.kubernetes.io/region";

    /// <summary>"" for a node without zone or region labels; otherwise <c>region:\0:zone</c> (the beta labels first, as upstream).</summary>
    public static string ZoneKey(V1Node node)
    {
        var labels = node.Metadata?.Labels;
        if (labels is null)
        {
            return "";
        }

        var zone = labels.TryGetValue(BetaZone, out var z) ? z : labels.TryGetValue(Zone, out z) ? z : "";
        var region = labels.TryGetValue(BetaRegion, out var r) ? r : labels.TryGetValue(Region, out r) ? r : "";
        return region.Length == 0 && zone.Length == 0 ? "" : region + ":\0:" + zone;
    }
}
