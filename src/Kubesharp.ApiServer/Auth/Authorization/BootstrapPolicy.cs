using k8s.Models;
using Kubesharp.Api.Auth;
using static Kubesharp.ApiServer.Auth.Authorization.PolicyRuleBuilder;

namespace Kubesharp.ApiServer.Auth.Authorization;

/// <summary>
/// The RBAC objects an upstream v1.32 API server creates at start with default feature gates
/// (<c>plugin/pkg/auth/authorizer/rbac/bootstrappolicy</c>): the default ClusterRoles (policy.go), the
/// <c>system:controller:*</c> ClusterRoles of the controllers and their bindings to the controllers'
/// service accounts in kube-system (controller_policy.go), the default ClusterRoleBindings, and the Roles
/// and RoleBindings of kube-system and kube-public (namespace_policy.go); and kubeadm's node bootstrap bindings
/// (<see cref="KubeadmClusterRoleBindings"/>), which kubeadm clusters have. Every object carries the label
/// <c>kubernetes.io/bootstrapping: rbac-defaults</c> and the annotation
/// <c>rbac.authorization.kubernetes.io/autoupdate: "true"</c>.
/// </summary>
/// <remarks>
/// Each call builds new objects, so callers may change what they get. The aggregated roles (admin, edit,
/// view) come with an aggregationRule and no rules, as upstream creates them; the aggregation controller
/// (<see cref="ClusterRoleAggregation"/>) fills them in. Writing the objects is the API server's start-up
/// job, through <see cref="BootstrapReconciliation"/> so that a cluster administrator's additions survive
/// and <c>autoupdate: "false"</c> is respected. Thread-safe.
/// </remarks>
internal static partial class BootstrapPolicy
{
    private const string Legacy = "";
    private const string Apps = "apps";
    private const string Authentication = "authentication.k8s.io";
    private const string Authorization = "authorization.k8s.io";
    private const string Autoscaling = "autoscaling";
    private const string Batch = "batch";
    private const string Certificates = "certificates.k8s.io";
    private const string Coordination = "coordination.k8s.io";
    private const string Discovery = "discovery.k8s.io";
    private const string Events = "events.k8s.io";
    private const string Extensions = "extensions";
    private const string Networking = "networking.k8s.io";
    private const string Node = "node.k8s.io";
    private const string Policy = "policy";
    private const string Rbac = RbacNames.ApiGroup;
    private const string Storage = "storage.k8s.io";
    private const string AdmissionRegistration = "admissionregistration.k8s.io";
    private const string ResourceMetrics = "metrics.k8s.io";
    private const string CustomMetrics = "custom.metrics.k8s.io";
    private const string ExternalMetrics = "external.metrics.k8s.io";

    private const string KubeSystem = "kube-system";
    private const string KubePublic = "kube-public";

    private static readonly string[] Read = ["get", "list", "watch"];
    private static readonly string[] ReadWrite = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"];
    private static readonly string[] Write = ["create", "update", "patch", "delete", "deletecollection"];

    /// <summary>Every bootstrap ClusterRole: the defaults of policy.go, then the controllers' roles, then the cluster DNS's (<see cref="ClusterDnsClusterRoles"/>).</summary>
    public static List<V1ClusterRole> AllClusterRoles() => [.. ClusterRoles(), .. ControllerRoles(), .. ClusterDnsClusterRoles()];

    /// <summary>Every bootstrap ClusterRoleBinding: the defaults of policy.go, the controllers' bindings, kubeadm's node bootstrap bindings, the agent's, then the cluster DNS's.</summary>
    public static List<V1ClusterRoleBinding> AllClusterRoleBindings() => [.. ClusterRoleBindings(), .. ControllerRoleBindings(), .. KubeadmClusterRoleBindings(), .. AgentClusterRoleBindings(), .. ClusterDnsClusterRoleBindings()];

    /// <summary>
    /// A snapshot of the whole bootstrap policy with the aggregated roles filled in, as a fresh cluster
    /// has it once the aggregation controller has run.
    /// </summary>
    public static RbacSnapshot Snapshot() => new(
        NamespaceRoles(),
        ClusterRoleAggregation.AggregateAll(AllClusterRoles()),
        NamespaceRoleBindings(),
        AllClusterRoleBindings());

