namespace Kubesharp.Api.Resources;

public static partial class BuiltinResources
{
    // Field selectors are upstream's AddFieldLabelConversionFunc lists in pkg/apis/core/v1/conversion.go,
    // less metadata.name and metadata.namespace, which every kind supports.
    private static IEnumerable<ResourceInfo> CoreRows() =>
    [
        // Namespace storage drops deletecollection on purpose: a bulk delete would skip namespace finalization.
        // namespaces/finalize: the namespace controller's way to remove spec.finalizers once the namespace is empty.
        Row("", "v1", "Namespace", "namespaces", ResourceScope.Cluster, shortNames: ["ns"], status: true, verbs: NoDeleteCollection,
            subresources: [Sub("finalize", "", "v1", "Namespace", "update")], fields: ["status.phase"]),
        Row("", "v1", "Pod", "pods", ResourceScope.Namespaced, shortNames: ["po"], categories: ["all"], status: true,
            subresources: [Sub("attach", "", "v1", "PodAttachOptions", "create", "get"), Sub("binding", "", "v1", "Binding", "create"), Sub("eviction", "policy", "v1", "Eviction", "create"),
                Sub("exec", "", "v1", "PodExecOptions", "create", "get"), Sub("log", "", "v1", "Pod", "get")],
            fields: ["spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName", "spec.hostNetwork", "status.phase", "status.podIP", "status.podIPs", "status.nominatedNodeName"]),
        // The older form of pods/NAME/binding, create only: the Binding's metadata.name names the pod (upstream's LegacyBindingREST).
        Row("", "v1", "Binding", "bindings", ResourceScope.Namespaced, verbs: ["create"]),
        Row("", "v1", "ConfigMap", "configmaps", ResourceScope.Namespaced, shortNames: ["cm"]),
        Row("", "v1", "Secret", "secrets", ResourceScope.Namespaced, fields: ["type"]),
        Row("", "v1", "ServiceAccount", "serviceaccounts", ResourceScope.Namespaced, shortNames: ["sa"],
            subresources: [Sub("token", "authentication.k8s.io", "v1", "TokenRequest", "create")]),
        // Services have served deletecollection since upstream PR 96684 (v1.21); the storage runs each item's
        // delete hooks (IP and port release), so it is an ordinary verb there.
        Row("", "v1", "Service", "services", ResourceScope.Namespaced, shortNames: ["svc"], categories: ["all"], status: true,
            fields: ["spec.clusterIP", "spec.type"]),
        Row("", "v1", "Endpoints", "endpoints", ResourceScope.Namespaced, shortNames: ["ep"]),
        Row("", "v1", "Node", "nodes", ResourceScope.Cluster, shortNames: ["no"], status: true, fields: ["spec.unschedulable"]),
        // "source" selects on source.component, not on the object at that path (upstream's ToSelectableFields).
        Row("", "v1", "Event", "events", ResourceScope.Namespaced, shortNames: ["ev"],
            fields: ["involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"]),
        Row("", "v1", "ReplicationController", "replicationcontrollers", ResourceScope.Namespaced, shortNames: ["rc"], categories: ["all"],
            status: true, subresources: [Scale()], fields: ["status.replicas"]),
        Row("", "v1", "LimitRange", "limitranges", ResourceScope.Namespaced, shortNames: ["limits"]),
        Row("", "v1", "ResourceQuota", "resourcequotas", ResourceScope.Namespaced, shortNames: ["quota"], status: true),
        Row("", "v1", "PersistentVolume", "persistentvolumes", ResourceScope.Cluster, shortNames: ["pv"], status: true),
        Row("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", ResourceScope.Namespaced, shortNames: ["pvc"], status: true),
    ];
}
