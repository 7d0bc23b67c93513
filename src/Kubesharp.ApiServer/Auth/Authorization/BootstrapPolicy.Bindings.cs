using k8s.Models;

namespace Kubesharp.ApiServer.Auth.Authorization;

internal static partial class BootstrapPolicy
{
    /// <summary>The default ClusterRoleBindings of upstream's policy.go (not the controllers').</summary>
    public static List<V1ClusterRoleBinding> ClusterRoleBindings() =>
    [
        ClusterBinding("cluster-admin", Group(UserInfo.Masters)),
        ClusterBinding("system:monitoring", Group("system:monitoring")),
        ClusterBinding("system:discovery", Group(UserInfo.Authenticated)),
        ClusterBinding("system:basic-user", Group(UserInfo.Authenticated)),
        ClusterBinding("system:public-info-viewer", Group(UserInfo.Authenticated), Group(UserInfo.Unauthenticated)),
        ClusterBinding("system:node-proxier", User("system:kube-proxy")),
        ClusterBinding("system:kube-controller-manager", User("system:kube-controller-manager")),
        ClusterBinding("system:kube-dns", ServiceAccount(KubeSystem, "kube-dns")),
        ClusterBinding("system:kube-scheduler", User("system:kube-scheduler")),
        ClusterBinding("system:volume-scheduler", User("system:kube-scheduler")),
        // Nodes get their powers from the node authorizer; upstream keeps this binding without subjects
        // (its old system:nodes subject was deprecated in 1.7).
        ClusterBinding("system:node"),
        ClusterBinding("system:service-account-issuer-discovery", Group(UserInfo.ServiceAccounts)),
    ];

}
