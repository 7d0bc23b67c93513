using k8s.Models;
using Kubesharp.Api.Errors;
using Kubesharp.Api.Selectors;
using Kubesharp.Scheduler.Framework;

namespace Kubesharp.Scheduler.Plugins.InterPodAffinity;

/// <summary>
/// A pod's four lists of parsed pod (anti-)affinity terms (upstream keeps them in its <c>PodInfo</c>), parsed once
/// per <see cref="PodInfo"/> and shared by every cycle that reads that pod. Immutable.
/// </summary>
internal sealed class PodAffinityTerms
{
    public static readonly PodAffinityTerms None = new([], [], [], [], null);

    private static readonly IReadOnlyDictionary<string, string> NoLabels = new Dictionary<string, string>();

    private PodAffinityTerms(AffinityTerm[] requiredAffinity, AffinityTerm[] requiredAntiAffinity, AffinityTerm[] preferredAffinity, AffinityTerm[] preferredAntiAffinity, string? error)
    {
        RequiredAffinity = requiredAffinity;
        RequiredAntiAffinity = requiredAntiAffinity;
        PreferredAffinity = preferredAffinity;
        PreferredAntiAffinity = preferredAntiAffinity;
        Error = error;
    }

    public AffinityTerm[] RequiredAffinity { get; }

    public AffinityTerm[] RequiredAntiAffinity { get; }

    public AffinityTerm[] PreferredAffinity { get; }

    public AffinityTerm[] PreferredAntiAffinity { get; }

    /// <summary>
    /// Why some list could not be parsed (that list is then empty, as upstream leaves it nil), in upstream's
    /// wording: <c>requiredAffinityTerms: ...</c>, several errors as <c>[a, b]</c>. Null when all parsed.
    /// </summary>
    public string? Error { get; }

    public static PodAffinityTerms Of(PodInfo pod)
    {
        if (!pod.HasAffinity)
        {
            return None;
        }

        // A race computes the same terms twice at worst: they depend on the pod alone.
        if (pod.ParsedAffinity is not PodAffinityTerms terms)
        {
            pod.ParsedAffinity = terms = Parse(pod.Pod);
        }

        return terms;
    }

    /// <summary>A label map as the selectors read it, without copying the usual <see cref="Dictionary{TKey, TValue}"/>.</summary>
    public static IReadOnlyDictionary<string, string> LabelsOf(IDictionary<string, string>? labels) => labels switch
    {
        null => NoLabels,
        IReadOnlyDictionary<string, string> readOnly => readOnly,
        _ => new Dictionary<string, string>(labels),
    };

    private static PodAffinityTerms Parse(V1Pod pod)
    {
        var affinity = pod.Spec?.Affinity;
        List<string>? errors = null;
        var requiredAffinity = ParseList(pod, affinity?.PodAffinity?.RequiredDuringSchedulingIgnoredDuringExecution?.Select(t => (t, 0)), "requiredAffinityTerms", ref errors);
        var requiredAntiAffinity = ParseList(pod, affinity?.PodAntiAffinity?.RequiredDuringSchedulingIgnoredDuringExecution?.Select(t => (t, 0)), "requiredAntiAffinityTerms", ref errors);
        var preferredAffinity = ParseList(pod, affinity?.PodAffinity?.PreferredDuringSchedulingIgnoredDuringExecution?.Select(w => (w.PodAffinityTerm, w.Weight)), "preferredAffinityTerms", ref errors);
        var preferredAntiAffinity = ParseList(pod, affinity?.PodAntiAffinity?.PreferredDuringSchedulingIgnoredDuringExecution?.Select(w => (w.PodAffinityTerm, w.Weight)), "preferredAntiAffinityTerms", ref errors);

        // Upstream aggregates the errors: one alone is its own message, several are bracketed.
        var error = errors switch
        {
            null => null,
            [var one] => one,
            _ => $"[{string.Join(", ", errors)}]",
        };
        return new PodAffinityTerms(requiredAffinity, requiredAntiAffinity, preferredAffinity, preferredAntiAffinity, error);
    }

    private static AffinityTerm[] ParseList(V1Pod pod, IEnumerable<(V1PodAffinityTerm Term, int Weight)>? terms, string what, ref List<string>? errors)
    {
        if (terms is null)
        {
            return [];
        }

        try
        {
            return [.. terms.Select(t => Parse(pod, t.Term, t.Weight))];
        }
        catch (StatusException e)
        {
            (errors ??= []).Add($"{what}: {e.Message}");
            return [];
        }
    }

    private static AffinityTerm Parse(V1Pod pod, V1PodAffinityTerm term, int weight)
    {
        var selector = LabelSelector.FromModel(WithLabelKeys(term, LabelsOf(pod.Metadata.Labels)));

        // Upstream's getNamespacesFromPodAffinityTerm: neither namespaces nor a namespace selector means the pod's own.
        IReadOnlySet<string> namespaces = (term.Namespaces is null || term.Namespaces.Count == 0) && term.NamespaceSelector is null
            ? new HashSet<string>(StringComparer.Ordinal) { pod.Metadata.NamespaceProperty ?? "" }
            : new HashSet<string>(term.Namespaces ?? [], StringComparer.Ordinal);
        return new AffinityTerm(selector, namespaces, LabelSelector.FromModel(term.NamespaceSelector), term.TopologyKey ?? "", weight);
    }

    /// <summary>
    /// <c>matchLabelKeys</c> as <c>key in (the pod's value)</c> and <c>mismatchLabelKeys</c> as <c>key notin (...)</c>,
    /// for keys the pod has, added to a copy of the term's selector; a null selector stays null (it matches nothing).
    /// </summary>
    /// <remarks>
    /// Upstream v1.32 merges these into the stored pod when it is created (the API server's pod strategy, feature
    /// MatchLabelKeysInPodAffinity, on by default), so its scheduler only ever sees merged selectors. Here the
    /// scheduler merges each pod's terms with that pod's own labels, which selects the same pods; merging a selector
    /// that was merged already adds requirements it holds already.
    /// </remarks>
    private static V1LabelSelector? WithLabelKeys(V1PodAffinityTerm term, IReadOnlyDictionary<string, string> labels)
    {
        if (term.LabelSelector is null || ((term.MatchLabelKeys is null || term.MatchLabelKeys.Count == 0) && (term.MismatchLabelKeys is null || term.MismatchLabelKeys.Count == 0)))
        {
            return term.LabelSelector;
        }

        var expressions = new List<V1LabelSelectorRequirement>(term.LabelSelector.MatchExpressions ?? []);
        foreach (var key in term.MatchLabelKeys ?? [])
        {
            if (labels.TryGetValue(key, out var value))
            {
                expressions.Add(new V1LabelSelectorRequirement { Key = key, OperatorProperty = "In", Values = [value] });
            }
        }

        foreach (var key in term.MismatchLabelKeys ?? [])
        {
            if (labels.TryGetValue(key, out var value))
            {
                expressions.Add(new V1LabelSelectorRequirement { Key = key, OperatorProperty = "NotIn", Values = [value] });
            }
        }

        return new V1LabelSelector { MatchLabels = term.LabelSelector.MatchLabels, MatchExpressions = expressions };
    }
}
