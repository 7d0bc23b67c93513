using k8s.Models;
using Kubesharp.Scheduler.Cache;
using Kubesharp.Scheduler.Framework;
using Kubesharp.Scheduler.Plugins.ImageLocality;

namespace Kubesharp.Scheduler.Explain;

/// <summary>One filter plugin's rejection of one node.</summary>
public sealed record PluginVerdict(string Plugin, Code Code, IReadOnlyList<string> Reasons);

/// <summary>A node's verdict: every filter that rejects it (not only the first), or its weighted score per plugin and total.</summary>
public sealed record NodeExplanation(string Node, bool Feasible, IReadOnlyList<PluginVerdict> Rejections, long? Total, IReadOnlyDictionary<string, long>? WeightedScores);

/// <summary>Why a pod goes where it goes, or nowhere: node by node, plugin by plugin.</summary>
public sealed record PlacementExplanation(
    string Pod,
    string SchedulerName,
    string? BoundTo,
    PluginVerdict? PreFilterRejection,
    IReadOnlyList<NodeExplanation> Nodes,
    IReadOnlyList<string> Best,
    string? FitErrorMessage);

/// <summary>
/// Replays one scheduling cycle for a pod against the cluster as it is now, with nothing written: every filter on
/// every node (the scheduler stops at the first rejection and may sample; this shows them all), then the scores of
/// the feasible nodes per plugin, weighted. A bound pod is taken off its node first, so the answer says whether it
/// would go there again. Nominated pods and preemption are not replayed.
/// </summary>
public static class PlacementExplainer
{
    public static PlacementExplanation Explain(Profile profile, IEnumerable<V1Node> nodes, IEnumerable<V1Pod> pods, V1Pod pod)
    {
        var cache = new SchedulerCache();
        foreach (var node in nodes)
        {
            cache.AddOrUpdateNode(node);
        }

        foreach (var other in pods)
        {
            if (other.Metadata.Uid != pod.Metadata.Uid && !string.IsNullOrEmpty(other.Spec?.NodeName) && other.Status?.Phase is not ("Succeeded" or "Failed"))
            {
                cache.AddOrUpdatePod(other);
            }
        }

        var snapshot = new Snapshot();
        cache.UpdateSnapshot(snapshot);
        var all = snapshot.Nodes;
        var info = PodInfo.Of(Unbound(pod));
        var state = new CycleState();
        ImageLocality.SetTotalNodes(state, all.Count);
        var key = $"{pod.Metadata.NamespaceProperty}/{pod.Metadata.Name}";
        var boundTo = string.IsNullOrEmpty(pod.Spec?.NodeName) ? null : pod.Spec.NodeName;
        var schedulerName = profile.SchedulerName;
        if (all.Count == 0)
        {
            return new PlacementExplanation(key, schedulerName, boundTo, null, [], [], FitError.NoNodesAvailable);
        }

        var (pre, narrowed) = profile.RunPreFilter(state, info, all);
        if (!pre.IsSuccess)
        {
            var verdict = new PluginVerdict(pre.Plugin, pre.Code, pre.Reasons);
            var diagnosis = new FilterDiagnosis { PreFilterMessage = pre.Message };
            return new PlacementExplanation(key, schedulerName, boundTo, verdict, [.. all.Select(n => new NodeExplanation(n.Name, false, [verdict], null, null))], [], new FitError(all.Count, diagnosis).Message());
        }

        var verdicts = new Dictionary<string, List<PluginVerdict>>(StringComparer.Ordinal);
        var feasible = new List<NodeInfo>();
        var fitDiagnosis = new FilterDiagnosis();
        foreach (var node in all)
        {
            var rejections = new List<PluginVerdict>();
            if (narrowed is not null && !narrowed.Contains(node.Name))
            {
                rejections.Add(new PluginVerdict("PreFilter", Code.UnschedulableAndUnresolvable, ["node(s) didn't satisfy plugin(s) PreFilter result"]));
            }
            else
            {
                foreach (var filter in profile.Filters)
                {
                    if (state.SkipFilter.Contains(filter.Name))
                    {
                        continue;
                    }

                    var status = filter.Filter(state, info, node);
                    if (!status.IsSuccess)
                    {
                        rejections.Add(new PluginVerdict(filter.Name, status.Code, status.Reasons));
                        fitDiagnosis.NodeToStatus.TryAdd(node.Name, status);
                    }
                }
            }

            verdicts[node.Name] = rejections;
            if (rejections.Count == 0)
            {
                feasible.Add(node);
            }
        }

        var totals = new Dictionary<string, (long Total, Dictionary<string, long> ByPlugin)>(StringComparer.Ordinal);
        if (feasible.Count > 0 && profile.RunPreScore(state, info, feasible).IsSuccess)
        {
            var (sums, columns) = profile.RunScore(state, info, feasible, keepColumns: true);
            var weights = profile.Scorers.ToDictionary(s => s.Plugin.Name, s => s.Weight, StringComparer.Ordinal);
            for (var i = 0; i < feasible.Count; i++)
            {
                totals[feasible[i].Name] = (sums[i], columns.ToDictionary(c => c.Key, c => c.Value[i] * weights[c.Key], StringComparer.Ordinal));
            }
        }

        var explained = all.Select(n => totals.TryGetValue(n.Name, out var t)
            ? new NodeExplanation(n.Name, true, [], t.Total, t.ByPlugin)
            : new NodeExplanation(n.Name, verdicts[n.Name].Count == 0, verdicts[n.Name], null, null)).ToList();
        var bestScore = totals.Count == 0 ? 0 : totals.Values.Max(t => t.Total);
        IReadOnlyList<string> best = feasible.Count == 1 ? [feasible[0].Name] : [.. totals.Where(t => t.Value.Total == bestScore).Select(t => t.Key).Order(StringComparer.Ordinal)];
        return new PlacementExplanation(key, schedulerName, boundTo, null, explained, best, feasible.Count == 0 ? new FitError(all.Count, fitDiagnosis).Message() : null);
    }

