using k8s.Models;

namespace Kubesharp.Controllers.ClusterRoleAggregation;

/// <summary>
/// The rules an aggregated ClusterRole should have, as upstream's clusterrole-aggregation controller computes
/// them: for each of <c>aggregationRule.clusterRoleSelectors</c> in order, the ClusterRoles whose labels match it,
/// sorted by name, the target itself left out, contribute their rules in order; a rule already gathered (equal
/// field by field, a null list equal to an empty one) is not added twice. Stateless; inputs are not modified.
/// </summary>
public static class AggregatedRules
{
    /// <exception cref="FormatException">A selector has an operator other than In, NotIn, Exists, DoesNotExist (upstream's LabelSelectorAsSelector fails).</exception>
    public static List<V1PolicyRule> For(V1ClusterRole target, IEnumerable<V1ClusterRole> all)
    {
        var rules = new List<V1PolicyRule>();
        if (target.AggregationRule?.ClusterRoleSelectors is not { } selectors)
        {
            return rules;
        }

        var roles = all.ToList();
        var targetName = target.Metadata?.Name ?? "";
        foreach (var selector in selectors)
        {
            var selected = roles
                .Where(r => (r.Metadata?.Name ?? "") != targetName && Matches(selector, r.Metadata?.Labels))
                .OrderBy(r => r.Metadata?.Name ?? "", StringComparer.Ordinal);
            foreach (var role in selected)
            {
                foreach (var rule in role.Rules ?? [])
                {
                    if (!rules.Any(existing => RuleEquals(existing, rule)))
                    {
                        rules.Add(rule);
                    }
                }
            }
        }

        return rules;
    }

    /// <summary>Upstream's semantic equality of rule lists (equality.Semantic.DeepEqual): same rules in the same order, null equal to empty.</summary>
    public static bool Equal(IList<V1PolicyRule>? a, IList<V1PolicyRule>? b)
    {
        var left = a ?? [];
        var right = b ?? [];
        if (left.Count != right.Count)
        {
            return false;
        }

        for (var i = 0; i < left.Count; i++)
        {
            if (!RuleEquals(left[i], right[i]))
            {
                return false;
            }
        }

        return true;
    }

    public static bool RuleEquals(V1PolicyRule a, V1PolicyRule b) =>
        ListEquals(a.Verbs, b.Verbs)
        && ListEquals(a.ApiGroups, b.ApiGroups)
        && ListEquals(a.Resources, b.Resources)
        && ListEquals(a.ResourceNames, b.ResourceNames)
        && ListEquals(a.NonResourceURLs, b.NonResourceURLs);

    /// <summary><c>metav1.LabelSelectorAsSelector</c> applied to a role's labels; an empty selector matches every role.</summary>
    public static bool Matches(V1LabelSelector selector, IDictionary<string, string>? labels)
    {
        labels ??= new Dictionary<string, string>();
        foreach (var (key, value) in selector.MatchLabels ?? new Dictionary<string, string>())
        {
            if (!labels.TryGetValue(key, out var actual) || actual != value)
            {
                return false;
            }
        }

        foreach (var expression in selector.MatchExpressions ?? [])
        {
            var has = labels.TryGetValue(expression.Key ?? "", out var actual);
            var values = expression.Values ?? [];
            var ok = expression.OperatorProperty switch
            {
                "In" => has && values.Contains(actual!, StringComparer.Ordinal),
                "NotIn" => !has || !values.Contains(actual!, StringComparer.Ordinal),
                "Exists" => has,
                "DoesNotExist" => !has,
                var other => throw new FormatException($"\"{other}\" is not a valid label selector operator"),
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private static bool ListEquals(IList<string>? a, IList<string>? b) => (a ?? []).SequenceEqual(b ?? [], StringComparer.Ordinal);
}
