using System.Text;
using k8s.Models;

namespace Kubesharp.ApiServer.Auth.Authorization;

/// <summary>
/// Upstream's text of rules in escalation messages: <c>CompactString</c>
/// (<c>{APIGroups:[""], Resources:["pods"], Verbs:["get" "list"]}</c>, empty fields left out) and
/// <c>CompactRules</c>, which folds the atoms of a <see cref="RuleCoverage"/> breakdown that differ only
/// by verb back into one rule. Stateless and thread-safe.
/// </summary>
internal static class RuleText
{
    public static string CompactString(V1PolicyRule rule)
    {
        var parts = new List<string>(5);
        Add("APIGroups", rule.ApiGroups);
        Add("Resources", rule.Resources);
        Add("NonResourceURLs", rule.NonResourceURLs);
        Add("ResourceNames", rule.ResourceNames);
        Add("Verbs", rule.Verbs);
        return "{" + string.Join(", ", parts) + "}";

        void Add(string field, IList<string>? values)
        {
            if (values is { Count: > 0 })
            {
                parts.Add(field + ":" + GoText.QuoteSlice(values));
            }
        }
    }

    /// <summary>
    /// Rules of one API group, one resource and at most one resource name, nothing else, are merged when
    /// they differ only by verb (verbs kept in order); other rules pass through unchanged.
    /// </summary>
    public static List<V1PolicyRule> CompactRules(IEnumerable<V1PolicyRule> rules)
    {
        var compacted = new List<V1PolicyRule>();
        var simple = new Dictionary<(string Group, string Resource, bool HasName, string Name), V1PolicyRule>();
        var simpleOrder = new List<V1PolicyRule>();
        foreach (var rule in rules)
        {
            if (IsSimple(rule, out var key))
            {
                if (simple.TryGetValue(key, out var existing))
                {
                    foreach (var verb in rule.Verbs ?? [])
                    {
                        existing.Verbs.Add(verb);
                    }
                }
                else
                {
                    var copy = new V1PolicyRule
                    {
                        ApiGroups = rule.ApiGroups!.ToList(),
                        Resources = rule.Resources!.ToList(),
                        Verbs = rule.Verbs?.ToList() ?? [],
                        ResourceNames = rule.ResourceNames is { Count: > 0 } names ? names.ToList() : null,
                    };
                    simple[key] = copy;
                    simpleOrder.Add(copy);
                }
            }
            else
            {
                compacted.Add(rule);
            }
        }

        compacted.AddRange(simpleOrder);
        return compacted;
    }

    /// <summary>The sorted, distinct compact strings of rules, one a line, as upstream lists what is missing.</summary>
    public static string Lines(IEnumerable<V1PolicyRule> rules)
    {
        var sb = new StringBuilder();
        foreach (var line in rules.Select(CompactString).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            if (sb.Length > 0)
            {
                sb.Append('\n');
            }

            sb.Append(line);
        }

        return sb.ToString();
    }

    private static bool IsSimple(V1PolicyRule rule, out (string, string, bool, string) key)
    {
        key = default;
        if (rule.ResourceNames is { Count: > 1 } || rule.NonResourceURLs is { Count: > 0 })
        {
            return false;
        }

        if (rule.ApiGroups is not { Count: 1 } groups || rule.Resources is not { Count: 1 } resources)
        {
            return false;
        }

        var hasName = rule.ResourceNames is { Count: 1 };
        key = (groups[0], resources[0], hasName, hasName ? rule.ResourceNames![0] : "");
        return true;
    }
}
