using k8s.Models;

namespace Kubesharp.ApiServer.Auth.Authorization;

/// <summary>
/// What a user may do in a namespace, as a SelfSubjectRulesReview reports it: resource rules,
/// non-resource rules, whether the list is incomplete (an authorizer that cannot enumerate its
/// decisions, such as the node authorizer, says so), and the errors met building it. The lists may
/// contain duplicates and are in no particular order, as upstream's. Immutable.
/// </summary>
internal sealed record SubjectRules(
    IReadOnlyList<V1ResourceRule> ResourceRules,
    IReadOnlyList<V1NonResourceRule> NonResourceRules,
    bool Incomplete,
    IReadOnlyList<string> Errors)
{
    public static SubjectRules Empty { get; } = new([], [], false, []);

    /// <summary>
    /// <c>status.evaluationError</c>: null without errors, else the text of upstream's aggregate error
    /// (one message alone, else the distinct messages comma-separated in brackets).
    /// </summary>
    public string? EvaluationError => Errors.Count == 0 ? null : Aggregate(Errors);

    /// <summary>Upstream's union authorizer's <c>RulesFor</c>: the concatenation of every part, incomplete when any part is.</summary>
    public static SubjectRules Union(IEnumerable<SubjectRules> parts)
    {
        var resourceRules = new List<V1ResourceRule>();
        var nonResourceRules = new List<V1NonResourceRule>();
        var errors = new List<string>();
        var incomplete = false;
        foreach (var part in parts)
        {
            resourceRules.AddRange(part.ResourceRules);
            nonResourceRules.AddRange(part.NonResourceRules);
            errors.AddRange(part.Errors);
            incomplete |= part.Incomplete;
        }

        return new SubjectRules(resourceRules, nonResourceRules, incomplete, errors);
    }

    /// <summary>The review's rules made from RBAC policy rules, as upstream's <c>RBACAuthorizer.RulesFor</c> splits them.</summary>
    public static SubjectRules FromPolicyRules(IEnumerable<V1PolicyRule> rules, IReadOnlyList<string> errors, bool incomplete = false)
    {
        var resourceRules = new List<V1ResourceRule>();
        var nonResourceRules = new List<V1NonResourceRule>();
        foreach (var rule in rules)
        {
            if (rule.Resources is { Count: > 0 })
            {
                resourceRules.Add(new V1ResourceRule
                {
                    Verbs = rule.Verbs?.ToList() ?? [],
                    ApiGroups = rule.ApiGroups?.ToList(),
                    Resources = rule.Resources.ToList(),
                    ResourceNames = rule.ResourceNames is { Count: > 0 } names ? names.ToList() : null,
                });
            }

            if (rule.NonResourceURLs is { Count: > 0 })
            {
                nonResourceRules.Add(new V1NonResourceRule
                {
                    Verbs = rule.Verbs?.ToList() ?? [],
                    NonResourceURLs = rule.NonResourceURLs.ToList(),
                });
            }
        }

        return new SubjectRules(resourceRules, nonResourceRules, incomplete, errors);
    }

    internal static string Aggregate(IReadOnlyList<string> messages)
    {
        if (messages.Count == 1)
        {
            return messages[0];
        }

        var distinct = messages.Distinct(StringComparer.Ordinal).ToList();
        return distinct.Count == 1 ? distinct[0] : "[" + string.Join(", ", distinct) + "]";
    }
}

/// <summary>
/// An authorizer that can also list what a user may do, for SelfSubjectRulesReview (upstream's
/// <c>authorizer.RuleResolver</c>). Safe to call concurrently.
/// </summary>
internal interface ISubjectRulesResolver
{
    SubjectRules RulesFor(UserInfo user, string @namespace);
}
