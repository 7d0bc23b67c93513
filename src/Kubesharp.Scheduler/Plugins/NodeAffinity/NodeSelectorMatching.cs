using System.Globalization;
using k8s.Models;

namespace Kubesharp.Scheduler.Plugins.NodeAffinity;

/// <summary>Upstream's node selector semantics: terms are ORed, a term's expressions and fields ANDed, an empty term matches nothing.</summary>
public static class NodeSelectorMatching
{
    public static bool MatchesNodeSelector(IDictionary<string, string>? selector, V1Node node)
    {
        if (selector is null || selector.Count == 0)
        {
            return true;
        }

        var labels = node.Metadata.Labels;
        foreach (var (key, value) in selector)
        {
            if (labels is null || !labels.TryGetValue(key, out var actual) || actual != value)
            {
                return false;
            }
        }

        return true;
    }

    public static bool MatchesAnyTerm(IList<V1NodeSelectorTerm>? terms, V1Node node)
    {
        if (terms is null)
        {
            return false;
        }

        foreach (var term in terms)
        {
            if (MatchesTerm(term, node))
            {
                return true;
            }
        }

        return false;
    }

    public static bool MatchesTerm(V1NodeSelectorTerm term, V1Node node)
    {
        var expressions = term.MatchExpressions ?? [];
        var fields = term.MatchFields ?? [];
        if (expressions.Count == 0 && fields.Count == 0)
        {
            return false;
        }

        foreach (var requirement in expressions)
        {
            var labels = node.Metadata.Labels;
            string? value = null;
            var has = labels is not null && labels.TryGetValue(requirement.Key, out value);
            if (!Matches(requirement, has, value))
            {
                return false;
            }
        }

        foreach (var requirement in fields)
        {
            // Only metadata.name is a valid field (validation refuses others).
            var has = requirement.Key == "metadata.name";
            if (!has || !Matches(requirement, has, node.Metadata.Name))
            {
                return false;
            }
        }

        return true;
    }

    private static bool Matches(V1NodeSelectorRequirement requirement, bool has, string? value)
    {
        var values = requirement.Values ?? [];
        switch (requirement.OperatorProperty)
        {
            case "In":
                return has && values.Contains(value!);
            case "NotIn":
                return !has || !values.Contains(value!);
            case "Exists":
                return has;
            case "DoesNotExist":
                return !has;
            case "Gt":
            case "Lt":
                if (!has || values.Count != 1
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
}
