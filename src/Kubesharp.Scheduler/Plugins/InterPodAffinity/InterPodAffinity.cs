using k8s.Models;
using Kubesharp.Scheduler.Framework;

namespace Kubesharp.Scheduler.Plugins.InterPodAffinity;

/// <summary>
/// Upstream's InterPodAffinity: the pod's required pod affinity must find matching pods in the node's topology
/// domain, its required anti-affinity must find none there, and no pod already placed may have required
/// anti-affinity that the pod would break on the node (symmetry). Preferred terms of the pod and of existing pods,
/// and existing pods' required affinity (at <see cref="InterPodAffinityArgs.HardPodAffinityWeight"/>), score the
/// nodes.
/// </summary>
/// <remarks>
/// PreFilter walks every node of the snapshot once and counts matches per topology domain, so Filter is a few
/// dictionary look-ups per term and allocates nothing. Namespace selectors read namespaces from the handle's
/// listers. Thread-safe: Filter and Score only read what PreFilter and PreScore wrote into the cycle state.
/// </remarks>
public sealed partial class InterPodAffinity : IPreFilterExtensions, IFilterPlugin, IPreScorePlugin, IScorePlugin
{
    public const string PluginName = "InterPodAffinity";
    public const string ReasonAffinityRulesNotMatch = "node(s) didn't match pod affinity rules";
    public const string ReasonAntiAffinityRulesNotMatch = "node(s) didn't match pod anti-affinity rules";
    public const string ReasonExistingAntiAffinityRulesNotMatch = "node(s) didn't satisfy existing pods anti-affinity rules";

    private const string PreFilterStateKey = "PreFilter" + PluginName;
    private const string AllNodesKey = "AllNodes" + PluginName;

    // Upstream: affinity cannot be fixed by preempting pods, anti-affinity (of either side) can.
    private static readonly Status RejectedAffinity = Status.Unresolvable(PluginName, ReasonAffinityRulesNotMatch);
    private static readonly Status RejectedAntiAffinity = Status.Unschedulable(PluginName, ReasonAntiAffinityRulesNotMatch);
    private static readonly Status RejectedExistingAntiAffinity = Status.Unschedulable(PluginName, ReasonExistingAntiAffinityRulesNotMatch);
    private static readonly IReadOnlyDictionary<string, string> NoLabels = new Dictionary<string, string>();

    private readonly PluginHandle _handle;
    private readonly InterPodAffinityArgs _args;

    /// <exception cref="ArgumentException">The args are invalid (<see cref="InterPodAffinityArgs.Validate"/>).</exception>
    public InterPodAffinity(PluginHandle handle, InterPodAffinityArgs? args = null)
    {
        _args = args ?? new InterPodAffinityArgs();
        if (_args.Validate() is { Count: > 0 } errors)
        {
            throw new ArgumentException(string.Join(", ", errors), nameof(args));
        }

        _handle = handle;
        handle.Objects.Require<V1Namespace>();
    }

    public string Name => PluginName;

    public InterPodAffinityArgs Args => _args;

    public (Status Status, IReadOnlySet<string>? Nodes) PreFilter(CycleState state, PodInfo pod, IReadOnlyList<NodeInfo> nodes)
    {
        // PreScore needs every node, not only the feasible ones it is given (upstream reads them from the snapshot).
        state.Write(AllNodesKey, nodes);

        var terms = PodAffinityTerms.Of(pod);
        if (terms.Error is not null)
        {
            return (Status.Unresolvable(PluginName, $"parsing pod: {terms.Error}"), null);
        }

        var s = new PreFilterState(
            pod.Pod,
            NamespaceLabels(pod.Pod),
            WithSelectedNamespaces(terms.RequiredAffinity),
            WithSelectedNamespaces(terms.RequiredAntiAffinity));

        foreach (var node in nodes)
        {
            if (node.PodsWithRequiredAntiAffinity == 0 || node.Node is null)
            {
                continue;
            }

            foreach (var existing in node.PodSpan)
            {
                if (existing.HasRequiredAntiAffinity)
                {
                    s.CountExistingAntiAffinity(PodAffinityTerms.Of(existing).RequiredAntiAffinity, node.Node, 1);
                }
            }
        }

        if (s.RequiredAffinity.Length > 0 || s.RequiredAntiAffinity.Length > 0)
        {
            foreach (var node in nodes)
            {
                if (node.Node is null)
                {
                    continue;
                }

                foreach (var existing in node.PodSpan)
                {
                    s.CountIncoming(existing.Pod, node.Node, 1);
                }
            }
        }

        if (s.ExistingAntiAffinity.Count == 0 && s.RequiredAffinity.Length == 0 && s.RequiredAntiAffinity.Length == 0)
        {
            return (Status.Skip, null);
        }

        state.Write(PreFilterStateKey, s);
        return (Status.Success, null);
    }

