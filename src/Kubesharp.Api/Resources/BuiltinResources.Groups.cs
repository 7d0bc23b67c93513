namespace Kubesharp.Api.Resources;

public static partial class BuiltinResources
{
    // apps/v1 registers no field label conversions: only metadata.name and metadata.namespace.
    private static IEnumerable<ResourceInfo> AppsRows() =>
    [
        Row("apps", "v1", "Deployment", "deployments", ResourceScope.Namespaced, shortNames: ["deploy"], categories: ["all"], status: true, subresources: [Scale()]),
        Row("apps", "v1", "ReplicaSet", "replicasets", ResourceScope.Namespaced, shortNames: ["rs"], categories: ["all"], status: true, subresources: [Scale()]),
        Row("apps", "v1", "StatefulSet", "statefulsets", ResourceScope.Namespaced, shortNames: ["sts"], categories: ["all"], status: true, subresources: [Scale()]),
        Row("apps", "v1", "DaemonSet", "daemonsets", ResourceScope.Namespaced, shortNames: ["ds"], categories: ["all"], status: true),
        Row("apps", "v1", "ControllerRevision", "controllerrevisions", ResourceScope.Namespaced),
    ];

    // The same storage as core events, so the same short name; the selectors are events.k8s.io's names for
    // core's selectable fields (pkg/apis/events/v1/conversion.go maps regarding.* to involvedObject.*).
    private static IEnumerable<ResourceInfo> EventsRows() =>
    [
        Row("events.k8s.io", "v1", "Event", "events", ResourceScope.Namespaced, shortNames: ["ev"],
            fields: ["reason", "regarding.kind", "regarding.namespace", "regarding.name", "regarding.uid", "regarding.apiVersion", "regarding.resourceVersion", "regarding.fieldPath", "reportingController", "type"]),
    ];

    // Reviews are create-only and never stored: the answer is computed from the request.
    private static IEnumerable<ResourceInfo> AuthenticationRows() =>
    [
        Row("authentication.k8s.io", "v1", "SelfSubjectReview", "selfsubjectreviews", ResourceScope.Cluster, verbs: ["create"]),
        Row("authentication.k8s.io", "v1", "TokenReview", "tokenreviews", ResourceScope.Cluster, verbs: ["create"]),
    ];

    private static IEnumerable<ResourceInfo> AuthorizationRows() =>
    [
        Row("authorization.k8s.io", "v1", "LocalSubjectAccessReview", "localsubjectaccessreviews", ResourceScope.Namespaced, verbs: ["create"]),
        Row("authorization.k8s.io", "v1", "SelfSubjectAccessReview", "selfsubjectaccessreviews", ResourceScope.Cluster, verbs: ["create"]),
        Row("authorization.k8s.io", "v1", "SelfSubjectRulesReview", "selfsubjectrulesreviews", ResourceScope.Cluster, verbs: ["create"]),
        Row("authorization.k8s.io", "v1", "SubjectAccessReview", "subjectaccessreviews", ResourceScope.Cluster, verbs: ["create"]),
    ];

    private static IEnumerable<ResourceInfo> CertificatesRows() =>
    [
        Row("certificates.k8s.io", "v1", "CertificateSigningRequest", "certificatesigningrequests", ResourceScope.Cluster, shortNames: ["csr"], status: true,
            subresources: [Sub("approval", "certificates.k8s.io", "v1", "CertificateSigningRequest", "get", "patch", "update")]),
    ];

    private static IEnumerable<ResourceInfo> BatchRows() =>
    [
        Row("batch", "v1", "Job", "jobs", ResourceScope.Namespaced, categories: ["all"], status: true, fields: ["status.successful"]),
        Row("batch", "v1", "CronJob", "cronjobs", ResourceScope.Namespaced, shortNames: ["cj"], categories: ["all"], status: true),
    ];

    private static IEnumerable<ResourceInfo> PolicyRows() =>
    [
        Row("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", ResourceScope.Namespaced, shortNames: ["pdb"], status: true),
    ];

    private static IEnumerable<ResourceInfo> RbacRows() =>
    [
        Row("rbac.authorization.k8s.io", "v1", "Role", "roles", ResourceScope.Namespaced),
        Row("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", ResourceScope.Namespaced),
        Row("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", ResourceScope.Cluster),
        Row("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", ResourceScope.Cluster),
    ];

    private static IEnumerable<ResourceInfo> SchedulingRows() =>
    [
        Row("scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", ResourceScope.Cluster, shortNames: ["pc"]),
    ];

    private static IEnumerable<ResourceInfo> CoordinationRows() =>
    [
        Row("coordination.k8s.io", "v1", "Lease", "leases", ResourceScope.Namespaced),
    ];

    private static IEnumerable<ResourceInfo> ApiExtensionsRows() =>
    [
        Row("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions", ResourceScope.Cluster,
            shortNames: ["crd", "crds"], categories: ["api-extensions"], status: true),
    ];

    private static IEnumerable<ResourceInfo> DiscoveryRows() =>
    [
        Row("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", ResourceScope.Namespaced),
    ];
}