    /// <summary>The pod as the scheduler saw it before binding: without a node.</summary>
    private static V1Pod Unbound(V1Pod pod)
    {
        if (string.IsNullOrEmpty(pod.Spec?.NodeName))
        {
            return pod;
        }

        var copy = k8s.KubernetesJson.Deserialize<V1Pod>(k8s.KubernetesJson.Serialize(pod));
        copy.Spec.NodeName = null;
        return copy;
    }

    /// <summary>A plain-text report: one line per node, the rejecting plugins with their reasons or the weighted scores.</summary>
    public static string Format(PlacementExplanation explanation)
    {
        var text = new System.Text.StringBuilder();
        text.Append($"Pod {explanation.Pod} (scheduler {explanation.SchedulerName})");
        text.AppendLine(explanation.BoundTo is null ? ", not bound." : $", bound to {explanation.BoundTo}.");
        text.AppendLine($"Replayed against the {explanation.Nodes.Count} node(s) as they are now{(explanation.BoundTo is null ? "" : ", the pod taken off its node")}; every filter is shown, not only the first.");
        if (explanation.PreFilterRejection is { } pre)
        {
            text.AppendLine($"PreFilter {pre.Plugin} rejects the pod on every node: {string.Join(", ", pre.Reasons)}");
        }

        var scorers = explanation.Nodes.Where(n => n.WeightedScores is not null).SelectMany(n => n.WeightedScores!.Keys).Distinct().ToList();
        var width = Math.Max(4, explanation.Nodes.Select(n => n.Node.Length).DefaultIfEmpty(4).Max());
        foreach (var node in explanation.Nodes.OrderByDescending(n => n.Total ?? -1).ThenBy(n => n.Node, StringComparer.Ordinal))
        {
            text.Append(node.Node.PadRight(width + 2));
            if (node.Total is { } total)
            {
                var mark = explanation.Best.Contains(node.Node) ? " (best)" : "";
                text.Append($"feasible  score {total}{mark}: ");
                text.AppendJoin(", ", scorers.Select(s => $"{s} {node.WeightedScores!.GetValueOrDefault(s)}"));
            }
            else if (node.Feasible)
            {
                text.Append("feasible");
            }
            else
            {
                text.Append("rejected  ");
                text.AppendJoin("; ", node.Rejections.Select(r => $"{r.Plugin}: {string.Join(", ", r.Reasons)}{(r.Code == Code.UnschedulableAndUnresolvable ? " (preemption cannot help)" : "")}"));
            }

            text.AppendLine();
        }

        if (explanation.FitErrorMessage is { } message)
        {
            text.AppendLine($"No node fits: {message}");
        }
        else if (explanation.Best.Count > 0)
        {
            text.AppendLine(explanation.Best.Count == 1 ? $"Best node now: {explanation.Best[0]}." : $"Best nodes now (a tie, broken at random): {string.Join(", ", explanation.Best)}.");
        }

        return text.ToString();
    }
}
