using k8s.Models;
using Kubesharp.Api.Errors;
using Kubesharp.Scheduler.Framework;

namespace Kubesharp.Scheduler.Plugins.PodTopologySpread;

public sealed partial class PodTopologySpread
{
    private const string PreFilterStateKey = "PreFilter" + PluginName;

    private static readonly Status RejectedMissingLabel = Status.Unresolvable(PluginName, ReasonNodeLabelNotMatch);
    private static readonly Status RejectedSkew = Status.Unschedulable(PluginName, ReasonConstraintsNotMatch);

    public (Status Status, IReadOnlySet<string>? Nodes) PreFilter(CycleState state, PodInfo pod, IReadOnlyList<NodeInfo> nodes)
    {
        state.Write(AllNodesKey, nodes);
        SpreadConstraint[] constraints;
        try
        {
            constraints = Constraints(pod.Pod, DoNotSchedule);
        }
        catch (StatusException e)
        {
            return (Status.Error(PluginName, $"get constraints from pod: {e.Message}"), null);
        }

        if (constraints.Length == 0)
        {
            return (Status.Skip, null);
        }

        var s = new FilterState(constraints, pod.Pod);
        foreach (var info in nodes)
        {
            if (info.Node is not { } node || !SpreadConstraint.NodeHasAllKeys(node.Metadata.Labels, constraints))
            {
                continue;
            }

            for (var i = 0; i < constraints.Length; i++)
            {
                var c = constraints[i];
                if (c.IncludesNode(pod.Pod, node))
                {
                    var value = node.Metadata.Labels[c.TopologyKey];
                    s.Counts[i][value] = s.Counts[i].GetValueOrDefault(value) + CountMatching(info.PodSpan, c.Selector, pod.Pod.Metadata.NamespaceProperty);
                }
            }
        }

        for (var i = 0; i < constraints.Length; i++)
        {
            s.RecomputeMinimum(i);
        }

        state.Write(PreFilterStateKey, s);
        return (Status.Success, null);
    }

    /// <summary>Per DoNotSchedule constraint: (matching pods in the node's domain) + (1 if the pod matches itself) - (global minimum) must not exceed maxSkew.</summary>
    public Status Filter(CycleState state, PodInfo pod, NodeInfo node)
    {
        if (state.Read<FilterState>(PreFilterStateKey) is not { } s)
        {
            return Status.Error(PluginName, $"reading \"{PreFilterStateKey}\" from cycleState: not found");
        }

        var labels = node.Node?.Metadata.Labels;
        for (var i = 0; i < s.Constraints.Length; i++)
        {
            var c = s.Constraints[i];
            if (labels is null || !labels.TryGetValue(c.TopologyKey, out var value))
            {
                return RejectedMissingLabel;
            }

            var skew = s.Counts[i].GetValueOrDefault(value) + (s.SelfMatch[i] ? 1 : 0) - s.GlobalMinimum(i);
            if (skew > c.MaxSkew)
            {
                return RejectedSkew;
            }
        }

        return Status.Success;
    }

    /// <summary>
    /// Upstream's PreFilterExtensions.AddPod: counts <paramref name="added"/> on <paramref name="node"/> into the filter
    /// state of <paramref name="podToSchedule"/>'s cycle, as if it ran there (preemption's nominated pods). Nothing
    /// to do when PreFilter skipped. Not safe beside Filter on the same state.
    /// </summary>
    internal static void AddPod(CycleState state, PodInfo podToSchedule, PodInfo added, NodeInfo node) => Update(state, podToSchedule.Pod, added.Pod, node.Node, 1);

    /// <summary>Upstream's PreFilterExtensions.RemovePod: the inverse of <see cref="AddPod"/> (preemption's victims).</summary>
    internal static void RemovePod(CycleState state, PodInfo podToSchedule, PodInfo removed, NodeInfo node) => Update(state, podToSchedule.Pod, removed.Pod, node.Node, -1);

