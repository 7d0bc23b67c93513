using k8s.Models;
using Kubesharp.Api.Selectors;

namespace Kubesharp.ApiServer.Auth.Authorization;

/// <summary>
/// Upstream's node authorizer (v1.32, with AuthorizeNodeWithSelectors on as it is by default), which the
/// API server asks before RBAC. For a user who is not a node it has no opinion. For a node:
/// <list type="bullet">
/// <item>secrets and config maps: get, or list and watch of one object by name, only of objects related
/// to the node in the <see cref="NodeGraph"/>;</item>
/// <item>persistent volume claims, persistent volumes, resource claims and volume attachments: get only,
/// of related objects; a claim's status may be updated or patched when related;</item>
/// <item><c>serviceaccounts/token</c>: create, only for service accounts of pods on the node;</item>
/// <item>leases: get, create, update, patch, delete, in kube-node-lease, of the lease named after the
/// node (on create the name is NodeRestriction's to check); csinodes likewise, without the namespace;</item>
/// <item>nodes: create, update, patch, and status updates (NodeRestriction limits them to its own); get,
/// list and watch of its own Node only;</item>
/// <item>pods: get of pods on the node; list and watch with <c>spec.nodeName=</c> the node, or of one pod
/// on it by name; create and delete (mirror pods, NodeRestriction's to check); status update and patch,
/// eviction create;</item>
/// <item>anything else: allowed when the <c>system:node</c> rules (<see cref="BootstrapPolicy.NodeRules"/>)
/// allow it.</item>
/// </list>
/// It never denies: a refused request gets no opinion, with upstream's reason, and RBAC is asked next.
/// Thread-safe.
/// </summary>
internal sealed class NodeAuthorizer : IAuthorizer, ISubjectRulesResolver
{
    private const string NodeLeaseNamespace = "kube-node-lease";

    private readonly NodeGraph _graph;
    private readonly List<V1PolicyRule> _nodeRules;

    public NodeAuthorizer(NodeGraph graph, IEnumerable<V1PolicyRule>? nodeRules = null)
    {
        _graph = graph;
        _nodeRules = nodeRules?.ToList() ?? BootstrapPolicy.NodeRules();
    }

    public AuthorizationDecision Authorize(RequestAttributes a)
    {
        if (!NodeIdentity.IsNode(a.User, out var nodeName))
        {
            return AuthorizationDecision.NoOpinion();
        }

        if (nodeName.Length == 0)
        {
            return AuthorizationDecision.NoOpinion($"unknown node for user {GoText.Quote(a.User.Name)}");
        }

        if (a.IsResourceRequest)
        {
            switch (a.ApiGroup, a.Resource)
            {
                case ("", "secrets"):
                    return AuthorizeReadNamespacedObject(nodeName, NodeGraphObject.Secret, a);
                case ("", "configmaps"):
                    return AuthorizeReadNamespacedObject(nodeName, NodeGraphObject.ConfigMap, a);
                case ("", "persistentvolumeclaims"):
                    return a.Subresource == "status"
                        ? AuthorizeStatusUpdate(nodeName, NodeGraphObject.PersistentVolumeClaim, a)
                        : AuthorizeGet(nodeName, NodeGraphObject.PersistentVolumeClaim, a);
                case ("", "persistentvolumes"):
                    return AuthorizeGet(nodeName, NodeGraphObject.PersistentVolume, a);
                case ("resource.k8s.io", "resourceclaims"):
                    return AuthorizeGet(nodeName, NodeGraphObject.ResourceClaim, a);
                case ("storage.k8s.io", "volumeattachments"):
                    return AuthorizeGet(nodeName, NodeGraphObject.VolumeAttachment, a);
                case ("", "serviceaccounts"):
                    return AuthorizeCreateToken(nodeName, a);
                case ("coordination.k8s.io", "leases"):
                    return AuthorizeLease(nodeName, a);
                case ("storage.k8s.io", "csinodes"):
                    return AuthorizeCsiNode(nodeName, a);
                case ("", "nodes"):
                    return AuthorizeNode(nodeName, a);
                case ("", "pods"):
                    return AuthorizePod(nodeName, a);
                default:
                    break;
            }
        }

        // Access to everything else is not subdivided: the static node rules decide.
        return PolicyRuleMatching.RulesAllow(a, _nodeRules) ? AuthorizationDecision.Allow() : AuthorizationDecision.NoOpinion();
    }

    /// <summary>A node's permissions depend on the graph, so upstream reports them as not enumerable.</summary>
    public SubjectRules RulesFor(UserInfo user, string @namespace) =>
        NodeIdentity.IsNode(user, out _)
            ? new SubjectRules([], [], Incomplete: true, ["node authorizer does not support user rule resolution"])
            : SubjectRules.Empty;

    private AuthorizationDecision AuthorizeReadNamespacedObject(string nodeName, NodeGraphObject kind, RequestAttributes a)
    {
        if (a.Verb is not ("get" or "list" or "watch"))
        {
            return AuthorizationDecision.NoOpinion("can only read resources of this type");
        }

        if (a.Subresource.Length > 0)
        {
            return AuthorizationDecision.NoOpinion("cannot read subresource");
        }

        if (a.Namespace.Length == 0)
        {
            return AuthorizationDecision.NoOpinion("can only read namespaced object of this type");
        }

        return AuthorizeRelated(nodeName, kind, a);
    }

