namespace Kubesharp.ApiServer.Auth.Authorization;

/// <summary>The fixed strings of the RBAC API that the authorizers, write checks and bootstrap policy share.</summary>
internal static class RbacNames
{
    public const string ApiGroup = "rbac.authorization.k8s.io";
    public const string ApiVersion = "rbac.authorization.k8s.io/v1";
    public const string ClusterRoleKind = "ClusterRole";
    public const string RoleKind = "Role";
    public const string ClusterRoleBindingKind = "ClusterRoleBinding";
    public const string RoleBindingKind = "RoleBinding";

    /// <summary>Set to <c>"true"</c> on bootstrap objects; <c>"false"</c> stops the API server reconciling them.</summary>
    public const string AutoUpdateAnnotation = "rbac.authorization.kubernetes.io/autoupdate";
    public const string BootstrappingLabel = "kubernetes.io/bootstrapping";
    public const string BootstrappingLabelValue = "rbac-defaults";
}

/// <summary>The <c>kind</c> values of an RBAC subject.</summary>
internal static class SubjectKinds
{
    public const string User = "User";
    public const string Group = "Group";
    public const string ServiceAccount = "ServiceAccount";
}
