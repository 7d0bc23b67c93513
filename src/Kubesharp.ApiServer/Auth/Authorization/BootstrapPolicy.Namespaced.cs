using k8s.Models;
using static Kubesharp.ApiServer.Auth.Authorization.PolicyRuleBuilder;

namespace Kubesharp.ApiServer.Auth.Authorization;

internal static partial class BootstrapPolicy
{
    /// <summary>The Roles of upstream's namespace_policy.go, in kube-system and kube-public, then kubeadm's (<see cref="KubeadmRoles"/>).</summary>
    public static List<V1Role> NamespaceRoles() =>
    [
        // Reads the client CA of the extension-apiserver-authentication configmap. The builder refuses
        // names with list and watch, so this rule is written out, as upstream writes it.
        Role(
            KubeSystem,
            "extension-apiserver-authentication-reader",
            new V1PolicyRule
            {
                Verbs = ["get", "list", "watch"],
                ApiGroups = [Legacy],
                Resources = ["configmaps"],
                ResourceNames = ["extension-apiserver-authentication"],
            }),
        Role(
            KubeSystem,
            "system::leader-locking-kube-controller-manager",
            Rule("watch", "get", "list", "create", "update").Groups(Coordination).Resources("leases"),
            Rule("watch", "get", "list", "create", "update").Groups(Coordination).Resources("leasecandidates")),
        Role(
            KubeSystem,
            "system::leader-locking-kube-scheduler",
            Rule("watch", "get", "list", "create", "update").Groups(Coordination).Resources("leases"),
            Rule("watch", "get", "list", "create", "update").Groups(Coordination).Resources("leasecandidates")),
        Role(
            KubeSystem,
            ControllerRolePrefix + "bootstrap-signer",
            Rule(Read).Groups(Legacy).Resources("secrets")),
        Role(
            KubeSystem,
            ControllerRolePrefix + "cloud-provider",
            Rule("create", "get", "list", "watch").Groups(Legacy).Resources("configmaps")),
        Role(
            KubeSystem,
            ControllerRolePrefix + "token-cleaner",
            Rule("delete", "get", "list", "watch").Groups(Legacy).Resources("secrets"),
            EventsRule()),
        Role(
            KubePublic,
            ControllerRolePrefix + "bootstrap-signer",
            Rule(Read).Groups(Legacy).Resources("configmaps"),
            Rule("update").Groups(Legacy).Resources("configmaps").Names("cluster-info"),
            EventsRule()),
        .. KubeadmRoles(),
        .. ClusterDnsRoles(),
    ];

    /// <summary>The RoleBindings of upstream's namespace_policy.go, in kube-system and kube-public, then kubeadm's (<see cref="KubeadmRoleBindings"/>).</summary>
    public static List<V1RoleBinding> NamespaceRoleBindings() =>
    [
        RoleBinding(
            KubeSystem,
            "system::extension-apiserver-authentication-reader",
            "extension-apiserver-authentication-reader",
            User("system:kube-controller-manager"),
            User("system:kube-scheduler")),
        RoleBinding(
            KubeSystem,
            "system::leader-locking-kube-controller-manager",
            "system::leader-locking-kube-controller-manager",
            User("system:kube-controller-manager"),
            ServiceAccount(KubeSystem, "kube-controller-manager"),
            ServiceAccount(KubeSystem, "leader-election-controller")),
        RoleBinding(
            KubeSystem,
            "system::leader-locking-kube-scheduler",
            "system::leader-locking-kube-scheduler",
            User("system:kube-scheduler"),
            ServiceAccount(KubeSystem, "kube-scheduler")),
        RoleBinding(
            KubeSystem,
            ControllerRolePrefix + "bootstrap-signer",
            ControllerRolePrefix + "bootstrap-signer",
            ServiceAccount(KubeSystem, "bootstrap-signer")),
        RoleBinding(
            KubeSystem,
            ControllerRolePrefix + "cloud-provider",
            ControllerRolePrefix + "cloud-provider",
            ServiceAccount(KubeSystem, "cloud-provider")),
        RoleBinding(
            KubeSystem,
            ControllerRolePrefix + "token-cleaner",
            ControllerRolePrefix + "token-cleaner",
            ServiceAccount(KubeSystem, "token-cleaner")),
        RoleBinding(
            KubePublic,
            ControllerRolePrefix + "bootstrap-signer",
            ControllerRolePrefix + "bootstrap-signer",
            ServiceAccount(KubeSystem, "bootstrap-signer")),
        .. KubeadmRoleBindings(),
        .. ClusterDnsRoleBindings(),
    ];
}