    /// <summary>
    /// Upstream's <c>NodeRules</c>: the rules of <c>system:node</c>, which the node authorizer applies to
    /// every node for the requests it does not subdivide.
    /// </summary>
    public static List<V1PolicyRule> NodeRules() =>
    [
        // Needed to check API access; these creates do not mutate.
        Rule("create").Groups(Authentication).Resources("tokenreviews"),
        Rule("create").Groups(Authorization).Resources("subjectaccessreviews", "localsubjectaccessreviews"),
        // Needed to build the service lister, for services' environment variables.
        Rule(Read).Groups(Legacy).Resources("services"),
        // Nodes register and report status; NodeRestriction limits a node to its own Node object.
        Rule("create", "get", "list", "watch").Groups(Legacy).Resources("nodes"),
        Rule("update", "patch").Groups(Legacy).Resources("nodes/status"),
        Rule("update", "patch").Groups(Legacy).Resources("nodes"),
        Rule("create", "update", "patch").Groups(Legacy).Resources("events"),
        Rule(Read).Groups(Legacy).Resources("pods"),
        // Mirror pods; NodeRestriction limits them to pods bound to the node.
        Rule("create", "delete").Groups(Legacy).Resources("pods"),
        Rule("update", "patch").Groups(Legacy).Resources("pods/status"),
        Rule("create").Groups(Legacy).Resources("pods/eviction"),
        // The node authorizer limits these to objects referenced by pods bound to the node.
        Rule("get", "list", "watch").Groups(Legacy).Resources("secrets", "configmaps"),
        Rule("get").Groups(Legacy).Resources("persistentvolumeclaims", "persistentvolumes"),
        Rule("get").Groups(Legacy).Resources("endpoints"),
        // Client certificate rotation.
        Rule("create", "get", "list", "watch").Groups(Certificates).Resources("certificatesigningrequests"),
        Rule("get", "create", "update", "patch", "delete").Groups(Coordination).Resources("leases"),
        Rule("get").Groups(Storage).Resources("volumeattachments"),
        Rule("create").Groups(Legacy).Resources("serviceaccounts/token"),
        Rule("get", "update", "patch").Groups(Legacy).Resources("persistentvolumeclaims/status"),
        Rule("get", "watch", "list").Groups(Storage).Resources("csidrivers"),
        Rule("get", "create", "update", "patch", "delete").Groups(Storage).Resources("csinodes"),
        Rule("get", "list", "watch").Groups(Node).Resources("runtimeclasses"),
    ];

    private static V1PolicyRule EventsRule() => Rule("create", "update", "patch").Groups(Legacy, Events).Resources("events");

    private static V1ObjectMeta Meta(string name, string? @namespace = null, IDictionary<string, string>? extraLabels = null)
    {
        var labels = new Dictionary<string, string> { [RbacNames.BootstrappingLabel] = RbacNames.BootstrappingLabelValue };
        foreach (var (key, value) in extraLabels ?? new Dictionary<string, string>())
        {
            labels[key] = value;
        }

        return new V1ObjectMeta
        {
            Name = name,
            NamespaceProperty = @namespace,
            Labels = labels,
            Annotations = new Dictionary<string, string> { [RbacNames.AutoUpdateAnnotation] = "true" },
        };
    }

    private static V1ClusterRole ClusterRole(string name, params V1PolicyRule[] rules) => new()
    {
        ApiVersion = RbacNames.ApiVersion,
        Kind = RbacNames.ClusterRoleKind,
        Metadata = Meta(name),
        Rules = rules.ToList(),
    };

    private static V1Role Role(string @namespace, string name, params V1PolicyRule[] rules) => new()
    {
        ApiVersion = RbacNames.ApiVersion,
        Kind = RbacNames.RoleKind,
        Metadata = Meta(name, @namespace),
        Rules = rules.ToList(),
    };

    private static V1ClusterRoleBinding ClusterBinding(string roleName, params Rbacv1Subject[] subjects) => new()
    {
        ApiVersion = RbacNames.ApiVersion,
        Kind = RbacNames.ClusterRoleBindingKind,
        Metadata = Meta(roleName),
        RoleRef = new V1RoleRef { ApiGroup = RbacNames.ApiGroup, Kind = RbacNames.ClusterRoleKind, Name = roleName },
        Subjects = subjects.Length == 0 ? null : subjects.ToList(),
    };

    private static V1RoleBinding RoleBinding(string @namespace, string name, string roleName, params Rbacv1Subject[] subjects) => new()
    {
        ApiVersion = RbacNames.ApiVersion,
        Kind = RbacNames.RoleBindingKind,
        Metadata = Meta(name, @namespace),
        RoleRef = new V1RoleRef { ApiGroup = RbacNames.ApiGroup, Kind = RbacNames.RoleKind, Name = roleName },
        Subjects = subjects.ToList(),
    };

    private static Rbacv1Subject User(string name) => new() { Kind = SubjectKinds.User, ApiGroup = RbacNames.ApiGroup, Name = name };

    private static Rbacv1Subject Group(string name) => new() { Kind = SubjectKinds.Group, ApiGroup = RbacNames.ApiGroup, Name = name };

    private static Rbacv1Subject ServiceAccount(string @namespace, string name) => new() { Kind = SubjectKinds.ServiceAccount, Name = name, NamespaceProperty = @namespace };
}