    private AuthorizationDecision AuthorizeGet(string nodeName, NodeGraphObject kind, RequestAttributes a)
    {
        if (a.Verb != "get")
        {
            return AuthorizationDecision.NoOpinion("can only get individual resources of this type");
        }

        if (a.Subresource.Length > 0)
        {
            return AuthorizationDecision.NoOpinion("cannot get subresource");
        }

        return AuthorizeRelated(nodeName, kind, a);
    }

    private AuthorizationDecision AuthorizeStatusUpdate(string nodeName, NodeGraphObject kind, RequestAttributes a)
    {
        if (a.Verb is not ("update" or "patch"))
        {
            return AuthorizationDecision.NoOpinion("can only get/update/patch this type");
        }

        return AuthorizeRelated(nodeName, kind, a);
    }

    private AuthorizationDecision AuthorizeRelated(string nodeName, NodeGraphObject kind, RequestAttributes a)
    {
        if (a.Name.Length == 0)
        {
            return AuthorizationDecision.NoOpinion("No Object name found");
        }

        return _graph.IsRelated(nodeName, kind, a.Namespace, a.Name)
            ? AuthorizationDecision.Allow()
            : AuthorizationDecision.NoOpinion($"no relationship found between node '{nodeName}' and this object");
    }

    private AuthorizationDecision AuthorizeCreateToken(string nodeName, RequestAttributes a)
    {
        if (a.Verb != "create" || a.Name.Length == 0)
        {
            return AuthorizationDecision.NoOpinion("can only create tokens for individual service accounts");
        }

        if (a.Subresource != "token")
        {
            return AuthorizationDecision.NoOpinion("can only create token subresource of serviceaccount");
        }

        return AuthorizeRelated(nodeName, NodeGraphObject.ServiceAccount, a);
    }

    private static AuthorizationDecision AuthorizeLease(string nodeName, RequestAttributes a)
    {
        if (a.Verb is not ("get" or "create" or "update" or "patch" or "delete"))
        {
            return AuthorizationDecision.NoOpinion("can only get, create, update, patch, or delete a node lease");
        }

        if (a.Namespace != NodeLeaseNamespace)
        {
            return AuthorizationDecision.NoOpinion($"can only access leases in the {GoText.Quote(NodeLeaseNamespace)} system namespace");
        }

        // The name is not known on create; NodeRestriction checks the object's.
        if (a.Verb != "create" && a.Name != nodeName)
        {
            return AuthorizationDecision.NoOpinion("can only access node lease with the same name as the requesting node");
        }

        return AuthorizationDecision.Allow();
    }

    private static AuthorizationDecision AuthorizeCsiNode(string nodeName, RequestAttributes a)
    {
        if (a.Verb is not ("get" or "create" or "update" or "patch" or "delete"))
        {
            return AuthorizationDecision.NoOpinion("can only get, create, update, patch, or delete a CSINode");
        }

        if (a.Subresource.Length > 0)
        {
            return AuthorizationDecision.NoOpinion("cannot authorize CSINode subresources");
        }

        if (a.Verb != "create" && a.Name != nodeName)
        {
            return AuthorizationDecision.NoOpinion("can only access CSINode with the same name as the requesting node");
        }

        return AuthorizationDecision.Allow();
    }

    private static AuthorizationDecision AuthorizeNode(string nodeName, RequestAttributes a)
    {
        switch (a.Subresource, a.Verb)
        {
            case ("", "create" or "update" or "patch"):
            case ("status", "update" or "patch"):
                // NodeRestriction limits a node to its own Node object.
                return AuthorizationDecision.Allow();

            case ("", "get" or "list" or "watch"):
                // Compared by name, not through the graph, so a kubelet can read its Node before creating it.
                if (a.Name == nodeName)
                {
                    return AuthorizationDecision.Allow();
                }

                return a.Name.Length == 0
                    ? AuthorizationDecision.NoOpinion($"node '{nodeName}' cannot read all nodes, only its own Node object")
                    : AuthorizationDecision.NoOpinion($"node '{nodeName}' cannot read '{a.Name}', only its own Node object");

            default:
                return AuthorizationDecision.NoOpinion();
        }
    }

    private AuthorizationDecision AuthorizePod(string nodeName, RequestAttributes a)
    {
        switch (a.Subresource, a.Verb)
        {
            case ("", "get"):
                return AuthorizeGet(nodeName, NodeGraphObject.Pod, a);

            case ("", "list" or "watch"):
                if (FieldSelector.TryParse(a.FieldSelector, out var selector, out _)
                    && selector.Requirements.Any(r => r.Field == "spec.nodeName" && r.Operator == FieldSelectorOperator.Equals && r.Value == nodeName))
                {
                    return AuthorizationDecision.Allow();
                }

                return a.Name.Length > 0
                    ? AuthorizeRelated(nodeName, NodeGraphObject.Pod, a)
                    : AuthorizationDecision.NoOpinion("can only list/watch pods with spec.nodeName field selector");

            case ("", "create" or "delete"):
            case ("status", "update" or "patch"):
            case ("eviction", "create"):
                // Mirror pods, status of its pods, evictions: NodeRestriction limits them to pods bound to the node.
                return AuthorizationDecision.Allow();

            default:
                return AuthorizationDecision.NoOpinion();
        }
    }
}
