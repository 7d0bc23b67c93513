using k8s.Models;
using Kubesharp.Scheduler.Framework;

namespace Kubesharp.Scheduler.Plugins.InterPodAffinity;

/// <summary>Upstream's scoring.go: weights summed per topology domain in PreScore, read per node in Score.</summary>
public sealed partial class InterPodAffinity
{
    private const string PreScoreStateKey = "PreScore" + PluginName;

    public Status PreScore(CycleState state, PodInfo pod, IReadOnlyList<NodeInfo> nodes)
    {
        var affinity = pod.Pod.Spec?.Affinity;
        var hasPreferred = affinity?.PodAffinity?.PreferredDuringSchedulingIgnoredDuringExecution is { Count: > 0 }
            || affinity?.PodAntiAffinity?.PreferredDuringSchedulingIgnoredDuringExecution is { Count: > 0 };
        if (_args.IgnorePreferredTermsOfExistingPods && !hasPreferred)
        {
            return Status.Skip;
        }

        var terms = PodAffinityTerms.Of(pod);
        if (terms.Error is not null)
        {
            return Status.Error(PluginName, $"failed to parse pod: {terms.Error}");
        }

        var s = new PreScoreState(
            pod.Pod,
            NamespaceLabels(pod.Pod),
            WithSelectedNamespaces(terms.PreferredAffinity),
            WithSelectedNamespaces(terms.PreferredAntiAffinity),
            _args.HardPodAffinityWeight);

        // Upstream walks every node of the snapshot (existing pods on infeasible nodes still say where a domain is
        // wanted); without preferred terms of its own only pods with affinity can contribute.
        foreach (var node in state.Read<IReadOnlyList<NodeInfo>>(AllNodesKey) ?? nodes)
        {
            if (node.Node is null || (!hasPreferred && node.PodsWithAffinity == 0))
            {
                continue;
            }

            foreach (var existing in node.PodSpan)
            {
                if (hasPreferred || existing.HasAffinity)
                {
                    s.Process(existing, node.Node);
                }
            }
        }

        if (s.TopologyScore.Count == 0)
        {
            return Status.Skip;
        }

        state.Write(PreScoreStateKey, s);
        return Status.Success;
    }

    /// <summary>The sum of the weights of the domains the node is in: positive for affinity, negative for anti-affinity.</summary>
    public long Score(CycleState state, PodInfo pod, NodeInfo node)
    {
        var labels = node.Node?.Metadata.Labels;
        if (labels is null || state.Read<PreScoreState>(PreScoreStateKey) is not { } s)
        {
            return 0;
        }

        long score = 0;
        foreach (var (key, domains) in s.TopologyScore)
        {
            if (labels.TryGetValue(key, out var domain))
            {
                score += domains.GetValueOrDefault(domain);
            }
        }

        return score;
    }

    /// <summary>Upstream's min-max normalisation: the lowest score becomes 0, the highest 100 (all 0 when they are equal).</summary>
    public void NormalizeScores(CycleState state, PodInfo pod, Span<long> scores)
    {
        if (state.Read<PreScoreState>(PreScoreStateKey) is not { TopologyScore.Count: > 0 } || scores.IsEmpty)
        {
            return;
        }

        var min = long.MaxValue;
        var max = long.MinValue;
        foreach (var score in scores)
        {
            min = Math.Min(min, score);
            max = Math.Max(max, score);
        }

        var range = max - min;
        for (var i = 0; i < scores.Length; i++)
        {
            scores[i] = range > 0 ? (long)(Scores.MaxNodeScore * ((double)(scores[i] - min) / range)) : 0;
        }
    }

    /// <summary>What PreScore computed for one pod (upstream's preScoreState): topology key, then domain, to weight.</summary>
    private sealed class PreScoreState(V1Pod pod, IReadOnlyDictionary<string, string> namespaceLabels, AffinityTerm[] preferredAffinity, AffinityTerm[] preferredAntiAffinity, int hardPodAffinityWeight)
    {
        public Dictionary<string, Dictionary<string, long>> TopologyScore { get; } = new(StringComparer.Ordinal);

        /// <summary>Upstream's processExistingPod: every way <paramref name="existing"/> and the pod pull towards or away from each other.</summary>
        public void Process(PodInfo existing, V1Node node)
        {
            var labels = node.Metadata.Labels;
            if (labels is null || labels.Count == 0)
            {
                return;
            }

            // The pod's own terms had their namespace selectors turned into names: no labels needed.
            Add(preferredAffinity, existing.Pod, NoLabels, labels, 1);
            Add(preferredAntiAffinity, existing.Pod, NoLabels, labels, -1);
            if (!existing.HasAffinity)
            {
                return;
            }

            var theirs = PodAffinityTerms.Of(existing);
            if (hardPodAffinityWeight > 0)
            {
                foreach (var term in theirs.RequiredAffinity)
                {
                    Add(term, hardPodAffinityWeight, pod, namespaceLabels, labels, 1);
                }
            }

            Add(theirs.PreferredAffinity, pod, namespaceLabels, labels, 1);
            Add(theirs.PreferredAntiAffinity, pod, namespaceLabels, labels, -1);
        }

        private void Add(AffinityTerm[] terms, V1Pod target, IReadOnlyDictionary<string, string> nsLabels, IDictionary<string, string> nodeLabels, int sign)
        {
            foreach (var term in terms)
            {
                Add(term, term.Weight, target, nsLabels, nodeLabels, sign);
            }
        }

        private void Add(AffinityTerm term, int weight, V1Pod target, IReadOnlyDictionary<string, string> nsLabels, IDictionary<string, string> nodeLabels, int sign)
        {
            if (!term.Matches(target, nsLabels) || !nodeLabels.TryGetValue(term.TopologyKey, out var domain))
            {
                return;
            }

            if (!TopologyScore.TryGetValue(term.TopologyKey, out var domains))
            {
                TopologyScore[term.TopologyKey] = domains = new(StringComparer.Ordinal);
            }

            domains[domain] = domains.GetValueOrDefault(domain) + ((long)weight * sign);
        }
    }
}
