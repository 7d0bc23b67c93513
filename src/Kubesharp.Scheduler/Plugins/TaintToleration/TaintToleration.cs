using k8s.Models;
using Kubesharp.Scheduler.Framework;

namespace Kubesharp.Scheduler.Plugins.TaintToleration;

/// <summary>
/// Filters out nodes with a NoSchedule or NoExecute taint the pod does not tolerate; prefers nodes with fewer
/// untolerated PreferNoSchedule taints (scores reversed in normalisation).
/// </summary>
public sealed class TaintToleration : IFilterPlugin, IPreScorePlugin, IScorePlugin
{
    public const string PluginName = "TaintToleration";

    private const string StateKey = "PreScore" + PluginName;

    public string Name => PluginName;

    public static string Reason(V1Taint taint) => $"node(s) had untolerated taint {{{taint.Key}: {taint.Value}}}";

    public Status Filter(CycleState state, PodInfo pod, NodeInfo node)
    {
        var taint = Tolerations.FirstUntolerated(node.Node?.Spec?.Taints, pod.Pod.Spec?.Tolerations, Tolerations.NoSchedule, Tolerations.NoExecute);
        return taint is null ? Status.Success : Status.Unresolvable(PluginName, Reason(taint));
    }

    public Status PreScore(CycleState state, PodInfo pod, IReadOnlyList<NodeInfo> nodes)
    {
        var preferNoSchedule = (pod.Pod.Spec?.Tolerations ?? []).Where(t => string.IsNullOrEmpty(t.Effect) || t.Effect == Tolerations.PreferNoSchedule).ToList();
        state.Write(StateKey, preferNoSchedule);
        return Status.Success;
    }

    public long Score(CycleState state, PodInfo pod, NodeInfo node)
    {
        var tolerations = state.Read<List<V1Toleration>>(StateKey) ?? [];
        long count = 0;
        foreach (var taint in node.Node?.Spec?.Taints ?? [])
        {
            if (taint.Effect == Tolerations.PreferNoSchedule && !Tolerations.AnyTolerates(tolerations, taint))
            {
                count++;
            }
        }

        return count;
    }

    public void NormalizeScores(CycleState state, PodInfo pod, Span<long> scores) => Scores.Normalize(scores, reverse: true);
}
