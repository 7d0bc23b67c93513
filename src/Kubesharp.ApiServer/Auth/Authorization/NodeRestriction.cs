using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace Kubesharp.ApiServer.Auth.Authorization;

/// <summary>
/// Upstream's NodeRestriction admission plugin (v1.32): limits what a node (a user the node authorizer
/// recognises) may write, on create, update, patch and delete; everyone else passes. A node may
/// <list type="bullet">
/// <item>create only mirror pods bound to itself, owned by its Node (a single controller owner
/// reference, without blockOwnerDeletion) and naming no service account, secret, config map, cluster
/// trust bundle or persistent volume claim; delete only pods bound to itself; update or patch no pod;</item>
/// <item>update the status of pods bound to itself only, changing neither labels nor resource claim statuses;</item>
/// <item>evict only pods bound to itself;</item>
/// <item>create, update and delete only its own Node; not create it with a configSource or change one;
/// not change its taints; not set, change or remove labels under <c>node-restriction.kubernetes.io/</c>
/// nor <c>kubernetes.io</c>/<c>k8s.io</c> labels other than the kubelet's own;</item>
/// <item>update only <c>status.capacity</c>, <c>status.conditions</c> and the allocated resources of a
/// claim's status, and write no claim otherwise;</item>
/// <item>touch only its own Lease, in kube-node-lease, and its own CSINode.</item>
/// </list>
/// The answer is null to admit, or the message of the 403 Forbidden, whole as upstream's Status carries
/// it: <c>nodes "b" is forbidden: node "a" is not allowed to modify node "b"</c>.
/// </summary>
/// <remarks>
/// Differences from upstream, for want of lookups the plugin does not have here: the caller passes the
/// stored pod as <c>oldObject</c> for a pod delete and an eviction (upstream reads it from its informer;
/// without it the request passes and the storage answers 404); a mirror pod's owner UID is not compared
/// with the Node's; TokenRequests (<c>serviceaccounts/token</c>) are not checked against the bound pod
/// (the node authorizer still limits them to service accounts of pods on the node); the message for a
/// claim status change leaves out go-cmp's diff. Stateless and thread-safe.
/// </remarks>
internal static class NodeRestriction
{
    private const string NodeLeaseNamespace = "kube-node-lease";
    private const string NodeRestrictionLabelNamespace = "node-restriction.kubernetes.io";

    private static readonly HashSet<string> KubeletLabels = new(StringComparer.Ordinal)
    {
        "kubernetes.io/hostname",
        "topology.kubernetes.io/zone",
        "topology.kubernetes.io/region",
        "failure-domain.beta.kubernetes.io/zone",
        "failure-domain.beta.kubernetes.io/region",
        "beta.kubernetes.io/instance-type",
        "node.kubernetes.io/instance-type",
        "kubernetes.io/os",
        "kubernetes.io/arch",
        "beta.kubernetes.io/os",
        "beta.kubernetes.io/arch",
    };

    private static readonly string[] KubeletLabelNamespaces = ["kubelet.kubernetes.io", "node.kubernetes.io"];

    /// <param name="verb">The request's verb: create; update or patch (admitted as an update); delete or deletecollection.</param>
    /// <param name="name">The object's name: from the URL, or on create from the object, as upstream's admission attributes carry it.</param>
    /// <param name="oldObject">The stored object on update; the stored pod on a pod delete or eviction.</param>
    /// <param name="newObject">The object written on create and update (an Eviction for an eviction).</param>
    public static string? Admit(
        UserInfo user,
        string verb,
        string apiGroup,
        string resource,
        string subresource,
        string @namespace,
        string name,
        JsonElement? oldObject,
        JsonElement? newObject)
    {
        if (!NodeIdentity.IsNode(user, out var nodeName))
        {
            return null;
        }

        var operation = verb switch
        {
            "create" => "CREATE",
            "update" or "patch" => "UPDATE",
            "delete" or "deletecollection" => "DELETE",
            _ => null,
        };
        if (operation is null)
        {
            return null;
        }

        var request = new Request(apiGroup, resource, @namespace, name, operation, oldObject, newObject);
        if (nodeName.Length == 0)
        {
            return request.Forbidden($"could not determine node from user {GoText.Quote(user.Name)}");
        }

        try
        {
            return (apiGroup, resource) switch
            {
                ("", "pods") => subresource switch
                {
                    "" => AdmitPod(nodeName, request),
                    "status" => AdmitPodStatus(nodeName, request),
                    "eviction" => AdmitPodEviction(nodeName, request),
                    _ => request.Forbidden($"unexpected pod subresource {GoText.Quote(subresource)}, only 'status' and 'eviction' are allowed"),
                },
                ("", "nodes") => AdmitNode(nodeName, request),
                ("", "persistentvolumeclaims") => subresource == "status"
                    ? AdmitPvcStatus(nodeName, request)
                    : request.Forbidden("may only update PVC status"),
                ("coordination.k8s.io", "leases") => AdmitLease(nodeName, request),
                ("storage.k8s.io", "csinodes") => AdmitCsiNode(nodeName, request),
                _ => null,
            };
        }
        catch (JsonException e)
        {
            // Upstream's "unexpected type": the body is not the kind the resource holds.
            return request.Forbidden("unexpected type: " + e.Message);
        }
    }

