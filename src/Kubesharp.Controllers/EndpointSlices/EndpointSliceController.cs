using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Client.Controllers;
using Kubesharp.Client.Events;
using Kubesharp.Client.WorkQueue;
using Kubesharp.Controllers.Endpoints;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Controllers.EndpointSlices;

/// <summary>
/// Upstream's EndpointSlice controller (<c>pkg/controller/endpointslice</c>, v1.32): for every selector-based
/// Service, EndpointSlices (labelled <c>kubernetes.io/service-name</c> and managed by
/// <c>endpointslice-controller.k8s.io</c>, controlled by the service) listing its pods, terminating ones included,
/// at most <see cref="CoreControllerOptions.MaxEndpointsPerSlice"/> per slice, written by <see cref="EndpointSliceReconciler"/>.
/// <list type="bullet">
/// <item>Keyed by service. A service gone: nothing to write (the garbage collector deletes its slices through their
/// owner reference); its tracking is forgotten. ExternalName services and services without a selector are left alone.</item>
/// <item>Slice events wake the service (after 1 s, so that bursts fold) only when they are news: not this
/// controller's own write coming back (<see cref="EndpointSliceTracker"/>), or a change of manager or service label.</item>
/// <item>A sync that reads a cache behind this controller's own writes fails (and is retried) rather than writing
/// twice; slices being deleted are not counted.</item>
/// <item>Retries back off from 1 s to 1000 s (upstream's, slower than the usual 5 ms: a sync can rewrite many slices).</item>
/// </list>
/// </summary>
public sealed partial class EndpointSliceController : QueueController
{
    public const string ControllerName = "endpointslice-controller";

    /// <summary>The event source upstream's controller writes as.</summary>
    public const string EventComponent = "endpoint-slice-controller";

    public const string FailedToUpdateEndpointSlices = "FailedToUpdateEndpointSlices";

    /// <summary>Managed slices by <c>namespace/service</c> (their service-name label).</summary>
    public const string ServiceIndex = "endpointslice-service";

    /// <summary>Upstream's endpointSliceChangeMinSyncDelay.</summary>
    public static readonly TimeSpan SliceChangeDelay = TimeSpan.FromSeconds(1);

    private readonly IIndexReader<V1Service> _services;
    private readonly IIndexReader<V1Pod> _pods;
    private readonly IIndexReader<V1EndpointSlice> _slices;
    private readonly IEventRecorder _recorder;
    private readonly IReadOnlyList<ISharedInformer> _informers;
    private readonly TriggerTimeTracker _triggerTimes = new();

    internal EndpointSliceController(
        IIndexReader<V1Service> services,
        IIndexReader<V1Pod> pods,
        IIndexReader<V1Node> nodes,
        IIndexReader<V1EndpointSlice> slices,
        IEndpointSliceApi api,
        int maxEndpointsPerSlice,
        IEventRecorder recorder,
        TimeProvider time,
        ILogger logger,
        IReadOnlyList<ISharedInformer>? informers = null)
        : base(ControllerName, time, logger, RateLimiter(time))
    {
        _services = services;
        _pods = pods;
        _slices = slices;
        _recorder = recorder;
        _informers = informers ?? [];
        Reconciler = new EndpointSliceReconciler(api, nodes, maxEndpointsPerSlice, Tracker);
    }

    /// <summary>Builds the controller on the manager's shared informers (adding its slice index) and registers its handlers.</summary>
    public static EndpointSliceController Create(ControllerContext context)
    {
        var services = context.Informers.GetInformer<V1Service>();
        var pods = context.Informers.GetInformer<V1Pod>();
        var nodes = context.Informers.GetInformer<V1Node>();
        var slices = context.Informers.GetInformer<V1EndpointSlice>();
        slices.AddIndexers(new Dictionary<string, IndexFunc<V1EndpointSlice>> { [ServiceIndex] = ByService });
        var controller = new EndpointSliceController(
            services.Indexer,
            pods.Indexer,
            nodes.Indexer,
            slices.Indexer,
            new KubernetesEndpointSliceApi(context.Client),
            context.Core.MaxEndpointsPerSlice,
            context.Recorder(EventComponent),
            context.Time,
            context.Loggers.CreateLogger(ControllerName),
            [services, pods, nodes, slices]);
        services.AddEventHandler(controller.ServiceHandler());
        pods.AddEventHandler(controller.PodHandler());
        slices.AddEventHandler(controller.SliceHandler());
        return controller;
    }

    /// <summary>The index function of <see cref="ServiceIndex"/>: slices this controller manages, by their service.</summary>
    public static IEnumerable<string> ByService(V1EndpointSlice slice) =>
        EndpointSliceLabels.IsManaged(slice) ? [EndpointSliceTracker.ServiceKey(slice)] : [];

