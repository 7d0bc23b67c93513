namespace Kubesharp.Api.Resources;

/// <summary>
/// The built-in kinds, as upstream v1.32 serves them (names, scope, verbs, short names, categories,
/// subresources, field selectors). One row per kind; see <see cref="ResourceInfo"/>.
/// </summary>
public static partial class BuiltinResources
{
    public static ResourceTable Table { get; } = new(Rows());

    private static readonly string[] NoDeleteCollection = ["create", "delete", "get", "list", "patch", "update", "watch"];

    private static IEnumerable<ResourceInfo> Rows() =>
    [
        Row("", "v1", "Namespace", "namespaces", ResourceScope.Cluster, shortNames: ["ns"], status: true, verbs: NoDeleteCollection),
        Row("", "v1", "Pod", "pods", ResourceScope.Namespaced, shortNames: ["po"], categories: ["all"], status: true,
            subresources: [Sub("binding", "", "v1", "Binding", "create"), Sub("eviction", "policy", "v1", "Eviction", "create")],
            fields: ["spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName", "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName"]),
        Row("", "v1", "ConfigMap", "configmaps", ResourceScope.Namespaced, shortNames: ["cm"]),
        Row("", "v1", "Secret", "secrets", ResourceScope.Namespaced, fields: ["type"]),
        Row("", "v1", "ServiceAccount", "serviceaccounts", ResourceScope.Namespaced, shortNames: ["sa"]),
        Row("", "v1", "Service", "services", ResourceScope.Namespaced, shortNames: ["svc"], categories: ["all"], status: true, verbs: NoDeleteCollection),
        Row("", "v1", "Endpoints", "endpoints", ResourceScope.Namespaced, shortNames: ["ep"]),
        Row("", "v1", "Node", "nodes", ResourceScope.Cluster, shortNames: ["no"], status: true, fields: ["spec.unschedulable"]),
        Row("", "v1", "Event", "events", ResourceScope.Namespaced, shortNames: ["ev"],
            fields: ["involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"]),
        Row("apps", "v1", "Deployment", "deployments", ResourceScope.Namespaced, shortNames: ["deploy"], categories: ["all"], status: true, subresources: [Scale()]),
        Row("coordination.k8s.io", "v1", "Lease", "leases", ResourceScope.Namespaced),
    ];

    private static ResourceInfo Row(
        string group,
        string version,
        string kind,
        string plural,
        ResourceScope scope,
        string[]? shortNames = null,
        string[]? categories = null,
        SubresourceInfo[]? subresources = null,
        string[]? fields = null,
        bool status = false,
        IReadOnlyList<string>? verbs = null)
    {
        var subs = new List<SubresourceInfo>();
        if (status)
        {
            subs.Add(Sub("status", group, version, kind, "get", "patch", "update"));
        }

        subs.AddRange(subresources ?? []);
        return new ResourceInfo(group, version, kind, plural, kind.ToLowerInvariant(), scope, verbs ?? ResourceInfo.AllVerbs,
            shortNames ?? [], categories ?? [], subs, fields ?? [], status);
    }

    private static SubresourceInfo Sub(string name, string group, string version, string kind, params string[] verbs) =>
        new(name, group, version, kind, verbs);

    /// <summary>Scale travels as <c>autoscaling/v1 Scale</c>, which kubectl's scale client resolves from discovery.</summary>
    private static SubresourceInfo Scale() => Sub("scale", "autoscaling", "v1", "Scale", "get", "patch", "update");
}
