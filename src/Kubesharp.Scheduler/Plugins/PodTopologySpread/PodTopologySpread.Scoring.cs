using Kubesharp.Api.Errors;
using Kubesharp.Scheduler.Framework;

namespace Kubesharp.Scheduler.Plugins.PodTopologySpread;

public sealed partial class PodTopologySpread
{
    private const string PreScoreStateKey = "PreScore" + PluginName;

    // What Score gives a node that lacks a topology key; NormalizeScores turns it into 0 (upstream's invalidScore).
    // Real raw scores are never negative: counts times a positive weight, plus maxSkew - 1.
    private const long Ignored = -1;

    public Status PreScore(CycleState state, PodInfo pod, IReadOnlyList<NodeInfo> nodes)
    {
        var allNodes = state.Read<IReadOnlyList<NodeInfo>>(AllNodesKey) ?? nodes;
        if (allNodes.Count == 0)
        {
            return Status.Skip;
        }

        SpreadConstraint[] constraints;
        try
        {
            constraints = Constraints(pod.Pod, ScheduleAnyway);
        }
        catch (StatusException e)
        {
            return Status.Error(PluginName, $"calculating preScoreState: {e.Message}");
        }

        if (constraints.Length == 0)
        {
            return Status.Skip;
        }

        // Only the system defaults let a node without a zone label still be scored by hostname.
        var requireAllKeys = pod.Pod.Spec?.TopologySpreadConstraints is { Count: > 0 } || !_systemDefaulted;
        var s = new ScoreState(constraints);
        var domains = new int[constraints.Length];
        foreach (var info in nodes)
        {
            var labels = info.Node?.Metadata.Labels;
            if (requireAllKeys && !SpreadConstraint.NodeHasAllKeys(labels, constraints))
            {
                s.IgnoredNodes.Add(info.Name);
                continue;
            }

            for (var i = 0; i < constraints.Length; i++)
            {
                // Hostname domains are one node each: Score counts them on the node itself.
                if (constraints[i].TopologyKey == LabelHostname)
                {
                    continue;
                }

                // As upstream, a node without the key counts as the domain "" (possible only for the system defaults).
                var value = labels?.TryGetValue(constraints[i].TopologyKey, out var v) == true ? v : "";
                if (s.Counts[i].TryAdd(value, 0))
                {
                    domains[i]++;
                }
            }
        }

        for (var i = 0; i < constraints.Length; i++)
        {
            var size = constraints[i].TopologyKey == LabelHostname ? nodes.Count - s.IgnoredNodes.Count : domains[i];
            s.Weights[i] = Math.Log(size + 2);
        }

        var ns = pod.Pod.Metadata.NamespaceProperty;
        foreach (var info in allNodes)
        {
            if (info.Node is not { } node || (requireAllKeys && !SpreadConstraint.NodeHasAllKeys(node.Metadata.Labels, constraints)))
            {
                continue;
            }

            for (var i = 0; i < constraints.Length; i++)
            {
                var c = constraints[i];
                var value = node.Metadata.Labels?.TryGetValue(c.TopologyKey, out var v) == true ? v : "";
                // Only domains of feasible nodes are counted; the node-less hostname map skips itself here.
                if (s.Counts[i].TryGetValue(value, out var count) && c.IncludesNode(pod.Pod, node))
                {
                    s.Counts[i][value] = count + CountMatching(info.PodSpan, c.Selector, ns);
                }
            }
        }

        state.Write(PreScoreStateKey, s);
        return Status.Success;
    }

    /// <summary>The weighted count of matching pods in the node's domains; fewer is better (NormalizeScores reverses it).</summary>
    public long Score(CycleState state, PodInfo pod, NodeInfo node)
    {
        if (state.Read<ScoreState>(PreScoreStateKey) is not { } s || node.Node is not { } n)
        {
            return 0;
        }

        if (s.IgnoredNodes.Contains(node.Name))
        {
            return Ignored;
        }

        var labels = n.Metadata.Labels;
        double score = 0;
        for (var i = 0; i < s.Constraints.Length; i++)
        {
            var c = s.Constraints[i];
            if (labels is null || !labels.TryGetValue(c.TopologyKey, out var value))
            {
                continue;
            }

            long count = c.TopologyKey == LabelHostname
                ? CountMatching(node.PodSpan, c.Selector, pod.Pod.Metadata.NamespaceProperty)
                : s.Counts[i].GetValueOrDefault(value);

            // maxSkew - 1 is added so that a larger tolerated skew waters down the differences between domains.
            score += (count * s.Weights[i]) + (c.MaxSkew - 1);
        }

        return (long)Math.Round(score, MidpointRounding.AwayFromZero);
    }

    /// <summary>Upstream's reversed normalisation: 100 * (max + min - score) / max; ignored nodes get 0, all-zero scores 100.</summary>
    public void NormalizeScores(CycleState state, PodInfo pod, Span<long> scores)
    {
        if (state.Read<ScoreState>(PreScoreStateKey) is null)
        {
            return;
        }

        var min = long.MaxValue;
        long max = 0;
        foreach (var score in scores)
        {
            if (score != Ignored)
            {
                min = Math.Min(min, score);
                max = Math.Max(max, score);
            }
        }

        for (var i = 0; i < scores.Length; i++)
        {
            if (scores[i] == Ignored)
            {
                scores[i] = 0;
            }
            else if (max == 0)
            {
                scores[i] = Scores.MaxNodeScore;
            }
            else
            {
                scores[i] = Scores.MaxNodeScore * (max + min - scores[i]) / max;
            }
        }
    }

    /// <summary>What PreScore counted for Score (upstream's preScoreState). Read-only once written.</summary>
    private sealed class ScoreState
    {
        public ScoreState(SpreadConstraint[] constraints)
        {
            Constraints = constraints;
            Counts = new Dictionary<string, long>[constraints.Length];
            for (var i = 0; i < constraints.Length; i++)
            {
                Counts[i] = new Dictionary<string, long>(StringComparer.Ordinal);
            }

            Weights = new double[constraints.Length];
        }

        public SpreadConstraint[] Constraints { get; }

        /// <summary>Feasible nodes missing a topology key: scored 0.</summary>
        public HashSet<string> IgnoredNodes { get; } = new(StringComparer.Ordinal);

        /// <summary>Per constraint, matching pods per domain of the feasible nodes (empty for hostname constraints).</summary>
        public Dictionary<string, long>[] Counts { get; }

        /// <summary>Per constraint, log(domains + 2): counts in a topology with fewer domains weigh less.</summary>
        public double[] Weights { get; }
    }
}