    public Status Filter(CycleState state, PodInfo pod, NodeInfo node)
    {
        if (node.Node is null)
        {
            return Status.Error(PluginName, "node not found");
        }

        var s = state.Read<PreFilterState>(PreFilterStateKey);
        if (s is null)
        {
            return Status.Error(PluginName, $"reading \"{PreFilterStateKey}\" from cycleState: not found");
        }

        var labels = node.Node.Metadata.Labels;
        if (!s.SatisfiesAffinity(labels))
        {
            return RejectedAffinity;
        }

        if (!s.SatisfiesAntiAffinity(labels))
        {
            return RejectedAntiAffinity;
        }

        return s.ExistingAntiAffinity.AnyOn(labels) ? RejectedExistingAntiAffinity : Status.Success;
    }

    /// <summary>
    /// Upstream's PreFilterExtensions.AddPod (for preemption): counts <paramref name="added"/> on
    /// <paramref name="node"/> as if it ran there. Mutates the cycle's PreFilter state: not concurrently with Filter;
    /// preemption works on a copy (<see cref="ClonePreFilterState"/>). Nothing to do when PreFilter said Skip.
    /// </summary>
    internal static Status AddPod(CycleState state, PodInfo added, NodeInfo node) => UpdateWithPod(state, added, node, 1);

    /// <summary>Upstream's PreFilterExtensions.RemovePod: the inverse of <see cref="AddPod"/>.</summary>
    internal static Status RemovePod(CycleState state, PodInfo removed, NodeInfo node) => UpdateWithPod(state, removed, node, -1);

    Status IPreFilterExtensions.AddPod(CycleState state, PodInfo podToSchedule, PodInfo podToAdd, NodeInfo node) => AddPod(state, podToAdd, node);

    Status IPreFilterExtensions.RemovePod(CycleState state, PodInfo podToSchedule, PodInfo podToRemove, NodeInfo node) => RemovePod(state, podToRemove, node);

    /// <summary>Copies this plugin's PreFilter state from one cycle state into another (upstream's CycleState.Clone for this plugin).</summary>
    internal static void ClonePreFilterState(CycleState from, CycleState to)
    {
        if (from.Read<PreFilterState>(PreFilterStateKey) is { } s)
        {
            to.Write(PreFilterStateKey, s.Clone());
        }
    }

    private static Status UpdateWithPod(CycleState state, PodInfo pod, NodeInfo node, long sign)
    {
        if (node.Node is null)
        {
            return Status.Error(PluginName, "node not found");
        }

        var s = state.Read<PreFilterState>(PreFilterStateKey);
        if (s is null)
        {
            // PreFilter said Skip: this pod's Filter does not run, whatever is added.
            return Status.Success;
        }

        s.CountExistingAntiAffinity(PodAffinityTerms.Of(pod).RequiredAntiAffinity, node.Node, sign);
        s.CountIncoming(pod.Pod, node.Node, sign);
        return Status.Success;
    }

    private IReadOnlyDictionary<string, string> NamespaceLabels(V1Pod pod) =>
        _handle.Objects.Get<V1Namespace>(null, pod.Metadata.NamespaceProperty ?? "") is { } ns ? PodAffinityTerms.LabelsOf(ns.Metadata.Labels) : NoLabels;

    private AffinityTerm[] WithSelectedNamespaces(AffinityTerm[] terms)
    {
        if (terms.Length == 0 || terms.All(t => t.NamespaceSelector.IsEmpty))
        {
            return terms;
        }

        var namespaces = _handle.Objects.List<V1Namespace>();
        return [.. terms.Select(t => t.WithSelectedNamespaces(namespaces))];
    }

