using k8s.Models;
using Kubesharp.ApiServer.Auth.Authentication;
using static Kubesharp.ApiServer.Auth.Authorization.PolicyRuleBuilder;

namespace Kubesharp.ApiServer.Auth.Authorization;

internal static partial class BootstrapPolicy
{
    /// <summary>
    /// Not upstream's API server policy but kubeadm's (<c>cmd/kubeadm/app/phases/bootstraptoken/node</c>), which every
    /// kubeadm cluster has: nodes joining with a bootstrap token in <c>system:bootstrappers:kubeadm:default-node-token</c>
    /// may create CSRs and have their client CSR auto-approved, and nodes may have their renewed client CSRs
    /// auto-approved. Kubesharp has no kubeadm, and <c>kubesharp server</c>'s join token is in that group, so the API
    /// server creates these at start like the defaults (an administrator turns one off with
    /// <c>rbac.authorization.kubernetes.io/autoupdate: "false"</c> and no subjects).
    /// </summary>
    public static List<V1ClusterRoleBinding> KubeadmClusterRoleBindings() =>
    [
        NamedClusterBinding("kubeadm:kubelet-bootstrap", "system:node-bootstrapper", Group(BootstrapTokens.DefaultNodeTokenGroup)),
        NamedClusterBinding("kubeadm:node-autoapprove-bootstrap", "system:certificates.k8s.io:certificatesigningrequests:nodeclient", Group(BootstrapTokens.DefaultNodeTokenGroup)),
        NamedClusterBinding("kubeadm:node-autoapprove-certificate-rotation", "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient", Group(UserInfo.Nodes)),
    ];

    /// <summary>
    /// kubeadm's Role that lets anyone read <c>kube-public/cluster-info</c> (<c>cmd/kubeadm/app/phases/bootstraptoken/clusterinfo</c>):
    /// a joining node reads the CA from it before it has a credential the server could check.
    /// </summary>
    public static List<V1Role> KubeadmRoles() =>
    [
        Role(KubePublic, "kubeadm:bootstrap-signer-clusterinfo", Rule("get").Groups(Legacy).Resources("configmaps").Names("cluster-info")),
    ];

    /// <summary>The binding of <see cref="KubeadmRoles"/> to <c>system:anonymous</c>.</summary>
    public static List<V1RoleBinding> KubeadmRoleBindings() =>
    [
        RoleBinding(KubePublic, "kubeadm:bootstrap-signer-clusterinfo", "kubeadm:bootstrap-signer-clusterinfo", User(UserInfo.AnonymousName)),
    ];

    private static V1ClusterRoleBinding NamedClusterBinding(string name, string roleName, params Rbacv1Subject[] subjects)
    {
        var binding = ClusterBinding(roleName, subjects);
        binding.Metadata.Name = name;
        return binding;
    }
}
