using k8s.Models;
using Kubesharp.Api.Errors;
using Kubesharp.Api.Selectors;
using Kubesharp.Scheduler.Framework;

namespace Kubesharp.Scheduler.Plugins.PodTopologySpread;

/// <summary>
/// Upstream's PodTopologySpread: a pod's <c>topologySpreadConstraints</c> (or the cluster's default constraints when it
/// has none) bound how unevenly the pods its selector matches may be spread over the values of a node label.
/// <c>DoNotSchedule</c> constraints filter (PreFilter counts the matching pods per domain once; Filter compares one
/// node's domain with the global minimum), <c>ScheduleAnyway</c> ones score (fewer matching pods in the node's domains
/// score higher).
/// </summary>
/// <remarks>
/// Thread safety: Filter and Score only read the state their PreFilter and PreScore wrote, and may run in parallel.
/// <see cref="AddPod"/> and <see cref="RemovePod"/> change a cycle's filter state and must not run beside its Filter
/// (preemption works on a copy: <see cref="CloneState"/>).
/// </remarks>
public sealed partial class PodTopologySpread : IPreFilterExtensions, IFilterPlugin, IPreScorePlugin, IScorePlugin
{
    public const string PluginName = "PodTopologySpread";
    public const string ReasonConstraintsNotMatch = "node(s) didn't match pod topology spread constraints";
    public const string ReasonNodeLabelNotMatch = ReasonConstraintsNotMatch + " (missing required label)";

    public const string DoNotSchedule = "DoNotSchedule";
    public const string ScheduleAnyway = "ScheduleAnyway";

    public const string LabelHostname = "kubernetes.io/hostname";
    public const string LabelTopologyZone = "topology.kubernetes.io/zone";

    // The nodes of the snapshot, kept from PreFilter (which is handed all of them) for PreScore, which counts pods on
    // every node but is handed only the feasible ones. Upstream reads them from its snapshot lister instead.
    private const string AllNodesKey = "AllNodes" + PluginName;

    private readonly IObjectLister _objects;
    private readonly IReadOnlyList<V1TopologySpreadConstraint> _defaultConstraints;
    private readonly bool _systemDefaulted;

    /// <exception cref="ArgumentException">The args are invalid (the messages of <see cref="PodTopologySpreadArgs.Validate"/>).</exception>
    public PodTopologySpread(PluginHandle handle, PodTopologySpreadArgs? args = null)
    {
        args ??= new PodTopologySpreadArgs();
        var errors = args.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException($"invalid {PluginName} args: {string.Join("; ", errors)}", nameof(args));
        }

        _objects = handle.Objects;
        _systemDefaulted = args.EffectiveDefaultingType == PodTopologySpreadArgs.SystemDefaulting;
        _defaultConstraints = _systemDefaulted ? SystemDefaultConstraints : args.DefaultConstraints;
        if (_defaultConstraints.Count > 0)
        {
            _objects.Require<V1Service>();
            _objects.Require<V1ReplicationController>();
            _objects.Require<V1ReplicaSet>();
            _objects.Require<V1StatefulSet>();
        }
    }

    /// <summary>Upstream's system defaults: at most 3 more matching pods on one host, 5 in one zone, both as preferences.</summary>
    public static IReadOnlyList<V1TopologySpreadConstraint> SystemDefaultConstraints { get; } =
    [
        new() { TopologyKey = LabelHostname, WhenUnsatisfiable = ScheduleAnyway, MaxSkew = 3 },
        new() { TopologyKey = LabelTopologyZone, WhenUnsatisfiable = ScheduleAnyway, MaxSkew = 5 },
    ];

    public string Name => PluginName;

    /// <summary>
    /// The pod's constraints with <paramref name="action"/> (upstream's <c>getConstraints</c> and
    /// <c>buildDefaultConstraints</c>): its own when it has any, else the defaults with the selector deduced from the
    /// Services and controller that select it (none when nothing does).
    /// </summary>
    /// <exception cref="StatusException">A selector is invalid.</exception>
    internal SpreadConstraint[] Constraints(V1Pod pod, string action)
    {
        var own = pod.Spec?.TopologySpreadConstraints;
        if (own is { Count: > 0 })
        {
            return Resolve(own, SpreadSelectors.LabelsOf(pod.Metadata), action, null);
        }

        if (!_defaultConstraints.Any(c => c.WhenUnsatisfiable == action))
        {
            return [];
        }

        var selector = SpreadSelectors.Default(pod, _objects);
        return selector.IsEmpty ? [] : Resolve(_defaultConstraints, SpreadSelectors.LabelsOf(pod.Metadata), action, selector);
    }

    /// <summary>Pods of <paramref name="ns"/> that are not terminating and that <paramref name="selector"/> matches (upstream's <c>countPodsMatchSelector</c>).</summary>
    internal static int CountMatching(ReadOnlySpan<PodInfo> pods, LabelSelector selector, string? ns)
    {
        var count = 0;
        foreach (var info in pods)
        {
            var meta = info.Pod.Metadata;
            // Terminating pods are about to go: upstream leaves them out (kubernetes#87621).
            if (meta.DeletionTimestamp is null && meta.NamespaceProperty == ns && selector.Matches(SpreadSelectors.LabelsOf(meta)))
            {
                count++;
            }
        }

        return count;
    }

    private static SpreadConstraint[] Resolve(IEnumerable<V1TopologySpreadConstraint> constraints, IReadOnlyDictionary<string, string> podLabels, string action, LabelSelector? selector)
    {
        var result = new List<SpreadConstraint>();
        foreach (var c in constraints)
        {
            if (c.WhenUnsatisfiable != action)
            {
                continue;
            }

            result.Add(new SpreadConstraint(
                c.MaxSkew,
                c.TopologyKey,
                selector ?? SpreadSelectors.ForConstraint(c, podLabels),
                c.MinDomains ?? 1,
                HonorNodeAffinity: c.NodeAffinityPolicy is null or SpreadConstraint.Honor,
                HonorNodeTaints: c.NodeTaintsPolicy is SpreadConstraint.Honor));
        }

        return [.. result];
    }
}