    private static string? AdmitPod(string nodeName, Request request)
    {
        switch (request.Operation)
        {
            case "CREATE":
                return AdmitPodCreate(nodeName, request);

            case "DELETE":
                if (request.Old<V1Pod>() is { } existing && existing.Spec?.NodeName != nodeName)
                {
                    return request.Forbidden($"node {GoText.Quote(nodeName)} can only delete pods with spec.nodeName set to itself");
                }

                return null;

            default:
                return request.Forbidden($"unexpected operation {GoText.Quote(request.Operation)}, node {GoText.Quote(nodeName)} can only create and delete mirror pods");
        }
    }

    private static string? AdmitPodCreate(string nodeName, Request request)
    {
        if (request.New<V1Pod>() is not { } pod)
        {
            return request.Forbidden("unexpected type <nil>");
        }

        var node = GoText.Quote(nodeName);
        if (!PodReferences.IsMirrorPod(pod))
        {
            return request.Forbidden($"pod does not have {GoText.Quote(PodReferences.MirrorPodAnnotation)} annotation, node {node} can only create mirror pods");
        }

        if (pod.Spec?.NodeName != nodeName)
        {
            return request.Forbidden($"node {node} can only create pods with spec.nodeName set to itself");
        }

        var owners = pod.Metadata?.OwnerReferences ?? [];
        if (owners.Count > 1)
        {
            return request.Forbidden($"node {node} can only create pods with a single owner reference set to itself");
        }

        if (owners.Count == 0)
        {
            return request.Forbidden($"node {node} can only create pods with an owner reference set to itself");
        }

        var owner = owners[0];
        if (owner.ApiVersion != "v1" || owner.Kind != "Node" || owner.Name != nodeName)
        {
            return request.Forbidden($"node {node} can only create pods with an owner reference set to itself");
        }

        if (owner.Controller != true)
        {
            return request.Forbidden($"node {node} can only create pods with a controller owner reference set to itself");
        }

        if (owner.BlockOwnerDeletion == true)
        {
            return request.Forbidden($"node {node} must not set blockOwnerDeletion on an owner reference");
        }

        // A node must not create a pod that would give it access to other API objects.
        if (!string.IsNullOrEmpty(pod.Spec.ServiceAccountName))
        {
            return request.Forbidden($"node {node} can not create pods that reference a service account");
        }

        if (PodReferences.SecretNames(pod).Count > 0)
        {
            return request.Forbidden($"node {node} can not create pods that reference secrets");
        }

        if (PodReferences.ConfigMapNames(pod).Count > 0)
        {
            return request.Forbidden($"node {node} can not create pods that reference configmaps");
        }

        var volumes = pod.Spec.Volumes ?? [];
        if (volumes.Any(v => v.Projected?.Sources?.Any(s => s.ClusterTrustBundle is not null) == true))
        {
            return request.Forbidden($"node {node} can not create pods that reference clustertrustbundles");
        }

        if (volumes.Any(v => v.PersistentVolumeClaim is not null))
        {
            return request.Forbidden($"node {node} can not create pods that reference persistentvolumeclaims");
        }

        return null;
    }

    private static string? AdmitPodStatus(string nodeName, Request request)
    {
        if (request.Operation != "UPDATE")
        {
            return request.Forbidden($"unexpected operation {GoText.Quote(request.Operation)}");
        }

        var node = GoText.Quote(nodeName);
        var oldPod = request.Old<V1Pod>();
        if (oldPod?.Spec?.NodeName != nodeName)
        {
            return request.Forbidden($"node {node} can only update pod status for pods with spec.nodeName set to itself");
        }

        var newPod = request.New<V1Pod>();
        if (!MapEquals(oldPod.Metadata?.Labels, newPod?.Metadata?.Labels))
        {
            return request.Forbidden($"node {node} cannot update labels through pod status");
        }

        var oldClaims = oldPod.Status?.ResourceClaimStatuses ?? [];
        var newClaims = newPod?.Status?.ResourceClaimStatuses ?? [];
        if (oldClaims.Count != newClaims.Count
            || oldClaims.Zip(newClaims).Any(p => p.First.Name != p.Second.Name || p.First.ResourceClaimName != p.Second.ResourceClaimName))
        {
            // Upstream's message has the typo.
            return request.Forbidden($"node {node} cannot update resource claim statues");
        }

        return null;
    }

