using Kubesharp.Controllers.ClusterRoleAggregation;
using Kubesharp.Controllers.Endpoints;
using Kubesharp.Controllers.EndpointSlices;
using Kubesharp.Controllers.GarbageCollector;
using Kubesharp.Controllers.Namespace;
using Kubesharp.Controllers.PodGc;
using Kubesharp.Controllers.RootCaPublisher;
using Kubesharp.Controllers.ServiceAccounts;

namespace Kubesharp.Controllers;

/// <summary>Settings of the core controllers, with upstream's defaults.</summary>
public sealed record CoreControllerOptions
{
    /// <summary>Upstream's <c>--terminated-pod-gc-threshold</c>: terminated pods kept before the oldest are deleted; 0 or less keeps them all.</summary>
    public int TerminatedPodGcThreshold { get; init; } = 12500;

    /// <summary>How long a node must be missing before the pods bound to it are deleted (upstream's quarantine, 40 s).</summary>
    public TimeSpan PodGcQuarantine { get; init; } = TimeSpan.FromSeconds(40);

    /// <summary>How often the pod garbage collector looks (upstream's gcCheckPeriod, 20 s).</summary>
    public TimeSpan PodGcPeriod { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// How long the namespace controller waits after it sees a namespace being deleted before it starts emptying
    /// it (upstream's namespaceDeletionGracePeriod, 5 s: lets other API servers and last-moment creates settle).
    /// </summary>
    public TimeSpan NamespaceDeletionDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How often the garbage collector rereads discovery to watch new resources (custom resources) and drop removed ones (upstream: 30 s).</summary>
    public TimeSpan GarbageCollectorDiscoveryPeriod { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Upstream's <c>--max-endpoints-per-slice</c>: endpoints the EndpointSlice controller puts in one slice (1 to 1000).</summary>
    public int MaxEndpointsPerSlice { get; init; } = 100;
}

public static partial class CoreControllers
{
    /// <summary>
    /// The service account upstream's controller manager gives each controller (with
    /// <c>--use-service-account-credentials</c>): each is bound to its <c>system:controller:NAME</c> ClusterRole.
    /// Keyed by controller name; the workload controllers' accounts are here too.
    /// </summary>
    public static IReadOnlyDictionary<string, string> ServiceAccounts { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [ServiceAccountsController.ControllerName] = "service-account-controller",
        [RootCaPublisherController.ControllerName] = "root-ca-cert-publisher",
        [NamespaceController.ControllerName] = "namespace-controller",
        [GarbageCollectorController.ControllerName] = "generic-garbage-collector",
        [ClusterRoleAggregationController.ControllerName] = "clusterrole-aggregation-controller",
        [PodGcController.ControllerName] = "pod-garbage-collector",
        [EndpointsController.ControllerName] = "endpoint-controller",
        [EndpointSliceController.ControllerName] = "endpointslice-controller",
        ["replicaset-controller"] = "replicaset-controller",
        ["deployment-controller"] = "deployment-controller",
        ["replicationcontroller-controller"] = "replication-controller",
        ["certificatesigningrequest-approving-controller"] = "certificate-controller",
        ["certificatesigningrequest-signing-controller"] = "certificate-controller",
    };

    /// <summary>Controllers that write with the manager's own credentials, as upstream's tokens controller (it runs before any account token exists).</summary>
    public static IReadOnlySet<string> RootCredentials { get; } = new HashSet<string>(StringComparer.Ordinal) { "serviceaccount-token-controller" };

    /// <summary>The names <c>--controllers</c> accepted before v1.28 (upstream keeps them as aliases).</summary>
    public static IReadOnlyDictionary<string, string> Aliases { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["serviceaccount"] = ServiceAccountsController.ControllerName,
        ["root-ca-cert-publisher"] = RootCaPublisherController.ControllerName,
        ["namespace"] = NamespaceController.ControllerName,
        ["garbagecollector"] = GarbageCollectorController.ControllerName,
        ["clusterrole-aggregation"] = ClusterRoleAggregationController.ControllerName,
        ["podgc"] = PodGcController.ControllerName,
        ["endpoint"] = EndpointsController.ControllerName,
        ["endpointslice"] = EndpointSliceController.ControllerName,
        ["replicaset"] = "replicaset-controller",
        ["deployment"] = "deployment-controller",
        ["replicationcontroller"] = "replicationcontroller-controller",
        ["serviceaccount-token"] = "serviceaccount-token-controller",
        ["csrapproving"] = "certificatesigningrequest-approving-controller",
        ["csrsigning"] = "certificatesigningrequest-signing-controller",
    };

    // Worker counts are upstream's defaults (--concurrent-namespace-syncs 10, --concurrent-gc-syncs 20,
    // --concurrent-endpoint-syncs 5, --concurrent-service-endpoint-syncs 5, one elsewhere).
    private static ControllerDescriptor[] Descriptors() =>
    [
        new(ServiceAccountsController.ControllerName, c => new ServiceAccountsController(c), 1),
        new(RootCaPublisherController.ControllerName, c => new RootCaPublisherController(c), 1),
        new(NamespaceController.ControllerName, c => new NamespaceController(c), 10),
        new(GarbageCollectorController.ControllerName, c => new GarbageCollectorController(c), 20),
        new(ClusterRoleAggregationController.ControllerName, c => new ClusterRoleAggregationController(c), 1),
        new(PodGcController.ControllerName, c => new PodGcController(c), 1),
        new(EndpointsController.ControllerName, EndpointsController.Create, 5),
        new(EndpointSliceController.ControllerName, EndpointSliceController.Create, 5),
    ];
}
