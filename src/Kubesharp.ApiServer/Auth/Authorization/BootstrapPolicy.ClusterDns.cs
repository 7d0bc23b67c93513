using k8s.Models;
using static Kubesharp.ApiServer.Auth.Authorization.PolicyRuleBuilder;

namespace Kubesharp.ApiServer.Auth.Authorization;

internal static partial class BootstrapPolicy
{
    /// <summary>The user <c>kubesharp server</c> runs its cluster DNS server as (its client certificate's common name).</summary>
    public const string ClusterDnsUser = "system:kube-dns";

    /// <summary>
    /// Not upstream's policy: Kubesharp's cluster DNS runs as the user <see cref="ClusterDnsUser"/> rather than in a pod,
    /// so it gets what k3s's <c>system:coredns</c> ClusterRole gives CoreDNS (read Services, EndpointSlices and Namespaces
    /// cluster-wide), and, in kube-system only, the writes to register itself as kube-dns.
    /// </summary>
    public static List<V1ClusterRole> ClusterDnsClusterRoles() =>
    [
        ClusterRole(
            "kubesharp:cluster-dns",
            Rule("list", "watch").Groups(Legacy).Resources("services", "namespaces"),
            Rule("list", "watch").Groups(Discovery).Resources("endpointslices")),
    ];

    public static List<V1ClusterRoleBinding> ClusterDnsClusterRoleBindings() =>
    [
        ClusterBinding("kubesharp:cluster-dns", User(ClusterDnsUser)),
    ];

    /// <summary>The kube-dns Service, its Endpoints and its EndpointSlice, which the server creates and keeps.</summary>
    public static List<V1Role> ClusterDnsRoles() =>
    [
        Role(
            KubeSystem,
            "kubesharp:cluster-dns",
            Rule("get", "list", "watch", "create", "update").Groups(Legacy).Resources("services", "endpoints"),
            Rule("get", "create", "update").Groups(Discovery).Resources("endpointslices")),
    ];

    public static List<V1RoleBinding> ClusterDnsRoleBindings() =>
    [
        RoleBinding(KubeSystem, "kubesharp:cluster-dns", "kubesharp:cluster-dns", User(ClusterDnsUser)),
    ];
}
