using k8s.Models;
using Kubesharp.Api.Errors;
using Kubesharp.Api.Selectors;
using Kubesharp.Scheduler.Framework;

namespace Kubesharp.Scheduler.Plugins.PodTopologySpread;

/// <summary>Building the selectors spreading counts pods with. Built once per pod and cycle, never per node.</summary>
internal static class SpreadSelectors
{
    private static readonly Dictionary<string, string> NoLabels = new(StringComparer.Ordinal);

    /// <summary>An object's labels as the selector matching reads them, without copying the usual dictionary.</summary>
    public static IReadOnlyDictionary<string, string> LabelsOf(V1ObjectMeta? metadata) => metadata?.Labels switch
    {
        null => NoLabels,
        IReadOnlyDictionary<string, string> readOnly => readOnly,
        var other => new Dictionary<string, string>(other, StringComparer.Ordinal),
    };

    /// <summary>
    /// A constraint's selector with <c>matchLabelKeys</c> merged in (v1.32 merges in the scheduler): each key the pod
    /// has becomes a <c>key in (value)</c> requirement ANDed with the selector. As upstream, a constraint without a
    /// <c>labelSelector</c> then selects by those labels alone instead of selecting nothing.
    /// </summary>
    /// <exception cref="StatusException">The constraint's selector is invalid (the API server refuses such pods).</exception>
    public static LabelSelector ForConstraint(V1TopologySpreadConstraint constraint, IReadOnlyDictionary<string, string> podLabels)
    {
        Dictionary<string, string>? fromKeys = null;
        foreach (var key in constraint.MatchLabelKeys ?? [])
        {
            if (podLabels.TryGetValue(key, out var value))
            {
                (fromKeys ??= new(StringComparer.Ordinal))[key] = value;
            }
        }

        if (fromKeys is null)
        {
            return LabelSelector.FromModel(constraint.LabelSelector);
        }

        return constraint.LabelSelector is null ? LabelSelector.FromSet(fromKeys) : And(constraint.LabelSelector, fromKeys);
    }

    /// <summary>
    /// Upstream's <c>helper.DefaultSelector</c>: the labels of every Service in the pod's namespace whose selector
    /// matches the pod, merged, ANDed with the selector of the ReplicationController, ReplicaSet or StatefulSet that
    /// controls the pod. Empty when nothing selects the pod (then no default constraint applies).
    /// </summary>
    public static LabelSelector Default(V1Pod pod, IObjectLister objects)
    {
        var ns = pod.Metadata.NamespaceProperty;
        var podLabels = LabelsOf(pod.Metadata);
        var set = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var service in objects.List<V1Service>(ns))
        {
            // A Service without a selector selects nothing, not everything.
            if (service.Spec?.Selector is { } selector && IsSubset(selector, podLabels))
            {
                Merge(set, selector);
            }
        }

        var owner = pod.Metadata.OwnerReferences?.FirstOrDefault(o => o.Controller == true);
        V1LabelSelector? ownerSelector = null;
        switch (owner?.ApiVersion, owner?.Kind)
        {
            case ("v1", "ReplicationController"):
                if (objects.Get<V1ReplicationController>(ns, owner.Name)?.Spec?.Selector is { } rcSelector)
                {
                    Merge(set, rcSelector);
                }

                break;
            case ("apps/v1", "ReplicaSet"):
                ownerSelector = objects.Get<V1ReplicaSet>(ns, owner.Name)?.Spec?.Selector;
                break;
            case ("apps/v1", "StatefulSet"):
                ownerSelector = objects.Get<V1StatefulSet>(ns, owner.Name)?.Spec?.Selector;
                break;
        }

        var fromSet = LabelSelector.FromSet(set);
        if (ownerSelector is null)
        {
            return fromSet;
        }

        try
        {
            return And(ownerSelector, set);
        }
        catch (StatusException)
        {
            // Upstream leaves an owner's selector that does not parse out of the default.
            return fromSet;
        }
    }

    private static LabelSelector And(V1LabelSelector selector, IReadOnlyDictionary<string, string> labels)
    {
        // As match expressions rather than merged matchLabels, so that a key both sides name keeps both requirements.
        var expressions = new List<V1LabelSelectorRequirement>(selector.MatchExpressions ?? []);
        foreach (var (key, value) in labels)
        {
            expressions.Add(new V1LabelSelectorRequirement { Key = key, OperatorProperty = "In", Values = [value] });
        }

        return LabelSelector.FromModel(new V1LabelSelector { MatchLabels = selector.MatchLabels, MatchExpressions = expressions });
    }

    private static bool IsSubset(IDictionary<string, string> selector, IReadOnlyDictionary<string, string> labels)
    {
        foreach (var (key, value) in selector)
        {
            if (!labels.TryGetValue(key, out var actual) || actual != value)
            {
                return false;
            }
        }

        return true;
    }

    private static void Merge(Dictionary<string, string> into, IDictionary<string, string> from)
    {
        foreach (var (key, value) in from)
        {
            into[key] = value;
        }
    }
}