    /// <summary>What PreFilter computed for one pod (upstream's preFilterState).</summary>
    private sealed class PreFilterState : IStateData
    {
        public PreFilterState(V1Pod pod, IReadOnlyDictionary<string, string> namespaceLabels, AffinityTerm[] requiredAffinity, AffinityTerm[] requiredAntiAffinity)
        {
            Pod = pod;
            NamespaceLabels = namespaceLabels;
            RequiredAffinity = requiredAffinity;
            RequiredAntiAffinity = requiredAntiAffinity;
            MatchesOwnAffinity = MatchesAll(requiredAffinity, pod);
        }

        public V1Pod Pod { get; }

        /// <summary>The labels of the pod's namespace, which existing pods' namespace selectors are matched against.</summary>
        public IReadOnlyDictionary<string, string> NamespaceLabels { get; }

        public AffinityTerm[] RequiredAffinity { get; }

        public AffinityTerm[] RequiredAntiAffinity { get; }

        /// <summary>The pod matches all its own affinity terms (it may be the first of its group).</summary>
        public bool MatchesOwnAffinity { get; }

        /// <summary>Per domain, how many existing pods have a required anti-affinity term that the pod matches.</summary>
        public TopologyCounts ExistingAntiAffinity { get; private init; } = new();

        /// <summary>Per domain, how many existing pods match all the pod's required affinity terms (counted once per term).</summary>
        public TopologyCounts Affinity { get; private init; } = new();

        /// <summary>Per domain, how many existing pods match each of the pod's required anti-affinity terms.</summary>
        public TopologyCounts AntiAffinity { get; private init; } = new();

        public void CountExistingAntiAffinity(AffinityTerm[] existingTerms, V1Node node, long sign)
        {
            foreach (var term in existingTerms)
            {
                if (term.Matches(Pod, NamespaceLabels))
                {
                    ExistingAntiAffinity.Add(node.Metadata.Labels, term.TopologyKey, sign);
                }
            }
        }

        /// <summary>Counts an existing pod against the incoming pod's own required terms.</summary>
        public void CountIncoming(V1Pod existing, V1Node node, long sign)
        {
            if (MatchesAll(RequiredAffinity, existing))
            {
                foreach (var term in RequiredAffinity)
                {
                    Affinity.Add(node.Metadata.Labels, term.TopologyKey, sign);
                }
            }

            foreach (var term in RequiredAntiAffinity)
            {
                // The incoming pod's namespace selectors were turned into namespace names: no labels are needed.
                if (term.Matches(existing, NoLabels))
                {
                    AntiAffinity.Add(node.Metadata.Labels, term.TopologyKey, sign);
                }
            }
        }

        public bool SatisfiesAffinity(IDictionary<string, string>? labels)
        {
            var podsExist = true;
            foreach (var term in RequiredAffinity)
            {
                if (labels is null || !labels.TryGetValue(term.TopologyKey, out var domain))
                {
                    // Every topology key must be on the node, even for the first pod of a group.
                    return false;
                }

                if (Affinity.Get(term.TopologyKey, domain) <= 0)
                {
                    podsExist = false;
                }
            }

            // Upstream's special case: when no pod anywhere matches and the pod matches its own terms, it is the
            // first of a group that wants to be together, and may go to any node with the topology keys.
            return podsExist || (Affinity.Count == 0 && MatchesOwnAffinity);
        }

        public bool SatisfiesAntiAffinity(IDictionary<string, string>? labels)
        {
            if (AntiAffinity.Count == 0 || labels is null)
            {
                return true;
            }

            foreach (var term in RequiredAntiAffinity)
            {
                if (labels.TryGetValue(term.TopologyKey, out var domain) && AntiAffinity.Get(term.TopologyKey, domain) > 0)
                {
                    return false;
                }
            }

            return true;
        }

        public PreFilterState Clone() => new(Pod, NamespaceLabels, RequiredAffinity, RequiredAntiAffinity)
        {
            ExistingAntiAffinity = ExistingAntiAffinity.Clone(),
            Affinity = Affinity.Clone(),
            AntiAffinity = AntiAffinity.Clone(),
        };

        IStateData IStateData.Clone() => Clone();

        private static bool MatchesAll(AffinityTerm[] terms, V1Pod pod)
        {
            if (terms.Length == 0)
            {
                return false;
            }

            foreach (var term in terms)
            {
                if (!term.Matches(pod, NoLabels))
                {
                    return false;
                }
            }

            return true;
        }
    }
}
