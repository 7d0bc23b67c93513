using k8s.Models;
using static Kubesharp.ApiServer.Auth.Authorization.PolicyRuleBuilder;

namespace Kubesharp.ApiServer.Auth.Authorization;

internal static partial class BootstrapPolicy
{
    public const string AggregateToAdmin = "rbac.authorization.k8s.io/aggregate-to-admin";
    public const string AggregateToEdit = "rbac.authorization.k8s.io/aggregate-to-edit";
    public const string AggregateToView = "rbac.authorization.k8s.io/aggregate-to-view";

    /// <summary>The default ClusterRoles of upstream's policy.go (not the controllers').</summary>
    public static List<V1ClusterRole> ClusterRoles() =>
    [
        // The root role, which can do anything.
        ClusterRole(
            "cluster-admin",
            Rule("*").Groups("*").Resources("*"),
            Rule("*").Urls("*")),

        // Just enough to discover the API and read public health and version information.
        ClusterRole(
            "system:discovery",
            Rule("get").Urls(
                "/healthz", "/livez", "/readyz", "/version", "/version/",
                "/openapi", "/openapi/*",
                "/api", "/api/*",
                "/apis", "/apis/*")),

        // Public information about the cluster, for anonymous users too.
        ClusterRole(
            "system:public-info-viewer",
            Rule("get").Urls("/healthz", "/livez", "/readyz", "/version", "/version/")),

        // What a user may learn about themselves.
        ClusterRole(
            "system:basic-user",
            Rule("create").Groups(Authorization).Resources("selfsubjectaccessreviews", "selfsubjectrulesreviews"),
            Rule("create").Groups(Authentication).Resources("selfsubjectreviews")),

        // The aggregated user-facing roles: their rules are gathered from the roles carrying the labels.
        Aggregated("admin", AggregateToAdmin, extraLabels: null),
        Aggregated("edit", AggregateToEdit, new Dictionary<string, string> { [AggregateToAdmin] = "true" }),
        Aggregated("view", AggregateToView, new Dictionary<string, string> { [AggregateToEdit] = "true" }),

        // What admin has beyond edit: granting permissions within the namespace.
        Aggregating(
            "system:aggregate-to-admin",
            AggregateToAdmin,
            Rule("create").Groups(Authorization).Resources("localsubjectaccessreviews"),
            Rule(ReadWrite).Groups(Rbac).Resources("roles", "rolebindings")),

        // What edit has beyond view: writing the namespace's workloads and reading its secrets, but no
        // status subresources and no quota or limits, which are the namespace's administrators'.
        Aggregating(
            "system:aggregate-to-edit",
            AggregateToEdit,
            Rule(Read).Groups(Legacy).Resources("pods/attach", "pods/proxy", "pods/exec", "pods/portforward", "secrets", "services/proxy"),
            Rule("impersonate").Groups(Legacy).Resources("serviceaccounts"),
            Rule(Write).Groups(Legacy).Resources("pods", "pods/attach", "pods/proxy", "pods/exec", "pods/portforward"),
            Rule("create").Groups(Legacy).Resources("pods/eviction"),
            Rule(Write).Groups(Legacy).Resources(
                "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "services", "services/proxy",
                "persistentvolumeclaims", "configmaps", "secrets", "events"),
            Rule("create").Groups(Legacy).Resources("serviceaccounts/token"),
            Rule(Write).Groups(Apps).Resources(
                "statefulsets", "statefulsets/scale", "daemonsets", "deployments", "deployments/scale", "deployments/rollback",
                "replicasets", "replicasets/scale"),
            Rule(Write).Groups(Autoscaling).Resources("horizontalpodautoscalers"),
            Rule(Write).Groups(Batch).Resources("jobs", "cronjobs"),
            Rule(Write).Groups(Extensions).Resources(
                "daemonsets", "deployments", "deployments/scale", "deployments/rollback", "ingresses", "replicasets",
                "replicasets/scale", "replicationcontrollers/scale", "networkpolicies"),
            Rule(Write).Groups(Policy).Resources("poddisruptionbudgets"),
            Rule(Write).Groups(Networking).Resources("networkpolicies", "ingresses"),
            Rule(ReadWrite).Groups(Coordination).Resources("leases")),

        // Read-only access to the namespace's non-escalating resources (not secrets).
        Aggregating(
            "system:aggregate-to-view",
            AggregateToView,
            Rule(Read).Groups(Legacy).Resources(
                "pods", "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "services", "services/status",
                "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status", "configmaps"),
            Rule(Read).Groups(Legacy).Resources(
                "limitranges", "resourcequotas", "bindings", "events", "pods/status", "resourcequotas/status", "namespaces/status",
                "replicationcontrollers/status", "pods/log"),
            // Reading namespaces at namespace scope reads this namespace: an indicator of which namespaces one has access to.
            Rule(Read).Groups(Legacy).Resources("namespaces"),
            Rule(Read).Groups(Discovery).Resources("endpointslices"),
            Rule(Read).Groups(Apps).Resources(
                "controllerrevisions", "statefulsets", "statefulsets/status", "statefulsets/scale", "daemonsets", "daemonsets/status",
                "deployments", "deployments/status", "deployments/scale", "replicasets", "replicasets/status", "replicasets/scale"),
            Rule(Read).Groups(Autoscaling).Resources("horizontalpodautoscalers", "horizontalpodautoscalers/status"),
            Rule(Read).Groups(Batch).Resources("jobs", "cronjobs", "cronjobs/status", "jobs/status"),
            Rule(Read).Groups(Extensions).Resources(
                "daemonsets", "daemonsets/status", "deployments", "deployments/scale", "deployments/status", "ingresses",
                "ingresses/status", "replicasets", "replicasets/scale", "replicasets/status", "replicationcontrollers/scale",
                "networkpolicies"),
            Rule(Read).Groups(Policy).Resources("poddisruptionbudgets", "poddisruptionbudgets/status"),
            Rule(Read).Groups(Networking).Resources("networkpolicies", "ingresses", "ingresses/status")),

        // Health and metrics endpoints, for monitoring systems.
        ClusterRole(
            "system:monitoring",
            Rule("get").Urls("/metrics", "/metrics/slis", "/livez", "/readyz", "/healthz", "/livez/*", "/readyz/*", "/healthz/*")),

        // Heapster (deprecated, still bootstrapped upstream).
        ClusterRole(
            "system:heapster",
            Rule(Read).Groups(Legacy).Resources("events", "pods", "nodes", "namespaces"),
            Rule(Read).Groups(Extensions).Resources("deployments")),

        // What nodes need to run pods; the node authorizer applies these and restricts them further.
        ClusterRole("system:node", [.. NodeRules()]),

        // Node problem detector.
        ClusterRole(
            "system:node-problem-detector",
            Rule("get").Groups(Legacy).Resources("nodes"),
            Rule("patch").Groups(Legacy).Resources("nodes/status"),
            EventsRule()),

        // Full access to the kubelet API.
        ClusterRole(
            "system:kubelet-api-admin",
            Rule(Read).Groups(Legacy).Resources("nodes"),
            Rule("proxy").Groups(Legacy).Resources("nodes"),
            Rule("*").Groups(Legacy).Resources("nodes/proxy", "nodes/metrics", "nodes/stats", "nodes/log")),

        // Kubelet TLS bootstrapping.
        ClusterRole(
            "system:node-bootstrapper",
            Rule("create", "get", "list", "watch").Groups(Certificates).Resources("certificatesigningrequests")),

        // Authentication and authorization delegation (aggregated API servers); these creates do not mutate.
        ClusterRole(
            "system:auth-delegator",
            Rule("create").Groups(Authentication).Resources("tokenreviews"),
            Rule("create").Groups(Authorization).Resources("subjectaccessreviews")),

        // The API aggregator: it must see every service to know whether the ones it points to exist.
        ClusterRole(
            "system:kube-aggregator",
            Rule(Read).Groups(Legacy).Resources("services", "endpoints")),

        // The controller manager's own identity: shared informers and the service accounts and tokens that
        // give each controller its own identity.
        ClusterRole(
            "system:kube-controller-manager",
            EventsRule(),
            Rule("create").Groups(Coordination).Resources("leases"),
            Rule("get", "update").Groups(Coordination).Resources("leases").Names("kube-controller-manager"),
            Rule("create").Groups(Legacy).Resources("secrets", "serviceaccounts"),
            Rule("delete").Groups(Legacy).Resources("secrets"),
            Rule("get").Groups(Legacy).Resources("namespaces", "secrets", "serviceaccounts", "configmaps"),
            Rule("update").Groups(Legacy).Resources("secrets", "serviceaccounts"),
            Rule("create").Groups(Authentication).Resources("tokenreviews"),
            Rule("create").Groups(Authorization).Resources("subjectaccessreviews"),
            Rule("list", "watch").Groups("*").Resources("*"),
            Rule("create").Groups(Legacy).Resources("serviceaccounts/token")),

        // DNS.
        ClusterRole(
            "system:kube-dns",
            Rule("list", "watch").Groups(Legacy).Resources("endpoints", "services")),

        // Dynamic persistent volume provisioners.
        ClusterRole(
            "system:persistent-volume-provisioner",
            Rule("get", "list", "watch", "create", "delete").Groups(Legacy).Resources("persistentvolumes"),
            // update is needed to set the claims' annotations.
            Rule("get", "list", "watch", "update").Groups(Legacy).Resources("persistentvolumeclaims"),
            Rule(Read).Groups(Storage).Resources("storageclasses"),
            // Watching events keeps a provisioner from racing another on the same claim.
            Rule("watch").Groups(Legacy).Resources("events"),
            EventsRule()),

        // The scheduler.
        ClusterRole(
            "system:kube-scheduler",
            EventsRule(),
            Rule("create").Groups(Coordination).Resources("leases"),
            Rule("get", "update").Groups(Coordination).Resources("leases").Names("kube-scheduler"),
            Rule(Read).Groups(Legacy).Resources("nodes"),
            Rule("get", "list", "watch", "delete").Groups(Legacy).Resources("pods"),
            Rule("create").Groups(Legacy).Resources("pods/binding", "bindings"),
            Rule("patch", "update").Groups(Legacy).Resources("pods/status"),
            Rule(Read).Groups(Legacy).Resources("replicationcontrollers", "services"),
            Rule(Read).Groups(Apps, Extensions).Resources("replicasets"),
            Rule(Read).Groups(Apps).Resources("statefulsets"),
            Rule(Read).Groups(Policy).Resources("poddisruptionbudgets"),
            Rule(Read).Groups(Legacy).Resources("persistentvolumeclaims", "persistentvolumes"),
            // For delegated authentication and authorization of its own endpoints.
            Rule("create").Groups(Authentication).Resources("tokenreviews"),
            Rule("create").Groups(Authorization).Resources("subjectaccessreviews"),
            Rule(Read).Groups(Storage).Resources("csinodes"),
            Rule(Read).Groups(Legacy).Resources("namespaces"),
            Rule(Read).Groups(Storage).Resources("csidrivers"),
            Rule(Read).Groups(Storage).Resources("csistoragecapacities")),

        // The scheduler's volume binding.
        ClusterRole(
            "system:volume-scheduler",
            Rule("get", "list", "watch", "update", "patch").Groups(Legacy).Resources("persistentvolumes"),
            Rule(Read).Groups(Storage).Resources("storageclasses"),
            Rule("get", "list", "watch", "update", "patch").Groups(Legacy).Resources("persistentvolumeclaims")),

        // kube-proxy.
        ClusterRole(
            "system:node-proxier",
            Rule("list", "watch").Groups(Legacy).Resources("services", "endpoints"),
            Rule("get", "list", "watch").Groups(Legacy).Resources("nodes"),
            EventsRule(),
            Rule("list", "watch").Groups(Discovery).Resources("endpointslices")),

        // Service account issuer discovery (OIDC).
        ClusterRole(
            "system:service-account-issuer-discovery",
            Rule("get").Urls("/.well-known/openid-configuration", "/openid/v1/jwks")),

        // Certificate signing request creation and approval.
        ClusterRole(
            "system:certificates.k8s.io:certificatesigningrequests:nodeclient",
            Rule("create").Groups(Certificates).Resources("certificatesigningrequests/nodeclient")),
        ClusterRole(
            "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient",
            Rule("create").Groups(Certificates).Resources("certificatesigningrequests/selfnodeclient")),
        Approver("kubernetes.io/kube-apiserver-client", "system:certificates.k8s.io:kube-apiserver-client-approver"),
        Approver("kubernetes.io/kube-apiserver-client-kubelet", "system:certificates.k8s.io:kube-apiserver-client-kubelet-approver"),
        Approver("kubernetes.io/kubelet-serving", "system:certificates.k8s.io:kubelet-serving-approver"),
        Approver("kubernetes.io/legacy-unknown", "system:certificates.k8s.io:legacy-unknown-approver"),
    ];

    private static V1ClusterRole Aggregated(string name, string aggregateLabel, Dictionary<string, string>? extraLabels)
    {
        var role = ClusterRole(name);
        role.Metadata = Meta(name, extraLabels: extraLabels);
        role.Rules = null;
        role.AggregationRule = new V1AggregationRule
        {
            ClusterRoleSelectors = [new V1LabelSelector { MatchLabels = new Dictionary<string, string> { [aggregateLabel] = "true" } }],
        };
        return role;
    }

    private static V1ClusterRole Aggregating(string name, string aggregateLabel, params V1PolicyRule[] rules)
    {
        var role = ClusterRole(name, rules);
        role.Metadata = Meta(name, extraLabels: new Dictionary<string, string> { [aggregateLabel] = "true" });
        return role;
    }

    private static V1ClusterRole Approver(string signerName, string roleName) =>
        ClusterRole(roleName, Rule("approve").Groups(Certificates).Resources("signers").Names(signerName));
}
