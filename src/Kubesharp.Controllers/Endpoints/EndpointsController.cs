using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Client.Controllers;
using Kubesharp.Client.Events;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Controllers.Endpoints;

/// <summary>
/// Upstream's endpoints controller (<c>pkg/controller/endpoint</c>, v1.32): keeps, for every selector-based
/// Service, the Endpoints object of the same name listing the selected pods.
/// <list type="bullet">
/// <item>Keyed by service. A service gone from the cache: its Endpoints are deleted. ExternalName services and
/// services without a selector are left alone (their Endpoints belong to their user).</item>
/// <item>Pods with an IP and not terminal are listed, ready ones in <c>addresses</c>, others in
/// <c>notReadyAddresses</c>; pods being deleted only with <c>publishNotReadyAddresses</c> (which also makes every
/// listed pod ready). Each service port's targetPort is resolved per pod; a pod without a named port is left out
/// for that port. Subsets are repacked (<see cref="EndpointSubsets.Repack"/>) and cut at 1000 addresses.</item>
/// <item>The Endpoints carry the service's labels (plus <c>service.kubernetes.io/headless</c> without a cluster
/// IP) and the last-change-trigger-time annotation. Nothing is written when subsets, labels and the capacity
/// annotation already match.</item>
/// <item>After an update, the cached copy it replaced is known stale: a sync that still reads it fails and is
/// retried, rather than writing on an old state (upstream's staleEndpointsTracker).</item>
/// <item>At start, every cached Endpoints is synced once (upstream's checkLeftoverEndpoints), so that Endpoints
/// of services deleted while no controller ran go too; those of leader-election locks are left alone.</item>
/// </list>
/// Failures throw; the queue retries with back-off.
/// </summary>
public sealed partial class EndpointsController : QueueController
{
    public const string ControllerName = "endpoints-controller";

    /// <summary>The event source upstream's controller writes as.</summary>
    public const string EventComponent = "endpoint-controller";

    public const string FailedToCreateEndpoint = "FailedToCreateEndpoint";
    public const string FailedToUpdateEndpoint = "FailedToUpdateEndpoint";

    /// <summary>Upstream's <c>resourcelock.LeaderElectionRecordAnnotationKey</c>: such Endpoints have no service and must stay.</summary>
    public const string LeaderAnnotation = "control-plane.alpha.kubernetes.io/leader";

    private readonly IIndexReader<V1Service> _services;
    private readonly IIndexReader<V1Pod> _pods;
    private readonly IIndexReader<V1Endpoints> _endpoints;
    private readonly IEndpointsApi _api;
    private readonly IEventRecorder _recorder;
    private readonly IReadOnlyList<ISharedInformer> _informers;
    private readonly TriggerTimeTracker _triggerTimes = new();
    private readonly StaleEndpoints _stale = new();
    private volatile IHandlerRegistration? _endpointsRegistration;

    internal EndpointsController(
        IIndexReader<V1Service> services,
        IIndexReader<V1Pod> pods,
        IIndexReader<V1Endpoints> endpoints,
        IEndpointsApi api,
        IEventRecorder recorder,
        TimeProvider time,
        ILogger logger,
        IReadOnlyList<ISharedInformer>? informers = null)
        : base(ControllerName, time, logger)
    {
        _services = services;
        _pods = pods;
        _endpoints = endpoints;
        _api = api;
        _recorder = recorder;
        _informers = informers ?? [];
    }

    /// <summary>Builds the controller on the manager's shared service, pod and Endpoints informers and registers its handlers.</summary>
    public static EndpointsController Create(ControllerContext context)
    {
        var services = context.Informers.GetInformer<V1Service>();
        var pods = context.Informers.GetInformer<V1Pod>();
        var endpoints = context.Informers.GetInformer<V1Endpoints>();
        var controller = new EndpointsController(
            services.Indexer,
            pods.Indexer,
            endpoints.Indexer,
            new KubernetesEndpointsApi(context.Client),
            context.Recorder(EventComponent),
            context.Time,
            context.Loggers.CreateLogger(ControllerName),
            [services, pods, endpoints]);
        services.AddEventHandler(controller.ServiceHandler());
        pods.AddEventHandler(controller.PodHandler());
        controller._endpointsRegistration = endpoints.AddEventHandler(controller.EndpointsHandler());
        return controller;
    }

    protected override IEnumerable<ISharedInformer> Informers => _informers;

    protected override Task<ReconcileResult> ReconcileAsync(string key, CancellationToken cancellationToken) => SyncAsync(key, cancellationToken);

    internal IResourceEventHandler<V1Service> ServiceHandler() => new ResourceEventHandlerFuncs<V1Service>
    {
        AddFunc = Enqueue,
        UpdateFunc = (_, cur) => Enqueue(cur),
        DeleteFunc = (service, _) => Enqueue(service),
    };

    internal IResourceEventHandler<V1Pod> PodHandler() => new ResourceEventHandlerFuncs<V1Pod>
    {
        AddFunc = OnPodAddedOrDeleted,
        UpdateFunc = (old, cur) => EnqueueAll(ServiceEndpoints.ServicesToUpdateOnPodChange(_services, old, cur)),
        DeleteFunc = (pod, _) => OnPodAddedOrDeleted(pod),
    };

    internal IResourceEventHandler<V1Endpoints> EndpointsHandler() => new ResourceEventHandlerFuncs<V1Endpoints>
    {
        AddFunc = OnEndpointsAdded,
        DeleteFunc = (endpoints, _) => Enqueue(endpoints),
    };

    private void OnPodAddedOrDeleted(V1Pod pod) =>
        EnqueueAll(ServiceEndpoints.ServicesSelecting(_services, pod.Metadata.NamespaceProperty ?? "", pod.Metadata.Labels));

    /// <summary>
    /// Upstream's checkLeftoverEndpoints: the Endpoints of the first list are each synced once, so that those of
    /// services deleted while no controller ran are deleted. Endpoints created later are not this controller's
    /// business until their service comes or goes.
    /// </summary>
    internal void OnEndpointsAdded(V1Endpoints endpoints)
    {
        if (_endpointsRegistration is { HasSynced: true })
        {
            return;
        }

        if (endpoints.Metadata.Annotations?.ContainsKey(LeaderAnnotation) == true)
        {
            // Leader-election locks have no service.
            return;
        }

        Enqueue(endpoints);
    }

    private void EnqueueAll(IEnumerable<string> keys)
    {
        foreach (var key in keys)
        {
            Enqueue(key);
        }
    }

    /// <summary>
    /// Upstream's staleEndpointsTracker: the resourceVersion each Endpoints had before this controller's last update
    /// of it. Reading that version again from the cache means the cache has not caught up with the write.
    /// </summary>
    private sealed class StaleEndpoints
    {
        private readonly Lock _lock = new();
        private readonly Dictionary<string, string> _versions = new(StringComparer.Ordinal);

        public void MarkStale(V1Endpoints endpoints)
        {
            lock (_lock)
            {
                _versions[ObjectKeys.For(endpoints)] = endpoints.Metadata.ResourceVersion ?? "";
            }
        }

        public bool IsStale(V1Endpoints endpoints)
        {
            lock (_lock)
            {
                return _versions.TryGetValue(ObjectKeys.For(endpoints), out var version) && version == endpoints.Metadata.ResourceVersion;
            }
        }

        public void Delete(string key)
        {
            lock (_lock)
            {
                _versions.Remove(key);
            }
        }
    }
}
