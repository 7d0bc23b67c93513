using k8s.Models;

namespace Kubesharp.Api.Auth;

/// <summary>
/// The rules an aggregated ClusterRole should have, as upstream's clusterrole-aggregation controller
/// computes them: for each of <c>aggregationRule.clusterRoleSelectors</c> in order, the ClusterRoles whose
/// labels match it, sorted by name, the target itself left out, contribute their rules in order; a rule
/// already gathered (equal field by field, a null list equal to an empty one) is not added twice.
/// </summary>
/// <remarks>
/// The controller converges: when an aggregated role is itself selected (edit into admin), a change to it
/// changes its aggregators on their next sync. <see cref="AggregateAll"/> runs that to a fixed point over a
/// set of roles. An invalid selector (unknown operator) throws from <see cref="Matches"/> as upstream's
/// LabelSelectorAsSelector fails: the controller then gives up on that role, as upstream's does; the API
/// server's start-up aggregation (<see cref="AggregateAll"/>) lets it select nothing instead.
/// Shared by the API server and the controller manager. Stateless and thread-safe; the inputs are not modified.
/// </remarks>
public static class ClusterRoleAggregation
{
    /// <param name="invalidSelectsNothing">True: a selector with an unknown operator matches no role; false: it throws <see cref="FormatException"/>.</param>
    public static List<V1PolicyRule> Aggregate(V1ClusterRole target, IEnumerable<V1ClusterRole> all, bool invalidSelectsNothing = false)
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
                .Where(r => (r.Metadata?.Name ?? "") != targetName && Selects(selector, r.Metadata?.Labels, invalidSelectsNothing))
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

    /// <summary>
    /// Copies of <paramref name="roles"/> with every aggregated role's rules recomputed until nothing
    /// changes (at most as many rounds as there are roles, which bounds a cycle of aggregations).
    /// </summary>
    public static List<V1ClusterRole> AggregateAll(IEnumerable<V1ClusterRole> roles)
    {
        var current = roles.Select(ShallowCopy).ToList();
        for (var round = 0; round <= current.Count; round++)
        {
            var changed = false;
            foreach (var role in current)
            {
                if (role.AggregationRule is null)
                {
                    continue;
                }

                var rules = Aggregate(role, current, invalidSelectsNothing: true);
                if (!RulesEqual(rules, role.Rules))
                {
                    role.Rules = rules;
                    changed = true;
                }
            }

            if (!changed)
            {
                break;
            }
        }

        return current;
    }

    /// <summary>Upstream's semantic equality of rule lists: same rules in the same order, null equal to empty.</summary>
    public static bool RulesEqual(IList<V1PolicyRule>? a, IList<V1PolicyRule>? b)
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
    /// <exception cref="FormatException">An operator other than In, NotIn, Exists, DoesNotExist.</exception>
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

    private static bool Selects(V1LabelSelector selector, IDictionary<string, string>? labels, bool invalidSelectsNothing)
    {
        try
        {
            return Matches(selector, labels);
        }
        catch (FormatException) when (invalidSelectsNothing)
        {
            return false;
        }
    }

    private static bool ListEquals(IList<string>? a, IList<string>? b) => (a ?? []).SequenceEqual(b ?? [], StringComparer.Ordinal);

    private static V1ClusterRole ShallowCopy(V1ClusterRole role) => new()
    {
        ApiVersion = role.ApiVersion,
        Kind = role.Kind,
        Metadata = role.Metadata,
        AggregationRule = role.AggregationRule,
        Rules = role.Rules,
    };
}
