using System.Globalization;
using k8s.Models;

namespace Kubesharp.Bench.Scheduler;

internal enum WorkloadKind
{
    Basic,
    Spread,
    AntiAffinity,
}

/// <summary>
/// One scheduler_perf-like workload: <see cref="Nodes"/> nodes, <see cref="InitialPods"/> pods created before the
/// scheduler starts (and bound before the measurement), then <see cref="MeasuredPods"/> created while it runs.
/// Pods are named <c>i-NNNNN</c> (initial) and <c>m-NNNNN</c> (measured).
/// </summary>
internal sealed record Workload(string Name, WorkloadKind Kind, int Nodes, int InitialPods, int MeasuredPods)
{
    public const string InitialPrefix = "i-";
    public const string MeasuredPrefix = "m-";

    /// <summary>upstream's TopologySpreading workload labels its nodes over three zones.</summary>
    public static readonly string[] Zones = ["moon-1", "moon-2", "moon-3"];

    /// <summary>
    /// Anti-affinity pods per group: half the nodes, so that every pod of a group always has half the nodes free of
    /// its group, and a node holds at most one pod per group (11,000 pods on 1,000 nodes: 22 groups, at most 22 pods
    /// per node, under the <see cref="Templates.PodsPerNode"/> that fit).
    /// </summary>
    public int GroupSize => Math.Max(1, Nodes / 2);

    public static string InitialName(int i) => InitialPrefix + i.ToString("D5", CultureInfo.InvariantCulture);

    public static string MeasuredName(int i) => MeasuredPrefix + i.ToString("D5", CultureInfo.InvariantCulture);

    public string? Zone(int node) => Kind == WorkloadKind.Spread ? Zones[node % Zones.Length] : null;

    /// <summary>As upstream: the spread workload's initial pods are default pods; the anti-affinity workload's repel their groups too.</summary>
    public V1Pod Initial(int i) => Kind switch
    {
        WorkloadKind.AntiAffinity => Templates.AntiAffinityPod(InitialName(i), i / GroupSize),
        _ => Templates.Pod(InitialName(i)),
    };

    public V1Pod Measured(int i) => Kind switch
    {
        WorkloadKind.Spread => Templates.SpreadPod(MeasuredName(i)),
        WorkloadKind.AntiAffinity => Templates.AntiAffinityPod(MeasuredName(i), (InitialPods + i) / GroupSize),
        _ => Templates.Pod(MeasuredName(i)),
    };

    public string Describe() => Kind switch
    {
        WorkloadKind.Spread => $"{Nodes} nodes over zones {string.Join(", ", Zones)}; {InitialPods} default pods, then {MeasuredPods} color=blue pods with a {Templates.ZoneLabel} DoNotSchedule constraint of maxSkew {Templates.MaxSkew}",
        WorkloadKind.AntiAffinity => $"{Nodes} nodes; {InitialPods} + {MeasuredPods} pods with required anti-affinity on {Templates.HostnameLabel} against their own group ({GroupSize} pods per group)",
        _ => $"{Nodes} nodes; {InitialPods} initial pods, then {MeasuredPods} measured (100m / 500Mi each)",
    };
}