    private static string? AdmitPodEviction(string nodeName, Request request)
    {
        if (request.Operation != "CREATE")
        {
            return request.Forbidden($"unexpected operation {request.Operation}");
        }

        // The pod's name from the URL, rather than from the submitted Eviction.
        var podName = request.Name.Length > 0 ? request.Name : request.New<V1Eviction>()?.Metadata?.Name ?? "";
        if (podName.Length == 0)
        {
            return request.Forbidden("could not determine pod from request data");
        }

        if (request.Old<V1Pod>() is { } existing && existing.Spec?.NodeName != nodeName)
        {
            return request.Forbidden($"node {nodeName} can only evict pods with spec.nodeName set to itself");
        }

        return null;
    }

    private static string? AdmitNode(string nodeName, Request request)
    {
        var node = GoText.Quote(nodeName);
        var requestedName = request.Name.Length > 0 ? request.Name : request.New<V1Node>()?.Metadata?.Name ?? "";
        if (requestedName != nodeName)
        {
            return request.Forbidden($"node {node} is not allowed to modify node {GoText.Quote(requestedName)}");
        }

        if (request.Operation == "CREATE")
        {
            var created = request.New<V1Node>();

            // Access is scoped by what the Node's spec names, so a config source would widen a node's view.
            if (created?.Spec?.ConfigSource is not null)
            {
                return request.Forbidden($"node {node} is not allowed to create pods with a non-nil configSource");
            }

            // Labels steer workloads; a node must not be able to attract privileged ones to itself.
            var forbidden = ForbiddenLabels(ModifiedLabels(created?.Metadata?.Labels, null));
            if (forbidden.Count > 0)
            {
                return request.Forbidden($"node {node} is not allowed to set the following labels: {string.Join(", ", forbidden)}");
            }
        }
        else if (request.Operation == "UPDATE")
        {
            var updated = request.New<V1Node>();
            var old = request.Old<V1Node>();
            if (updated?.Spec?.ConfigSource is { } source && !JsonEquals(source, old?.Spec?.ConfigSource))
            {
                return request.Forbidden($"node {node} is not allowed to update configSource to a new non-nil configSource");
            }

            if (!JsonEquals(NullIfEmpty(updated?.Spec?.Taints), NullIfEmpty(old?.Spec?.Taints)))
            {
                return request.Forbidden($"node {node} is not allowed to modify taints");
            }

            var forbidden = ForbiddenLabels(ModifiedLabels(updated?.Metadata?.Labels, old?.Metadata?.Labels));
            if (forbidden.Count > 0)
            {
                // Upstream's message does not name the node.
                return request.Forbidden($"is not allowed to modify labels: {string.Join(", ", forbidden)}");
            }
        }

        return null;
    }

    private static string? AdmitPvcStatus(string nodeName, Request request)
    {
        if (request.Operation != "UPDATE")
        {
            return request.Forbidden($"unexpected operation {GoText.Quote(request.Operation)}");
        }

        var old = WithoutNodeWritableFields(request.Old<V1PersistentVolumeClaim>());
        var updated = WithoutNodeWritableFields(request.New<V1PersistentVolumeClaim>());
        if (!JsonEquals(old, updated))
        {
            return request.Forbidden($"node {GoText.Quote(nodeName)} is not allowed to update fields other than status.capacity and status.conditions");
        }

        return null;
    }

    private static string? AdmitLease(string nodeName, Request request)
    {
        if (request.Namespace != NodeLeaseNamespace)
        {
            return request.Forbidden($"can only access leases in the {GoText.Quote(NodeLeaseNamespace)} system namespace");
        }

        // On create the name is the proposed object's.
        var leaseName = request.Operation == "CREATE" ? request.New<V1Lease>()?.Metadata?.Name : request.Name;
        return leaseName != nodeName
            ? request.Forbidden("can only access node lease with the same name as the requesting node")
            : null;
    }

    private static string? AdmitCsiNode(string nodeName, Request request)
    {
        var csiNodeName = request.Operation == "CREATE" ? request.New<V1CSINode>()?.Metadata?.Name : request.Name;
        return csiNodeName != nodeName
            ? request.Forbidden("can only access CSINode with the same name as the requesting node")
            : null;
    }

    /// <summary>The keys added, removed or changed between two label sets, sorted.</summary>
    private static SortedSet<string> ModifiedLabels(IDictionary<string, string>? a, IDictionary<string, string>? b)
    {
        var modified = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (key, value) in a ?? new Dictionary<string, string>())
        {
            if (b is null || !b.TryGetValue(key, out var other) || other != value)
            {
                modified.Add(key);
            }
        }

        foreach (var (key, value) in b ?? new Dictionary<string, string>())
        {
            if (a is null || !a.TryGetValue(key, out var other) || other != value)
            {
                modified.Add(key);
            }
        }

