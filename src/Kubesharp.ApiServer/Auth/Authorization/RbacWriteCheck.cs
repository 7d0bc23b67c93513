using k8s.Models;

namespace Kubesharp.ApiServer.Auth.Authorization;

/// <summary>
/// The escalation policy of upstream's RBAC REST storages (<c>pkg/registry/rbac/*/policybased</c>),
/// one method per write. Each answers null when the write may proceed, or the message of the 403
/// Forbidden to answer, whole as upstream's Status carries it:
/// <c>roles.rbac.authorization.k8s.io "r" is forbidden: user "bob" (groups=[...]) is attempting to grant RBAC permissions not currently held:\n{...}</c>.
/// </summary>
/// <remarks>
/// <para>Roles and ClusterRoles: allowed for <c>system:masters</c>; else when the requester is authorized
/// for verb <c>escalate</c> on the resource (asked of the given authorizer with the name of the
/// request URL, which is empty on create, as upstream's RequestInfo); else when their own RBAC rules in
/// the namespace cover every rule of the role. A ClusterRole with an aggregationRule (or, on update, one
/// that had one) further requires <c>*</c> on everything, as only a cluster admin may aggregate.</para>
/// <para>RoleBindings and ClusterRoleBindings: allowed for <c>system:masters</c>; else when the requester
/// is authorized for verb <c>bind</c> on the referenced role (resource <c>roles</c> or
/// <c>clusterroles</c>, its name, in the binding's namespace); else when the role exists and their own
/// rules cover its rules.</para>
/// <para>Upstream skips the checks on an update that only changes owner references, finalizers or
/// managed fields (what the garbage collector writes); that comparison is the caller's, who holds both
/// objects. Stateless and thread-safe.</para>
/// </remarks>
internal static class RbacWriteCheck
{
    private static readonly V1PolicyRule[] FullAuthority =
    [
        new() { Verbs = ["*"], ApiGroups = ["*"], Resources = ["*"] },
        new() { Verbs = ["*"], NonResourceURLs = ["*"] },
    ];

    /// <param name="name">The role's name, for the message.</param>
    /// <param name="isCreate">True for create, where upstream asks about <c>escalate</c> without a name.</param>
    public static string? CheckRole(UserInfo user, string @namespace, string name, bool isCreate, IList<V1PolicyRule>? rules, RbacSnapshot snapshot, IAuthorizer authorizer)
    {
        if (EscalationCheck.EscalationAllowed(user) || EscalateAuthorized(user, "roles", @namespace, isCreate ? "" : name, authorizer))
        {
            return null;
        }

        return EscalationCheck.ConfirmNoEscalation(snapshot, user, @namespace, rules ?? []) is { } reason
            ? Forbidden("roles", name, reason)
            : null;
    }

    /// <param name="oldRole">The stored ClusterRole on update, null on create.</param>
    public static string? CheckClusterRole(UserInfo user, V1ClusterRole role, V1ClusterRole? oldRole, bool isCreate, RbacSnapshot snapshot, IAuthorizer authorizer)
    {
        var name = role.Metadata?.Name ?? "";
        if (EscalationCheck.EscalationAllowed(user) || EscalateAuthorized(user, "clusterroles", "", isCreate ? "" : name, authorizer))
        {
            return null;
        }

        if (EscalationCheck.ConfirmNoEscalation(snapshot, user, "", role.Rules ?? []) is { } reason)
        {
            return Forbidden("clusterroles", name, reason);
        }

        // An aggregation rule can gather anything (and, removed, stop tightening), so it takes cluster-admin.
        if ((HasAggregationRule(role) || (oldRole is not null && HasAggregationRule(oldRole)))
            && EscalationCheck.ConfirmNoEscalation(snapshot, user, "", FullAuthority) is not null)
        {
            return Forbidden("clusterroles", name, "must have cluster-admin privileges to use the aggregationRule");
        }

        return null;
    }

    public static string? CheckRoleBinding(UserInfo user, string @namespace, string name, V1RoleRef roleRef, RbacSnapshot snapshot, IAuthorizer authorizer) =>
        CheckBinding("rolebindings", user, @namespace, name, roleRef, snapshot, authorizer);

    public static string? CheckClusterRoleBinding(UserInfo user, string name, V1RoleRef roleRef, RbacSnapshot snapshot, IAuthorizer authorizer) =>
        CheckBinding("clusterrolebindings", user, "", name, roleRef, snapshot, authorizer);

    /// <summary>Upstream's <c>errors.NewForbidden</c> text for a resource of the RBAC group.</summary>
    internal static string Forbidden(string resource, string name, string reason) =>
        name.Length == 0
            ? $"{resource}.{RbacNames.ApiGroup} is forbidden: {reason}"
            : $"{resource}.{RbacNames.ApiGroup} {GoText.Quote(name)} is forbidden: {reason}";

    private static string? CheckBinding(string resource, UserInfo user, string @namespace, string name, V1RoleRef roleRef, RbacSnapshot snapshot, IAuthorizer authorizer)
    {
        if (EscalationCheck.EscalationAllowed(user) || BindAuthorized(user, roleRef, @namespace, authorizer))
        {
            return null;
        }

        if (RbacRuleResolver.GetRoleReferenceRules(snapshot, roleRef, @namespace, out var error, registryText: true) is not { } rules)
        {
            return Forbidden(resource, name, error!);
        }

        return EscalationCheck.ConfirmNoEscalation(snapshot, user, @namespace, rules) is { } reason
            ? Forbidden(resource, name, reason)
            : null;
    }

    /// <summary>Upstream's <c>RoleEscalationAuthorized</c>.</summary>
    private static bool EscalateAuthorized(UserInfo user, string resource, string @namespace, string name, IAuthorizer authorizer) =>
        authorizer.Authorize(new RequestAttributes(
            user,
            "escalate",
            IsResourceRequest: true,
            ApiGroup: RbacNames.ApiGroup,
            ApiVersion: "*",
            Resource: resource,
            Namespace: @namespace,
            Name: name)).Outcome == AuthorizationOutcome.Allow;

    /// <summary>
    /// Upstream's <c>BindingAuthorized</c>: <c>bind</c> on the referenced role, asked in the binding's
    /// namespace, which lets a RoleBinding delegate binding particular ClusterRoles in one namespace.
    /// </summary>
    private static bool BindAuthorized(UserInfo user, V1RoleRef roleRef, string bindingNamespace, IAuthorizer authorizer)
    {
        var resource = roleRef.Kind switch
        {
            RbacNames.ClusterRoleKind => "clusterroles",
            RbacNames.RoleKind => "roles",
            _ => null,
        };
        if (resource is null)
        {
            return false;
        }

        return authorizer.Authorize(new RequestAttributes(
            user,
            "bind",
            IsResourceRequest: true,
            ApiGroup: roleRef.ApiGroup ?? "",
            Resource: resource,
            Namespace: bindingNamespace,
            Name: roleRef.Name ?? "")).Outcome == AuthorizationOutcome.Allow;
    }

    private static bool HasAggregationRule(V1ClusterRole role) => role.AggregationRule?.ClusterRoleSelectors is { Count: > 0 };
}
