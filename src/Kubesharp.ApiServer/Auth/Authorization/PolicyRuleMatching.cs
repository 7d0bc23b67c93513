using k8s.Models;

namespace Kubesharp.ApiServer.Auth.Authorization;

/// <summary>
/// Whether one RBAC <see cref="V1PolicyRule"/> allows a request, as upstream's
/// <c>pkg/apis/rbac/v1/evaluation_helpers.go</c> and <c>rbac.RuleAllows</c>: <c>*</c> matches every verb,
/// API group, resource or non-resource URL; <c>*/sub</c> matches that subresource of every resource;
/// a non-resource URL ending in <c>*</c> matches by prefix; an empty <c>resourceNames</c> matches every
/// name, otherwise only a request whose name is listed (so never a list, watch or create without a name).
/// Null lists (as the typed models read absent fields) match nothing, as Go's nil slices.
/// Stateless and thread-safe.
/// </summary>
internal static class PolicyRuleMatching
{
    public const string All = "*";

    public static bool RuleAllows(RequestAttributes request, V1PolicyRule rule)
    {
        if (request.IsResourceRequest)
        {
            var combinedResource = request.Subresource.Length > 0 ? request.Resource + "/" + request.Subresource : request.Resource;
            return VerbMatches(rule, request.Verb)
                && ApiGroupMatches(rule, request.ApiGroup)
                && ResourceMatches(rule, combinedResource, request.Subresource)
                && ResourceNameMatches(rule, request.Name);
        }

        return VerbMatches(rule, request.Verb) && NonResourceUrlMatches(rule, request.Path);
    }

    public static bool RulesAllow(RequestAttributes request, IEnumerable<V1PolicyRule> rules)
    {
        foreach (var rule in rules)
        {
            if (RuleAllows(request, rule))
            {
                return true;
            }
        }

        return false;
    }

    public static bool VerbMatches(V1PolicyRule rule, string verb) => ContainsOrAll(rule.Verbs, verb);

    public static bool ApiGroupMatches(V1PolicyRule rule, string group) => ContainsOrAll(rule.ApiGroups, group);

    /// <param name="combinedResource"><c>resource</c> or <c>resource/subresource</c>.</param>
    public static bool ResourceMatches(V1PolicyRule rule, string combinedResource, string subresource)
    {
        if (rule.Resources is not { } resources)
        {
            return false;
        }

        foreach (var ruleResource in resources)
        {
            if (ruleResource == All || ruleResource == combinedResource)
            {
                return true;
            }

            // "*/scale" matches the scale subresource of every resource, and nothing without a subresource.
            if (subresource.Length > 0
                && ruleResource.Length == subresource.Length + 2
                && ruleResource.StartsWith("*/", StringComparison.Ordinal)
                && ruleResource.EndsWith(subresource, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    public static bool ResourceNameMatches(V1PolicyRule rule, string name)
    {
        if (rule.ResourceNames is not { Count: > 0 } names)
        {
            return true;
        }

        foreach (var ruleName in names)
        {
            if (ruleName == name)
            {
                return true;
            }
        }

        return false;
    }

    public static bool NonResourceUrlMatches(V1PolicyRule rule, string path)
    {
        if (rule.NonResourceURLs is not { } urls)
        {
            return false;
        }

        foreach (var ruleUrl in urls)
        {
            if (ruleUrl == All || ruleUrl == path)
            {
                return true;
            }

            if (ruleUrl.EndsWith('*') && path.StartsWith(ruleUrl.TrimEnd('*'), StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static bool ContainsOrAll(IList<string>? values, string value)
    {
        if (values is null)
        {
            return false;
        }

        foreach (var v in values)
        {
            if (v == All || v == value)
            {
                return true;
            }
        }

        return false;
    }
}