        return modified;
    }

    private static List<string> ForbiddenLabels(SortedSet<string> modified) =>
        modified.Where(label =>
        {
            var ns = LabelNamespace(label);
            var nodeRestriction = ns == NodeRestrictionLabelNamespace || ns.EndsWith("." + NodeRestrictionLabelNamespace, StringComparison.Ordinal);
            return nodeRestriction || (IsKubernetesLabel(ns) && !IsKubeletLabel(label));
        }).ToList();

    private static bool IsKubernetesLabel(string ns) =>
        ns == "kubernetes.io" || ns.EndsWith(".kubernetes.io", StringComparison.Ordinal)
        || ns == "k8s.io" || ns.EndsWith(".k8s.io", StringComparison.Ordinal);

    private static bool IsKubeletLabel(string label)
    {
        if (KubeletLabels.Contains(label))
        {
            return true;
        }

        var ns = LabelNamespace(label);
        return KubeletLabelNamespaces.Any(allowed => ns == allowed || ns.EndsWith("." + allowed, StringComparison.Ordinal));
    }

    private static string LabelNamespace(string key)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? "" : key[..slash];
    }

    private static V1PersistentVolumeClaim? WithoutNodeWritableFields(V1PersistentVolumeClaim? claim)
    {
        if (claim is null)
        {
            return null;
        }

        if (claim.Metadata is { } metadata)
        {
            // An update may leave resourceVersion empty to be unconditional.
            metadata.ResourceVersion = null;
            metadata.ManagedFields = null;
        }

        if (claim.Status is { } status)
        {
            status.Capacity = null;
            status.Conditions = null;
            // RecoverVolumeExpansionFailure (beta, on in v1.32) lets the kubelet record these too.
            status.AllocatedResourceStatuses = null;
            status.AllocatedResources = null;
        }

        return claim;
    }

    private static bool MapEquals(IDictionary<string, string>? a, IDictionary<string, string>? b) =>
        ModifiedLabels(a, b).Count == 0;

    private static IList<V1Taint>? NullIfEmpty(IList<V1Taint>? taints) => taints is { Count: > 0 } ? taints : null;

    /// <summary>Semantic equality through the canonical JSON (absent, null and empty lists and maps alike).</summary>
    private static bool JsonEquals(object? a, object? b) =>
        JsonNode.DeepEquals(Normalize(a), Normalize(b));

    private static JsonNode? Normalize(object? value)
    {
        if (value is null)
        {
            return null;
        }

        var node = JsonNode.Parse(KubernetesJson.Serialize(value));
        return Prune(node);

        static JsonNode? Prune(JsonNode? node)
        {
            switch (node)
            {
                case JsonObject obj:
                    foreach (var property in obj.ToList())
                    {
                        var pruned = Prune(property.Value);
                        if (pruned is null)
                        {
                            obj.Remove(property.Key);
                        }
                    }

                    return obj.Count == 0 ? null : obj;
                case JsonArray array:
                    return array.Count == 0 ? null : array;
                default:
                    return node;
            }
        }
    }

    /// <summary>One admission request: its attributes, and its objects decoded on demand.</summary>
    private sealed class Request(string apiGroup, string resource, string @namespace, string name, string operation, JsonElement? oldObject, JsonElement? newObject)
    {
        public string Namespace => @namespace;

        public string Name => name;

        public string Operation => operation;

        public T? Old<T>()
            where T : class => Decode<T>(oldObject);

        public T? New<T>()
            where T : class => Decode<T>(newObject);

        /// <summary>
        /// Upstream's <c>admission.NewForbidden</c>: the name of the request, else of the written object,
        /// else its generateName, else <c>Unknown</c>.
        /// </summary>
        public string Forbidden(string reason)
        {
            var objectName = name;
            if (objectName.Length == 0 && newObject is { ValueKind: JsonValueKind.Object } obj && obj.TryGetProperty("metadata", out var metadata) && metadata.ValueKind == JsonValueKind.Object)
            {
                objectName = ReadString(metadata, "name") ?? "";
                if (objectName.Length == 0)
                {
                    objectName = ReadString(metadata, "generateName") ?? "";
                }
            }

            if (objectName.Length == 0)
            {
                objectName = "Unknown";
            }

            var groupResource = apiGroup.Length == 0 ? resource : resource + "." + apiGroup;
            return $"{groupResource} {GoText.Quote(objectName)} is forbidden: {reason}";
        }

        private static string? ReadString(JsonElement obj, string property) =>
            obj.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

        private static T? Decode<T>(JsonElement? element)
            where T : class =>
            element is { ValueKind: JsonValueKind.Object } e ? KubernetesJson.Deserialize<T>(e.GetRawText()) : null;
    }
}