    /// <summary>Upstream's: per-key exponential back-off from 1 s to 1000 s, and 10 retries per second overall (burst 100).</summary>
    private static MaxOfRateLimiter<string> RateLimiter(TimeProvider time) => new MaxOfRateLimiter<string>(
        new ItemExponentialFailureRateLimiter<string>(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1000)),
        new BucketRateLimiter<string>(10, 100, time));

    internal EndpointSliceTracker Tracker { get; } = new();

    internal EndpointSliceReconciler Reconciler { get; }

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

    internal IResourceEventHandler<V1EndpointSlice> SliceHandler() => new ResourceEventHandlerFuncs<V1EndpointSlice>
    {
        AddFunc = OnSliceAdded,
        UpdateFunc = OnSliceUpdated,
        DeleteFunc = (slice, _) => OnSliceDeleted(slice),
    };

    private void OnPodAddedOrDeleted(V1Pod pod) =>
        EnqueueAll(ServiceEndpoints.ServicesSelecting(_services, pod.Metadata.NamespaceProperty ?? "", pod.Metadata.Labels));

    internal void OnSliceAdded(V1EndpointSlice slice)
    {
        if (EndpointSliceLabels.IsManaged(slice) && Tracker.ShouldSync(slice))
        {
            EnqueueForSlice(slice);
        }
    }

    internal void OnSliceUpdated(V1EndpointSlice old, V1EndpointSlice cur)
    {
        // The generation does not move on a label change: a slice moved to another service wakes both.
        var oldService = EndpointSliceLabels.ServiceOf(old);
        var curService = EndpointSliceLabels.ServiceOf(cur);
        if (oldService != curService)
        {
            EnqueueForSlice(cur);
            EnqueueForSlice(old);
            return;
        }

        if (EndpointSliceLabels.IsManaged(old) != EndpointSliceLabels.IsManaged(cur)
            || (EndpointSliceLabels.IsManaged(cur) && Tracker.ShouldSync(cur)))
        {
            EnqueueForSlice(cur);
        }
    }

    internal void OnSliceDeleted(V1EndpointSlice slice)
    {
        // A deletion this controller did not make (a user's) needs the slice written again.
        if (EndpointSliceLabels.IsManaged(slice) && Tracker.Has(slice) && !Tracker.HandleDeletion(slice))
        {
            EnqueueForSlice(slice);
        }
    }

    private void EnqueueForSlice(V1EndpointSlice slice)
    {
        if (EndpointSliceLabels.ServiceOf(slice) is not { Length: > 0 })
        {
            Log.NoServiceLabel(Logger, slice.Metadata.NamespaceProperty ?? "", slice.Metadata.Name);
            return;
        }

        Queue.AddAfter(EndpointSliceTracker.ServiceKey(slice), SliceChangeDelay);
    }

    private void EnqueueAll(IEnumerable<string> keys)
    {
        foreach (var key in keys)
        {
            Enqueue(key);
        }
    }

    /// <summary>One sync of a service's slices (upstream's <c>syncService</c>).</summary>
    internal async Task<ReconcileResult> SyncAsync(string key, CancellationToken cancellationToken)
    {
        var (ns, name) = ObjectKeys.Split(key);
        ns ??= "";
        var service = _services.Get(key);
        if (service is null)
        {
            _triggerTimes.DeleteService(ns, name);
            Tracker.DeleteService(ns, name);
            return ReconcileResult.Done;
        }

        if (!ServiceEndpoints.IsSelectorBased(service))
        {
            return ReconcileResult.Done;
        }

        var pods = ServiceEndpoints.SelectedPods(_pods, service);
        // Slices being deleted would otherwise be counted (and rewritten) until they are gone.
        var slices = _slices.ByIndex(ServiceIndex, key).Where(s => s.Metadata.DeletionTimestamp is null).ToList();
        if (Tracker.StaleSlices(service, slices))
        {
            throw new StaleCacheException("EndpointSlice informer cache is out of date");
        }

        var triggerTime = _triggerTimes.Compute(ns, service, pods);
        try
        {
            await Reconciler.ReconcileAsync(service, pods, slices, triggerTime, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            _recorder.Event(
                new V1ObjectReference { ApiVersion = "v1", Kind = "Service", NamespaceProperty = ns, Name = name, Uid = service.Metadata.Uid, ResourceVersion = service.Metadata.ResourceVersion },
                EventTypes.Warning,
                FailedToUpdateEndpointSlices,
                $"Error updating Endpoint Slices for Service {ns}/{name}: {e.Message}");
            throw;
        }

        return ReconcileResult.Done;
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "EndpointSlice {Namespace}/{Name} has no kubernetes.io/service-name label: no service to sync")]
        public static partial void NoServiceLabel(ILogger logger, string @namespace, string name);
    }
}
