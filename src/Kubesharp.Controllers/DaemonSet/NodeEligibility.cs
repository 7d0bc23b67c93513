using System.Globalization;
using k8s.Models;

namespace Kubesharp.Controllers.DaemonSet;

/// <summary>
/// Whether a DaemonSet's pod belongs on a node: upstream's <c>NodeShouldRunDaemonPod</c> with the scheduler
/// predicates it runs (node name, required node affinity with the pod's nodeSelector, taints and tolerations).
/// The pod judged is the one the DaemonSet would make, so the default daemon tolerations count.
/// </summary>
internal static class NodeEligibility
{
    public const string NoSchedule = "NoSchedule";
    public const string NoExecute = "NoExecute";
    public const string PreferNoSchedule = "PreferNoSchedule";

    /// <summary>
    /// (shouldRun, shouldContinueRunning): a pod should be created on the node; a pod already there may stay
    /// (it fits, or only NoSchedule taints are untolerated: those keep new pods off but do not evict).
    /// </summary>
    public static (bool ShouldRun, bool ShouldContinueRunning) ShouldRun(V1Node node, V1DaemonSet ds)
    {
        var spec = DaemonPods.PodSpecFor(ds);
        var templateNode = ds.Spec?.Template?.Spec?.NodeName;
        if (!string.IsNullOrEmpty(templateNode) && templateNode != node.Metadata.Name)
        {
            return (false, false);
        }

        if (!MatchesNodeSelectorAndAffinity(spec, node))
        {
            return (false, false);
        }

        var taints = node.Spec?.Taints ?? [];
        if (FindUntoleratedTaint(taints, spec.Tolerations, t => t.Effect is NoExecute or NoSchedule) is not null)
        {
            return (false, FindUntoleratedTaint(taints, spec.Tolerations, t => t.Effect == NoExecute) is null);
        }

        return (true, true);
    }

    /// <summary>The scheduler's <c>GetRequiredNodeAffinity(pod).Match(node)</c>: the nodeSelector's labels, and one of the required terms.</summary>
    public static bool MatchesNodeSelectorAndAffinity(V1PodSpec spec, V1Node node)
    {
        var labels = node.Metadata?.Labels ?? new Dictionary<string, string>();
        if (spec.NodeSelector is { } selector)
        {
            foreach (var (key, value) in selector)
            {
                if (!labels.TryGetValue(key, out var actual) || actual != value)
                {
                    return false;
                }
            }
        }

        if (spec.Affinity?.NodeAffinity?.RequiredDuringSchedulingIgnoredDuringExecution is { } required)
        {
            // No terms match nothing; terms are ORed.
            return required.NodeSelectorTerms?.Any(term => MatchesTerm(term, node)) == true;
        }

        return true;
    }

    /// <summary>A term's expressions (on labels) and fields (<c>metadata.name</c> only) all hold; an empty term matches nothing.</summary>
    public static bool MatchesTerm(V1NodeSelectorTerm term, V1Node node)
    {
        var expressions = term.MatchExpressions ?? [];
        var fields = term.MatchFields ?? [];
        if (expressions.Count == 0 && fields.Count == 0)
        {
            return false;
        }

        var labels = node.Metadata?.Labels ?? new Dictionary<string, string>();
        foreach (var requirement in expressions)
        {
            labels.TryGetValue(requirement.Key, out var value);
            if (!Matches(requirement, labels.ContainsKey(requirement.Key), value))
            {
                return false;
            }
        }

        foreach (var requirement in fields)
        {
            // The only field upstream supports; any other makes the term invalid, and an invalid term matches nothing.
            if (requirement.Key != "metadata.name" || !Matches(requirement, true, node.Metadata?.Name))
            {
                return false;
            }
        }

        return true;
    }

    private static bool Matches(V1NodeSelectorRequirement requirement, bool present, string? value)
    {
        var values = requirement.Values ?? [];
        switch (requirement.OperatorProperty)
        {
            case "In":
                return present && values.Contains(value);
            case "NotIn":
                return !present || !values.Contains(value);
            case "Exists":
                return present;
            case "DoesNotExist":
                return !present;
            case "Gt":
            case "Lt":
                if (!present || values.Count != 1
                    || !long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var actual)
                    || !long.TryParse(values[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var bound))
                {
                    return false;
                }

                return requirement.OperatorProperty == "Gt" ? actual > bound : actual < bound;
            default:
                return false;
        }
    }

    /// <summary>Upstream's <c>FindMatchingUntoleratedTaint</c>: the first taint passing <paramref name="filter"/> that no toleration tolerates.</summary>
    public static V1Taint? FindUntoleratedTaint(IEnumerable<V1Taint> taints, IList<V1Toleration>? tolerations, Func<V1Taint, bool> filter)
    {
        foreach (var taint in taints)
        {
            if (filter(taint) && tolerations?.Any(t => Tolerates(t, taint)) != true)
            {
                return taint;
            }
        }

        return null;
    }

    /// <summary>
    /// Upstream's <c>Toleration.ToleratesTaint</c>: an empty effect tolerates every effect, an empty key with
    /// <c>Exists</c> every key; <c>Equal</c> (or no operator) needs the same value, <c>Exists</c> any value.
    /// </summary>
    public static bool Tolerates(V1Toleration toleration, V1Taint taint)
    {
        if (!string.IsNullOrEmpty(toleration.Effect) && toleration.Effect != taint.Effect)
        {
            return false;
        }

        if (!string.IsNullOrEmpty(toleration.Key) && toleration.Key != taint.Key)
        {
            return false;
        }

        return toleration.OperatorProperty switch
        {
            null or "" or "Equal" => (toleration.Value ?? "") == (taint.Value ?? ""),
            "Exists" => true,
            _ => false,
        };
    }
}
