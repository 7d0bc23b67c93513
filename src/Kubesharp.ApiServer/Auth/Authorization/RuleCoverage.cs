using k8s.Models;

namespace Kubesharp.ApiServer.Auth.Authorization;

/// <summary>
/// Whether one set of rules grants at least everything another does, as upstream's
/// <c>component-helpers/auth/rbac/validation.Covers</c>: every servant rule is broken down into atoms of
/// one API group, one resource, one verb and at most one resource name (or one non-resource URL and one
/// verb), and each atom must be covered by a single owner rule. An owner's <c>*</c> covers every verb,
/// group or resource; an owner's <c>*/sub</c> covers <c>x/sub</c>; an owner without resource names covers
/// any name, one with names covers only those names and never a nameless atom; a non-resource URL ending
/// in <c>*</c> covers by prefix. A servant's <c>*</c> is an atom like any other, so only an owner's
/// <c>*</c> covers it. Stateless and thread-safe.
/// </summary>
internal static class RuleCoverage
{
    public static bool Covers(IEnumerable<V1PolicyRule> ownerRules, IEnumerable<V1PolicyRule> servantRules, out List<V1PolicyRule> uncovered)
    {
        var owners = ownerRules as IReadOnlyCollection<V1PolicyRule> ?? ownerRules.ToList();
        uncovered = [];
        foreach (var servantRule in servantRules)
        {
            foreach (var atom in Breakdown(servantRule))
            {
                if (!owners.Any(owner => RuleCovers(owner, atom)))
                {
                    uncovered.Add(atom);
                }
            }
        }

        return uncovered.Count == 0;
    }

    /// <summary>Upstream's <c>BreakdownRule</c>: the equivalent rules of at most one verb, resource and resource name each.</summary>
    public static List<V1PolicyRule> Breakdown(V1PolicyRule rule)
    {
        var atoms = new List<V1PolicyRule>();
        var verbs = rule.Verbs ?? [];
        foreach (var group in rule.ApiGroups ?? [])
        {
            foreach (var resource in rule.Resources ?? [])
            {
                foreach (var verb in verbs)
                {
                    if (rule.ResourceNames is { Count: > 0 } names)
                    {
                        foreach (var name in names)
                        {
                            atoms.Add(new V1PolicyRule { ApiGroups = [group], Resources = [resource], Verbs = [verb], ResourceNames = [name] });
                        }
                    }
                    else
                    {
                        atoms.Add(new V1PolicyRule { ApiGroups = [group], Resources = [resource], Verbs = [verb] });
                    }
                }
            }
        }

        // Non-resource URLs combine only with verbs.
        foreach (var url in rule.NonResourceURLs ?? [])
        {
            foreach (var verb in verbs)
            {
                atoms.Add(new V1PolicyRule { NonResourceURLs = [url], Verbs = [verb] });
            }
        }

        return atoms;
    }

    private static bool RuleCovers(V1PolicyRule owner, V1PolicyRule atom)
    {
        var verbMatches = Has(owner.Verbs, PolicyRuleMatching.All) || HasAll(owner.Verbs, atom.Verbs);
        var groupMatches = Has(owner.ApiGroups, PolicyRuleMatching.All) || HasAll(owner.ApiGroups, atom.ApiGroups);
        var resourceMatches = ResourcesCoverAll(owner.Resources, atom.Resources);
        var urlMatches = NonResourceUrlsCoverAll(owner.NonResourceURLs, atom.NonResourceURLs);
        var nameMatches = atom.ResourceNames is not { Count: > 0 }
            ? owner.ResourceNames is not { Count: > 0 }
            : owner.ResourceNames is not { Count: > 0 } || HasAll(owner.ResourceNames, atom.ResourceNames);
        return verbMatches && groupMatches && resourceMatches && nameMatches && urlMatches;
    }

    private static bool ResourcesCoverAll(IList<string>? owner, IList<string>? covered)
    {
        if (Has(owner, PolicyRuleMatching.All) || HasAll(owner, covered))
        {
            return true;
        }

        foreach (var path in covered ?? [])
        {
            if (Has(owner, path))
            {
                continue;
            }

            var slash = path.IndexOf('/', StringComparison.Ordinal);
            if (slash < 0 || !Has(owner, "*/" + path[(slash + 1)..]))
            {
                return false;
            }
        }

        return true;
    }

    private static bool NonResourceUrlsCoverAll(IList<string>? owner, IList<string>? covered)
    {
        foreach (var path in covered ?? [])
        {
            var isCovered = false;
            foreach (var ownerPath in owner ?? [])
            {
                if (ownerPath == path || (ownerPath.EndsWith('*') && path.StartsWith(ownerPath.TrimEnd('*'), StringComparison.Ordinal)))
                {
                    isCovered = true;
                    break;
                }
            }

            if (!isCovered)
            {
                return false;
            }
        }

        return true;
    }

    private static bool Has(IList<string>? set, string value) => set is not null && set.Contains(value, StringComparer.Ordinal);

    private static bool HasAll(IList<string>? set, IList<string>? values)
    {
        foreach (var value in values ?? [])
        {
            if (!Has(set, value))
            {
                return false;
            }
        }

        return true;
    }
}
