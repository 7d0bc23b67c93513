using k8s.Models;

namespace Kubesharp.ApiServer.Auth.Authorization;

internal static partial class BootstrapPolicy
{
    /// <summary>
    /// Not upstream's: <c>kubesharp agent</c> runs the node's network components (the pod route controller, kube-proxy)
    /// with the node's own credential, where k3s gives them certificates of their own (<c>system:kube-proxy</c>,
    /// <c>system:k3s-controller</c>). The node authorizer lets a node read only its own Node (upstream 1.32 with
    /// AuthorizeNodeWithSelectors), so nodes get kube-proxy's role, which reads every Node, Service and EndpointSlice.
    /// </summary>
    public static List<V1ClusterRoleBinding> AgentClusterRoleBindings() =>
    [
        NamedClusterBinding("kubesharp:node-proxier", "system:node-proxier", Group(UserInfo.Nodes)),
    ];
}
