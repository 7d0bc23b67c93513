using k8s.Models;
using Kubesharp.Api.Selectors;
using Kubesharp.Scheduler.Plugins.NodeAffinity;

namespace Kubesharp.Scheduler.Plugins.PodTopologySpread;

/// <summary>
/// A <c>topologySpreadConstraint</c> as the plugin uses it (upstream's internal <c>topologySpreadConstraint</c>): the
/// selector parsed once per pod with <c>matchLabelKeys</c> merged in, and the optional fields resolved to upstream's
/// defaults (minDomains 1, nodeAffinityPolicy Honor, nodeTaintsPolicy Ignore). Immutable.
/// </summary>
internal sealed record SpreadConstraint(int MaxSkew, string TopologyKey, LabelSelector Selector, int MinDomains, bool HonorNodeAffinity, bool HonorNodeTaints)
{
    public const string Honor = "Honor";

    /// <summary>Upstream's <c>matchNodeInclusionPolicies</c>: whether pods on <paramref name="node"/> count for this constraint.</summary>
    public bool IncludesNode(V1Pod pod, V1Node node)
    {
        if (HonorNodeAffinity && !MatchesRequiredNodeAffinity(pod, node))
        {
            return false;
        }

        return !HonorNodeTaints
            || Tolerations.FirstUntolerated(node.Spec?.Taints, pod.Spec?.Tolerations, Tolerations.NoSchedule, Tolerations.NoExecute) is null;
    }

    /// <summary>Upstream's <c>GetRequiredNodeAffinity(pod).Match(node)</c>: the pod's nodeSelector and its required node affinity terms.</summary>
    public static bool MatchesRequiredNodeAffinity(V1Pod pod, V1Node node)
    {
        var spec = pod.Spec;
        if (!NodeSelectorMatching.MatchesNodeSelector(spec?.NodeSelector, node))
        {
            return false;
        }

        var required = spec?.Affinity?.NodeAffinity?.RequiredDuringSchedulingIgnoredDuringExecution;
        return required is null || NodeSelectorMatching.MatchesAnyTerm(required.NodeSelectorTerms, node);
    }

    /// <summary>Upstream's <c>nodeLabelsMatchSpreadConstraints</c>: the node has every constraint's topology key.</summary>
    public static bool NodeHasAllKeys(IDictionary<string, string>? labels, SpreadConstraint[] constraints)
    {
        foreach (var c in constraints)
        {
            if (labels is null || !labels.ContainsKey(c.TopologyKey))
            {
                return false;
            }
        }

        return true;
    }
}
