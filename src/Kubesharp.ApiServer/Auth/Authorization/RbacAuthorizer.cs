using System.Text;
using k8s.Models;

namespace Kubesharp.ApiServer.Auth.Authorization;

/// <summary>
/// Upstream's RBAC authorizer: allows a request when any rule bound to the user (through a
/// ClusterRoleBinding, or a RoleBinding in the request's namespace) allows it, with the reason
/// <c>RBAC: allowed by ClusterRoleBinding "x" of ClusterRole "y" to User "z"</c>; otherwise it has no
/// opinion, with an empty reason, or <c>RBAC: ...</c> listing the bindings whose roles are missing.
/// RBAC never denies. <c>system:masters</c> is not special here (see <see cref="PrivilegedGroupsAuthorizer"/>).
/// </summary>
/// <remarks>
/// Reads the current <see cref="RbacSnapshot"/> from the given source on every call, so the owner swaps
/// policy by publishing a new snapshot. Decisions are cached per user name, groups and request attributes,
/// for the snapshot they were made against (a new snapshot invalidates them), in a bounded
/// <see cref="DecisionCache"/>. Thread-safe.
/// </remarks>
internal sealed class RbacAuthorizer : IAuthorizer, ISubjectRulesResolver
{
    public const int DefaultDecisionCacheCapacity = 8192;

    private readonly Func<RbacSnapshot> _snapshot;
    private readonly DecisionCache _cache;

    public RbacAuthorizer(Func<RbacSnapshot> snapshot, int decisionCacheCapacity = DefaultDecisionCacheCapacity)
    {
        _snapshot = snapshot;
        _cache = new DecisionCache(decisionCacheCapacity);
    }

    /// <summary>How many decisions the cache holds, for tests and metrics.</summary>
    internal int CachedDecisions => _cache.Count;

    public AuthorizationDecision Authorize(RequestAttributes attributes)
    {
        var snapshot = _snapshot();
        var key = CacheKey(attributes);
        if (_cache.TryGet(snapshot.Version, key, out var decision))
        {
            return decision;
        }

        decision = Evaluate(snapshot, attributes);
        _cache.Set(snapshot.Version, key, decision);
        return decision;
    }

    /// <summary>The decision without the cache.</summary>
    internal static AuthorizationDecision Evaluate(RbacSnapshot snapshot, RequestAttributes attributes)
    {
        var visitor = new AuthorizingVisitor(attributes);
        RbacRuleResolver.VisitRulesFor(snapshot, attributes.User, attributes.Namespace, visitor);
        if (visitor.AllowedBy is { } reason)
        {
            return AuthorizationDecision.Allow(reason);
        }

        return visitor.Errors is { Count: > 0 } errors
            ? AuthorizationDecision.NoOpinion("RBAC: " + SubjectRules.Aggregate(errors))
            : AuthorizationDecision.NoOpinion();
    }

    /// <summary>
    /// Upstream's <c>RBACAuthorizer.RulesFor</c>: every rule bound to the user in the namespace, never
    /// incomplete; a missing role is an evaluation error, and the rules found are still reported.
    /// </summary>
    public SubjectRules RulesFor(UserInfo user, string @namespace)
    {
        var (rules, errors) = RbacRuleResolver.RulesFor(_snapshot(), user, @namespace);
        return SubjectRules.FromPolicyRules(rules, errors);
    }

    /// <summary>
    /// Everything RBAC's decision depends on: the user's name and groups and the request's attributes
    /// but its API version; each part length-prefixed so that no name can forge another key.
    /// </summary>
    internal static string CacheKey(RequestAttributes a)
    {
        var sb = new StringBuilder(128);
        Append(sb, a.User.Name);
        sb.Append(a.User.Groups.Count).Append('|');
        foreach (var group in a.User.Groups)
        {
            Append(sb, group);
        }

        Append(sb, a.Verb);
        sb.Append(a.IsResourceRequest ? 'R' : 'N');
        if (a.IsResourceRequest)
        {
            Append(sb, a.ApiGroup);
            Append(sb, a.Resource);
            Append(sb, a.Subresource);
            Append(sb, a.Namespace);
            Append(sb, a.Name);
        }
        else
        {
            Append(sb, a.Path);
        }

        return sb.ToString();

        static void Append(StringBuilder sb, string part) => sb.Append(part.Length).Append(':').Append(part);
    }

    private sealed class AuthorizingVisitor(RequestAttributes attributes) : IRuleVisitor
    {
        public string? AllowedBy { get; private set; }

        public List<string>? Errors { get; private set; }

        public bool VisitRule(in RuleSource source, V1PolicyRule rule)
        {
            if (PolicyRuleMatching.RuleAllows(attributes, rule))
            {
                AllowedBy = "RBAC: allowed by " + source.Describe();
                return false;
            }

            return true;
        }

        public void VisitError(string error) => (Errors ??= []).Add(error);
    }
}