    Status IPreFilterExtensions.AddPod(CycleState state, PodInfo podToSchedule, PodInfo podToAdd, NodeInfo node)
    {
        AddPod(state, podToSchedule, podToAdd, node);
        return Status.Success;
    }

    Status IPreFilterExtensions.RemovePod(CycleState state, PodInfo podToSchedule, PodInfo podToRemove, NodeInfo node)
    {
        RemovePod(state, podToSchedule, podToRemove, node);
        return Status.Success;
    }

    /// <summary>Copies the filter state of <paramref name="from"/> into <paramref name="to"/>, so that AddPod and RemovePod on the copy leave the original alone.</summary>
    internal static void CloneState(CycleState from, CycleState to)
    {
        if (from.Read<FilterState>(PreFilterStateKey) is { } s)
        {
            to.Write(PreFilterStateKey, s.Clone());
        }
    }

    private static void Update(CycleState state, V1Pod preemptor, V1Pod changed, V1Node? node, int delta)
    {
        if (state.Read<FilterState>(PreFilterStateKey) is not { } s || node is null
            || changed.Metadata.NamespaceProperty != preemptor.Metadata.NamespaceProperty
            || !SpreadConstraint.NodeHasAllKeys(node.Metadata.Labels, s.Constraints))
        {
            return;
        }

        var labels = SpreadSelectors.LabelsOf(changed.Metadata);
        for (var i = 0; i < s.Constraints.Length; i++)
        {
            var c = s.Constraints[i];
            if (!c.Selector.Matches(labels) || !c.IncludesNode(preemptor, node))
            {
                continue;
            }

            var value = node.Metadata.Labels[c.TopologyKey];
            s.Counts[i][value] = s.Counts[i].GetValueOrDefault(value) + delta;
            s.RecomputeMinimum(i);
        }
    }

    /// <summary>
    /// What PreFilter counted for Filter (upstream's preFilterState): per constraint, the matching pods per domain of
    /// the eligible nodes (domains with none included), and the smallest count.
    /// </summary>
    private sealed class FilterState : IStateData
    {
        public FilterState(SpreadConstraint[] constraints, V1Pod pod)
        {
            Constraints = constraints;
            Counts = new Dictionary<string, int>[constraints.Length];
            Minimum = new int[constraints.Length];
            SelfMatch = new bool[constraints.Length];
            var labels = SpreadSelectors.LabelsOf(pod.Metadata);
            for (var i = 0; i < constraints.Length; i++)
            {
                Counts[i] = new Dictionary<string, int>(StringComparer.Ordinal);
                SelfMatch[i] = constraints[i].Selector.Matches(labels);
            }
        }

        private FilterState(FilterState other)
        {
            Constraints = other.Constraints;
            SelfMatch = other.SelfMatch;
            Minimum = (int[])other.Minimum.Clone();
            Counts = [.. other.Counts.Select(c => new Dictionary<string, int>(c, StringComparer.Ordinal))];
        }

        public SpreadConstraint[] Constraints { get; }

        public Dictionary<string, int>[] Counts { get; }

        public bool[] SelfMatch { get; }

        private int[] Minimum { get; }

        /// <summary>The minimum the skew is measured from: 0 while fewer domains than minDomains are eligible.</summary>
        public int GlobalMinimum(int constraint) => Counts[constraint].Count < Constraints[constraint].MinDomains ? 0 : Minimum[constraint];

        // Upstream keeps the two smallest domains and patches them on AddPod/RemovePod, which can miss the true minimum
        // after several additions; a full scan is exact and costs one pass over the domains per change.
        public void RecomputeMinimum(int constraint)
        {
            var min = int.MaxValue;
            foreach (var count in Counts[constraint].Values)
            {
                min = Math.Min(min, count);
            }

            Minimum[constraint] = min;
        }

        public FilterState Clone() => new(this);

        IStateData IStateData.Clone() => Clone();
    }
}
