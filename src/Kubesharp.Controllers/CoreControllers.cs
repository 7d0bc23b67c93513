using Kubesharp.Controllers.ClusterRoleAggregation;
using Kubesharp.Controllers.Endpoints;
using Kubesharp.Controllers.EndpointSlices;
using Kubesharp.Controllers.GarbageCollector;
using Kubesharp.Controllers.Namespace;
using Kubesharp.Controllers.NodeIpam;
using Kubesharp.Controllers.NodeLifecycle;
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

    /// <summary>Upstream's <c>--node-monitor-period</c>: how often the node lifecycle controller looks at every node's heartbeats.</summary>
    public TimeSpan NodeMonitorPeriod { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Upstream's <c>--node-monitor-grace-period</c>: how long a node may go without a heartbeat before it is marked Unknown.</summary>
    public TimeSpan NodeMonitorGracePeriod { get; init; } = TimeSpan.FromSeconds(40);

    /// <summary>Upstream's <c>--node-startup-grace-period</c>: the same for a node that never posted a Ready condition.</summary>
    public TimeSpan NodeStartupGracePeriod { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Upstream's <c>--node-eviction-rate</c>: nodes per second that get a NoExecute taint, per zone, while the zone is healthy.</summary>
    public double NodeEvictionRate { get; init; } = 0.1;

    /// <summary>Upstream's <c>--secondary-node-eviction-rate</c>: the rate in a partially disrupted zone of a large cluster.</summary>
    public double SecondaryNodeEvictionRate { get; init; } = 0.01;

    /// <summary>Upstream's <c>--large-cluster-size-threshold</c>: zones with more nodes than this keep evicting (slowly) when partially disrupted.</summary>
    public int LargeClusterSizeThreshold { get; init; } = 50;

    /// <summary>Upstream's <c>--unhealthy-zone-threshold</c>: the share of not-ready nodes (at least 3) that makes a zone partially disrupted.</summary>
    public double UnhealthyZoneThreshold { get; init; } = 0.55;

    /// <summary>Upstream's <c>--cluster-cidr</c>: the range the node IPAM controller cuts pod CIDRs from (k3s's default here).</summary>
    public string ClusterCidr { get; init; } = "10.42.0.0/16";

    /// <summary>Upstream's <c>--node-cidr-mask-size</c>: the prefix length of each node's pod CIDR.</summary>
    public int NodeCidrMaskSize { get; init; } = 24;

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
        [NodeLifecycleController.ControllerName] = "node-controller",
        [NodeIpamController.ControllerName] = "node-controller",
        [EndpointsController.ControllerName] = "endpoint-controller",
        [EndpointSliceController.ControllerName] = "endpointslice-controller",
        ["replicaset-controller"] = "replicaset-controller",
        ["deployment-controller"] = "deployment-controller",
        ["replicationcontroller-controller"] = "replication-controller",
        ["daemonset-controller"] = "daemon-set-controller",
        ["statefulset-controller"] = "statefulset-controller",
        ["certificatesigningrequest-approving-controller"] = "certificate-controller",
        ["certificatesigningrequest-signing-controller"] = "certificate-controller",
        ["job-controller"] = "job-controller",
        ["cronjob-controller"] = "cronjob-controller",
        ["ttl-after-finished-controller"] = "ttl-after-finished-controller",
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
        ["nodelifecycle"] = NodeLifecycleController.ControllerName,
        ["nodeipam"] = NodeIpamController.ControllerName,
        ["endpoint"] = EndpointsController.ControllerName,
        ["endpointslice"] = EndpointSliceController.ControllerName,
        ["replicaset"] = "replicaset-controller",
        ["deployment"] = "deployment-controller",
        ["replicationcontroller"] = "replicationcontroller-controller",
        ["daemonset"] = "daemonset-controller",
        ["statefulset"] = "statefulset-controller",
        ["serviceaccount-token"] = "serviceaccount-token-controller",
        ["csrapproving"] = "certificatesigningrequest-approving-controller",
        ["csrsigning"] = "certificatesigningrequest-signing-controller",
        ["job"] = "job-controller",
        ["cronjob"] = "cronjob-controller",
        ["ttl-after-finished"] = "ttl-after-finished-controller",
    };

    // Worker counts are upstream's defaults (--concurrent-namespace-syncs 10, --concurrent-gc-syncs 20,
    // --concurrent-endpoint-syncs 5, --concurrent-service-endpoint-syncs 5, one elsewhere; node lifecycle:
    // upstream's 4 pod workers, its node health pass being one key of its own).
    private static ControllerDescriptor[] Descriptors() =>
    [
        new(ServiceAccountsController.ControllerName, c => new ServiceAccountsController(c), 1),
        new(RootCaPublisherController.ControllerName, c => new RootCaPublisherController(c), 1),
        new(NamespaceController.ControllerName, c => new NamespaceController(c), 10),
        new(GarbageCollectorController.ControllerName, c => new GarbageCollectorController(c), 20),
        new(ClusterRoleAggregationController.ControllerName, c => new ClusterRoleAggregationController(c), 1),
        new(PodGcController.ControllerName, c => new PodGcController(c), 1),
        new(NodeLifecycleController.ControllerName, c => new NodeLifecycleRunner(c), 4),
        new(NodeIpamController.ControllerName, c => new NodeIpamController(c), 1),
        new(EndpointsController.ControllerName, EndpointsController.Create, 5),
        new(EndpointSliceController.ControllerName, EndpointSliceController.Create, 5),
    ];
}
