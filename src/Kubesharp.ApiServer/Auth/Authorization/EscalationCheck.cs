using k8s.Models;

namespace Kubesharp.ApiServer.Auth.Authorization;

/// <summary>
/// Upstream's <c>ConfirmNoEscalation</c> (<c>pkg/registry/rbac/validation/rule.go</c>): a user may grant
/// only permissions they hold themselves through RBAC in the namespace of the write (empty for cluster
/// scope), judged with <see cref="RuleCoverage.Covers"/>. Only RBAC rules count, not what the node or
/// privileged-groups authorizers would allow, as upstream. Stateless and thread-safe.
/// </summary>
internal static class EscalationCheck
{
    /// <summary>
    /// Upstream's <c>EscalationAllowed</c>: members of <c>system:masters</c> skip every escalation check
    /// (the API server's own loopback client is one).
    /// </summary>
    public static bool EscalationAllowed(UserInfo user) => user.InGroup(UserInfo.Masters);

    /// <summary>
    /// Null when <paramref name="user"/>'s own rules in <paramref name="namespace"/> cover every rule of
    /// <paramref name="rules"/>; otherwise upstream's message:
    /// <c>user "bob" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:</c>
    /// then one compact rule a line, then <c>; resolution errors: [...]</c> when some of the user's own
    /// bindings reference missing roles.
    /// </summary>
    public static string? ConfirmNoEscalation(RbacSnapshot snapshot, UserInfo user, string @namespace, IEnumerable<V1PolicyRule> rules)
    {
        var (ownerRules, errors) = RbacRuleResolver.RulesFor(snapshot, user, @namespace, registryText: true);
        if (RuleCoverage.Covers(ownerRules, rules, out var missing))
        {
            return null;
        }

        var message = $"user {GoText.Quote(user.Name)} (groups={GoText.QuoteSlice(user.Groups)}) is attempting to grant RBAC permissions not currently held:\n"
            + RuleText.Lines(RuleText.CompactRules(missing));
        if (errors.Count > 0)
        {
            message += "; resolution errors: [" + SubjectRules.Aggregate(errors) + "]";
        }

        return message;
    }
}
