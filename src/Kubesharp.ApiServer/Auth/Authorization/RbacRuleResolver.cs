using k8s.Models;

namespace Kubesharp.ApiServer.Auth.Authorization;

/// <summary>
/// Visits the rules that apply to a user in a namespace, as upstream's <c>DefaultRuleResolver.VisitRulesFor</c>:
/// first the rules of every ClusterRoleBinding naming the user (or one of their groups, or their service
/// account), then, when the namespace is not empty, those of the namespace's RoleBindings. A RoleBinding
/// may reference a ClusterRole, whose rules then apply in that namespace only; a cluster-scoped request
/// (empty namespace) never looks at RoleBindings, so a Role naming cluster-scoped resources grants nothing
/// on them. A binding whose role does not exist yields an error (with upstream's lister text) and the
/// visit goes on. Stateless and thread-safe over an immutable <see cref="RbacSnapshot"/>.
/// </summary>
internal static class RbacRuleResolver
{
    /// <param name="registryText">
    /// Word a missing role as the registry does (<c>clusterroles.rbac.authorization.k8s.io "x" not found</c>),
    /// for the write checks, instead of as the authorizer's listers do (<c>clusterrole.rbac...</c>).
    /// </param>
    public static void VisitRulesFor(RbacSnapshot snapshot, UserInfo user, string @namespace, IRuleVisitor visitor, bool registryText = false)
    {
        var clusterBindings = new List<(V1ClusterRoleBinding Binding, Rbacv1Subject Subject)>();
        snapshot.ClusterRoleBindingIndex.CollectApplying(user, clusterBindings);
        foreach (var (binding, subject) in clusterBindings)
        {
            var rules = GetRoleReferenceRules(snapshot, binding.RoleRef, "", out var error, registryText);
            if (rules is null)
            {
                visitor.VisitError(error!);
                continue;
            }

            var source = new RuleSource(binding, null, subject);
            foreach (var rule in rules)
            {
                if (!visitor.VisitRule(source, rule))
                {
                    return;
                }
            }
        }

        if (@namespace.Length == 0 || snapshot.RoleBindingIndex(@namespace) is not { } roleBindingIndex)
        {
            return;
        }

        var roleBindings = new List<(V1RoleBinding Binding, Rbacv1Subject Subject)>();
        roleBindingIndex.CollectApplying(user, roleBindings);
        foreach (var (binding, subject) in roleBindings)
        {
            var rules = GetRoleReferenceRules(snapshot, binding.RoleRef, @namespace, out var error, registryText);
            if (rules is null)
            {
                visitor.VisitError(error!);
                continue;
            }

            var source = new RuleSource(null, binding, subject);
            foreach (var rule in rules)
            {
                if (!visitor.VisitRule(source, rule))
                {
                    return;
                }
            }
        }
    }

    /// <summary>Every rule that applies, and the errors met resolving them (the rules are still valid: RBAC only adds).</summary>
    public static (List<V1PolicyRule> Rules, List<string> Errors) RulesFor(RbacSnapshot snapshot, UserInfo user, string @namespace, bool registryText = false)
    {
        var accumulator = new RuleAccumulator();
        VisitRulesFor(snapshot, user, @namespace, accumulator, registryText);
        return (accumulator.Rules, accumulator.Errors);
    }

    /// <summary>
    /// The rules of the role a binding references, or null with the reason when there is no such role.
    /// <paramref name="bindingNamespace"/> is the binding's namespace, empty for a ClusterRoleBinding.
    /// </summary>
    public static IList<V1PolicyRule>? GetRoleReferenceRules(RbacSnapshot snapshot, V1RoleRef? roleRef, string bindingNamespace, out string? error, bool registryText = false)
    {
        error = null;
        var name = roleRef?.Name ?? "";
        switch (roleRef?.Kind)
        {
            case RbacNames.RoleKind:
                if (snapshot.GetRole(bindingNamespace, name) is { } role)
                {
                    return role.Rules ?? [];
                }

                // A client-go lister's NotFound names the resource in the singular; the registry's in the plural.
                error = $"{(registryText ? "roles" : "role")}.rbac.authorization.k8s.io {GoText.Quote(name)} not found";
                return null;

            case RbacNames.ClusterRoleKind:
                if (snapshot.GetClusterRole(name) is { } clusterRole)
                {
                    return clusterRole.Rules ?? [];
                }

                error = $"{(registryText ? "clusterroles" : "clusterrole")}.rbac.authorization.k8s.io {GoText.Quote(name)} not found";
                return null;

            default:
                error = $"unsupported role reference kind: {GoText.Quote(roleRef?.Kind ?? "")}";
                return null;
        }
    }

    private sealed class RuleAccumulator : IRuleVisitor
    {
        public List<V1PolicyRule> Rules { get; } = [];

        public List<string> Errors { get; } = [];

        public bool VisitRule(in RuleSource source, V1PolicyRule rule)
        {
            Rules.Add(rule);
            return true;
        }

        public void VisitError(string error) => Errors.Add(error);
    }
}

/// <summary>Receives the rules a <see cref="RbacRuleResolver"/> visit finds; returning false from <see cref="VisitRule"/> ends the visit.</summary>
internal interface IRuleVisitor
{
    bool VisitRule(in RuleSource source, V1PolicyRule rule);

    void VisitError(string error);
}

/// <summary>The binding and subject a rule came from; <see cref="Describe"/> is the text of upstream's decision reasons.</summary>
internal readonly record struct RuleSource(V1ClusterRoleBinding? ClusterRoleBinding, V1RoleBinding? RoleBinding, Rbacv1Subject Subject)
{
    /// <summary>
    /// <c>ClusterRoleBinding "x" of ClusterRole "y" to User "z"</c> or
    /// <c>RoleBinding "name/namespace" of Role "y" to ServiceAccount "sa/namespace"</c>.
    /// </summary>
    public string Describe()
    {
        if (ClusterRoleBinding is { } crb)
        {
            return $"ClusterRoleBinding {GoText.Quote(crb.Metadata?.Name ?? "")} of {crb.RoleRef?.Kind} {GoText.Quote(crb.RoleRef?.Name ?? "")} to {DescribeSubject(Subject, "")}";
        }

        var rb = RoleBinding!;
        var ns = rb.Metadata?.NamespaceProperty ?? "";
        return $"RoleBinding {GoText.Quote((rb.Metadata?.Name ?? "") + "/" + ns)} of {rb.RoleRef?.Kind} {GoText.Quote(rb.RoleRef?.Name ?? "")} to {DescribeSubject(Subject, ns)}";
    }

    // Upstream writes a service account as name/namespace, not namespace/name.
    private static string DescribeSubject(Rbacv1Subject subject, string bindingNamespace) =>
        subject.Kind == SubjectKinds.ServiceAccount
            ? $"{subject.Kind} {GoText.Quote(subject.Name + "/" + (string.IsNullOrEmpty(subject.NamespaceProperty) ? bindingNamespace : subject.NamespaceProperty))}"
            : $"{subject.Kind} {GoText.Quote(subject.Name ?? "")}";
}
