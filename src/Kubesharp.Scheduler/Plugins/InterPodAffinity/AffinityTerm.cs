using k8s.Models;
using Kubesharp.Api.Selectors;

namespace Kubesharp.Scheduler.Plugins.InterPodAffinity;

/// <summary>
/// One parsed pod (anti-)affinity term (upstream's <c>framework.AffinityTerm</c>, with the weight of a preferred
/// term): the pod selector, the namespaces named outright, the namespace selector and the topology key.
/// Immutable and safe to match from any number of threads.
/// </summary>
internal sealed class AffinityTerm(LabelSelector selector, IReadOnlySet<string> namespaces, LabelSelector namespaceSelector, string topologyKey, int weight)
{
    public LabelSelector Selector { get; } = selector;

    public IReadOnlySet<string> Namespaces { get; } = namespaces;

    /// <summary>Nothing when the term has none; Empty (every namespace) for <c>namespaceSelector: {}</c>.</summary>
    public LabelSelector NamespaceSelector { get; } = namespaceSelector;

    public string TopologyKey { get; } = topologyKey;

    /// <summary>The weight of a preferred term (0 for a required one).</summary>
    public int Weight { get; } = weight;

    /// <summary>
    /// Upstream's <c>AffinityTerm.Matches</c>: the pod's namespace is named or its namespace's labels match the
    /// namespace selector, and the pod's labels match the selector.
    /// </summary>
    public bool Matches(V1Pod pod, IReadOnlyDictionary<string, string> namespaceLabels) =>
        (Namespaces.Contains(pod.Metadata.NamespaceProperty ?? "") || NamespaceSelector.Matches(namespaceLabels))
        && Selector.Matches(PodAffinityTerms.LabelsOf(pod.Metadata.Labels));

    /// <summary>
    /// Upstream's <c>mergeAffinityTermNamespacesIfNotEmpty</c>, for the incoming pod's terms: the namespaces a
    /// non-empty namespace selector picks join the named ones and the selector becomes Nothing, so that matching
    /// needs no other pod's namespace labels. An empty selector (every namespace) is kept as it is.
    /// </summary>
    public AffinityTerm WithSelectedNamespaces(IReadOnlyList<V1Namespace> allNamespaces)
    {
        if (NamespaceSelector.IsEmpty)
        {
            return this;
        }

        var merged = new HashSet<string>(Namespaces, StringComparer.Ordinal);
        if (!NamespaceSelector.MatchesNothing)
        {
            foreach (var ns in allNamespaces)
            {
                if (NamespaceSelector.Matches(PodAffinityTerms.LabelsOf(ns.Metadata.Labels)))
                {
                    merged.Add(ns.Metadata.Name);
                }
            }
        }

        return new AffinityTerm(Selector, merged, LabelSelector.Nothing, TopologyKey, Weight);
    }
}
