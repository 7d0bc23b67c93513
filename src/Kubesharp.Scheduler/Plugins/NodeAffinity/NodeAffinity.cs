using k8s.Models;
using Kubesharp.Scheduler.Framework;

namespace Kubesharp.Scheduler.Plugins.NodeAffinity;

/// <summary>
/// The pod's <c>nodeSelector</c> and required node affinity must match the node (and the profile's added
/// affinity, when configured); preferred terms add their weights to the node's score.
/// </summary>
public sealed class NodeAffinity(V1NodeAffinity? addedAffinity = null) : IPreFilterPlugin, IFilterPlugin, IPreScorePlugin, IScorePlugin
{
    public const string PluginName = "NodeAffinity";
    public const string ReasonPod = "node(s) didn't match Pod's node affinity/selector";
    public const string ReasonEnforced = "node(s) didn't match scheduler-enforced node affinity";

    private static readonly Status RejectedPod = Status.Unresolvable(PluginName, ReasonPod);
    private static readonly Status RejectedEnforced = Status.Unresolvable(PluginName, ReasonEnforced);

    public string Name => PluginName;

    public (Status Status, IReadOnlySet<string>? Nodes) PreFilter(CycleState state, PodInfo pod, IReadOnlyList<NodeInfo> nodes)
    {
        var spec = pod.Pod.Spec;
        var required = spec?.Affinity?.NodeAffinity?.RequiredDuringSchedulingIgnoredDuringExecution;
        var none = (spec?.NodeSelector is null || spec.NodeSelector.Count == 0) && required is null && addedAffinity?.RequiredDuringSchedulingIgnoredDuringExecution is null;
        return (none ? Status.Skip : Status.Success, null);
    }

    public Status Filter(CycleState state, PodInfo pod, NodeInfo node)
    {
        var n = node.Node;
        if (n is null)
        {
            return Status.Error(PluginName, "node not found");
        }

        if (addedAffinity?.RequiredDuringSchedulingIgnoredDuringExecution is { } enforced && !NodeSelectorMatching.MatchesAnyTerm(enforced.NodeSelectorTerms, n))
        {
            return RejectedEnforced;
        }

        var spec = pod.Pod.Spec;
        if (!NodeSelectorMatching.MatchesNodeSelector(spec?.NodeSelector, n))
        {
            return RejectedPod;
        }

        var required = spec?.Affinity?.NodeAffinity?.RequiredDuringSchedulingIgnoredDuringExecution;
        return required is null || NodeSelectorMatching.MatchesAnyTerm(required.NodeSelectorTerms, n) ? Status.Success : RejectedPod;
    }

    public Status PreScore(CycleState state, PodInfo pod, IReadOnlyList<NodeInfo> nodes)
    {
        var preferred = pod.Pod.Spec?.Affinity?.NodeAffinity?.PreferredDuringSchedulingIgnoredDuringExecution;
        return (preferred is null || preferred.Count == 0) && addedAffinity?.PreferredDuringSchedulingIgnoredDuringExecution is null ? Status.Skip : Status.Success;
    }

    public long Score(CycleState state, PodInfo pod, NodeInfo node)
    {
        if (node.Node is not { } n)
        {
            return 0;
        }

        long score = 0;
        foreach (var term in (addedAffinity?.PreferredDuringSchedulingIgnoredDuringExecution ?? []).Concat(pod.Pod.Spec?.Affinity?.NodeAffinity?.PreferredDuringSchedulingIgnoredDuringExecution ?? []))
        {
            if (term.Weight != 0 && term.Preference is not null && NodeSelectorMatching.MatchesTerm(term.Preference, n))
            {
                score += term.Weight;
            }
        }

        return score;
    }

    public void NormalizeScores(CycleState state, PodInfo pod, Span<long> scores) => Scores.Normalize(scores);
}
