using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Client.Controllers;
using Kubesharp.Client.Events;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Controllers.NodeLifecycle;

/// <summary>
/// Upstream's node-lifecycle-controller (pkg/controller/nodelifecycle), without its taint manager (see
/// <see cref="TaintEvictionController"/>). Four kinds of work share one queue:
/// <list type="bullet">
/// <item><c>monitor</c>, every <see cref="CoreControllerOptions.NodeMonitorPeriod"/>: each node's last heartbeat
/// (a change of its Lease's renewTime or of its Ready condition, stamped with the local time when seen) against the
/// grace period; a node past it gets Ready, MemoryPressure, DiskPressure and PIDPressure <c>Unknown</c>; a node that
/// turns not ready gets its pods marked not ready; not-ready and unreachable nodes are queued, per zone, for their
/// NoExecute taint; zones are classified Normal / PartialDisruption / FullDisruption and their tainting rates set.</item>
/// <item><c>noexecute</c>: takes queued nodes at each zone's rate and swaps the <c>not-ready</c> / <c>unreachable</c>
/// NoExecute taints to match the Ready condition (upstream's doNoExecuteTaintingPass, every 100 ms while work is queued).</item>
/// <item><c>node/NAME</c>, on every node change: the NoSchedule taints that mirror conditions and <c>spec.unschedulable</c>,
/// and the beta os/arch labels.</item>
/// <item><c>pod/NS/NAME</c>, when a pod is bound: a pod landing on a node that is not ready is marked not ready.</item>
/// </list>
/// The monitor key is the only writer of the node health records, known nodes and zone states; the zone queues
/// are shared with the tainting key under <c>_evictorLock</c>.
/// </summary>
public sealed partial class NodeLifecycleController : QueueController
{
    public const string ControllerName = "node-lifecycle-controller";

    /// <summary>The event source upstream's controller records as.</summary>
    public const string Component = "node-controller";

    public const string NodeLeaseNamespace = "kube-node-lease";

    /// <summary>Upstream's NodeEvictionPeriod: how often queued taints are retried.</summary>
    public static readonly TimeSpan NodeEvictionPeriod = TimeSpan.FromMilliseconds(100);

    internal const string MonitorKey = "monitor";
    internal const string TaintingKey = "noexecute";
    private const string NodePrefix = "node/";
    private const string PodPrefix = "pod/";

    private readonly IIndexReader<V1Node> _nodes;
    private readonly IIndexReader<V1Pod> _pods;
    private readonly IIndexReader<V1Lease> _leases;
    private readonly INodeLifecycleApi _api;
    private readonly IEventRecorder _recorder;
    private readonly CoreControllerOptions _options;
    private readonly ISharedInformer[] _informers;

    public NodeLifecycleController(ControllerContext context)
        : this(context, context.Informers.GetInformer<V1Node>(), context.Informers.GetInformer<V1Pod>(), context.Informers.GetInformer<V1Lease>(NodeLeaseNamespace))
    {
    }

    private NodeLifecycleController(ControllerContext context, SharedIndexInformer<V1Node> nodes, SharedIndexInformer<V1Pod> pods, SharedIndexInformer<V1Lease> leases)
        : this(nodes.Indexer, NodeIndexes.Ensure(pods).Indexer, leases.Indexer, new KubernetesNodeLifecycleApi(context.Client), context.Recorder(Component), context.Core, context.Time, context.Loggers.CreateLogger(ControllerName))
    {
        _informers = [nodes, pods, leases];
        nodes.AddEventHandler(new ResourceEventHandlerFuncs<V1Node>
        {
            AddFunc = OnNodeChanged,
            UpdateFunc = (_, node) => OnNodeChanged(node),
        });
        pods.AddEventHandler(new ResourceEventHandlerFuncs<V1Pod>
        {
            AddFunc = pod => OnPodChanged(null, pod),
            UpdateFunc = OnPodChanged,
        });
    }

    internal NodeLifecycleController(
        IIndexReader<V1Node> nodes,
        IIndexReader<V1Pod> pods,
        IIndexReader<V1Lease> leases,
        INodeLifecycleApi api,
        IEventRecorder recorder,
        CoreControllerOptions options,
        TimeProvider time,
        ILogger logger)
        : base(ControllerName, time, logger)
    {
        _nodes = nodes;
        _pods = pods;
        _leases = leases;
        _api = api;
        _recorder = recorder;
        _options = options;
        _informers = [];
        Enqueue(MonitorKey);
    }

    protected override IEnumerable<ISharedInformer> Informers => _informers;

    internal Task<ReconcileResult> SyncAsync(string key, CancellationToken cancellationToken) => ReconcileAsync(key, cancellationToken);

    internal static string NodeKey(string name) => NodePrefix + name;

    internal static string PodKey(V1Pod pod) => PodPrefix + ObjectKeys.For(pod);

    internal void OnNodeChanged(V1Node node) => Enqueue(NodeKey(node.Metadata.Name));

    /// <summary>Upstream's podUpdated: a pod newly bound (or bound elsewhere) is looked at; other changes are the monitor's.</summary>
    internal void OnPodChanged(V1Pod? old, V1Pod pod)
    {
        if (!string.IsNullOrEmpty(pod.Spec?.NodeName) && (old is null || old.Spec?.NodeName != pod.Spec.NodeName))
        {
            Enqueue(PodKey(pod));
        }
    }

    protected override async Task<ReconcileResult> ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        switch (key)
        {
            case MonitorKey:
                await MonitorNodeHealthAsync(cancellationToken).ConfigureAwait(false);
                if (HasQueuedTaints())
                {
                    Enqueue(TaintingKey);
                }

                return ReconcileResult.RequeueAfter(_options.NodeMonitorPeriod);
            case TaintingKey:
                await NoExecuteTaintingPassAsync(cancellationToken).ConfigureAwait(false);
                return HasQueuedTaints() ? ReconcileResult.RequeueAfter(NodeEvictionPeriod) : ReconcileResult.Done;
            case not null when key.StartsWith(NodePrefix, StringComparison.Ordinal):
                var name = key[NodePrefix.Length..];
                await NoScheduleTaintingPassAsync(name, cancellationToken).ConfigureAwait(false);
                await ReconcileNodeLabelsAsync(name, cancellationToken).ConfigureAwait(false);
                return ReconcileResult.Done;
            case not null when key.StartsWith(PodPrefix, StringComparison.Ordinal):
                await ProcessPodAsync(key[PodPrefix.Length..], cancellationToken).ConfigureAwait(false);
                return ReconcileResult.Done;
            default:
                return ReconcileResult.Done;
        }
    }

    /// <summary>
    /// Upstream's processPod: a pod bound to a node whose last observed Ready condition is not True is marked not
    /// ready at once (the monitor does it for pods already there when the node turned).
    /// </summary>
    private async Task ProcessPodAsync(string podKey, CancellationToken cancellationToken)
    {
        var pod = _pods.Get(podKey);
        if (pod?.Spec?.NodeName is not { Length: > 0 } nodeName)
        {
            return;
        }

        var health = HealthOf(nodeName);
        if (health is null)
        {
            // Not seen by the monitor yet (or gone): its next pass handles the pod.
            return;
        }

        if (_nodes.Get(nodeName) is null)
        {
            throw new InvalidOperationException($"node {nodeName} of pod {podKey} is not in the cache yet");
        }

        if (health.Ready is { } ready && ready.Status != "True")
        {
            await MarkPodsNotReadyAsync([pod], nodeName, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Upstream's MarkPodsNotReady: each pod's Ready condition goes False (a status update), and the pod gets a
    /// <c>NodeNotReady</c> warning. Throws when some update failed (after trying them all), so that the caller retries.
    /// </summary>
    internal async Task MarkPodsNotReadyAsync(IEnumerable<V1Pod> pods, string nodeName, CancellationToken cancellationToken)
    {
        var failures = new List<Exception>();
        foreach (var cached in pods)
        {
            if (cached.Spec?.NodeName != nodeName || Common.Pods.ReadyCondition(cached) is not { } readyCondition || readyCondition.Status == "False")
            {
                continue;
            }

            var pod = Copy(cached);
            var ready = Common.Pods.ReadyCondition(pod)!;
            ready.Status = "False";
            ready.LastTransitionTime = Common.MetaTime.Now(Time);
            try
            {
                var outcome = await _api.UpdatePodStatusAsync(pod, cancellationToken).ConfigureAwait(false);
                if (outcome == Dynamic.WriteOutcome.NotFound)
                {
                    continue;
                }

                if (outcome != Dynamic.WriteOutcome.Done)
                {
                    failures.Add(new InvalidOperationException($"status update of pod {Common.Pods.Key(pod)}: {outcome}"));
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                failures.Add(e);
            }

            // Upstream records the event after the update, whatever its result but NotFound.
            _recorder.Event(pod, EventTypes.Warning, "NodeNotReady", "Node is not ready");
        }

        if (failures.Count > 0)
        {
            throw new AggregateException($"could not mark every pod of node {nodeName} not ready", failures);
        }
    }

    private IReadOnlyList<V1Pod> PodsOn(string nodeName) => _pods.ByIndex(Indexers.NodeName, nodeName);

    private static T Copy<T>(T obj) => k8s.KubernetesJson.Deserialize<T>(k8s.KubernetesJson.Serialize(obj));

    /// <summary>Upstream's RecordNodeEvent: "Node NAME event: MESSAGE" on the node.</summary>
    private void RecordNodeEvent(V1Node node, string reason, string message) =>
        _recorder.Event(NodeReference(node), EventTypes.Normal, reason, $"Node {node.Metadata.Name} event: {message}");

    /// <summary>Upstream's RecordNodeStatusChange: "Node NAME status is now: STATUS".</summary>
    private void RecordNodeStatusChange(V1Node node, string status) =>
        _recorder.Event(NodeReference(node), EventTypes.Normal, status, $"Node {node.Metadata.Name} status is now: {status}");

    internal static V1ObjectReference NodeReference(V1Node node) => new()
    {
        ApiVersion = "v1",
        Kind = "Node",
        Name = node.Metadata.Name,
        Uid = node.Metadata.Uid,
    };

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "observed new node {Node}")]
        public static partial void NodeAdded(ILogger logger, string node);

        [LoggerMessage(Level = LogLevel.Information, Message = "observed deletion of node {Node}")]
        public static partial void NodeRemoved(ILogger logger, string node);

        [LoggerMessage(Level = LogLevel.Warning, Message = "could not update the health of node {Node}; no pods will be evicted this pass")]
        public static partial void HealthUpdateFailed(ILogger logger, string node, Exception? exception);

        [LoggerMessage(Level = LogLevel.Warning, Message = "could not mark the pods of node {Node} not ready; retrying next pass")]
        public static partial void MarkPodsFailed(ILogger logger, string node, Exception exception);

        [LoggerMessage(Level = LogLevel.Warning, Message = "could not change the taints of node {Node}; retrying later")]
        public static partial void TaintFailed(ILogger logger, string node, Exception? exception);

        [LoggerMessage(Level = LogLevel.Information, Message = "node {Node} heartbeat is {Age} old: its conditions become Unknown")]
        public static partial void NodeUnresponsive(ILogger logger, string node, TimeSpan age);

        [LoggerMessage(Level = LogLevel.Information, Message = "every node is not ready: entering master disruption mode (no taints, no evictions)")]
        public static partial void EnteringFullDisruption(ILogger logger);

        [LoggerMessage(Level = LogLevel.Information, Message = "some nodes are ready again: leaving master disruption mode")]
        public static partial void LeavingFullDisruption(ILogger logger);

        [LoggerMessage(Level = LogLevel.Information, Message = "zone {Zone} is now {State}")]
        public static partial void ZoneStateChanged(ILogger logger, string zone, ZoneState state);
    }
}

/// <summary>The node-name index on the shared pod informer, added once whoever asks first.</summary>
internal static class NodeIndexes
{
    public static SharedIndexInformer<V1Pod> Ensure(SharedIndexInformer<V1Pod> pods)
    {
        try
        {
            pods.Indexer.IndexKeys(Indexers.NodeName, "");
        }
        catch (ArgumentException)
        {
            pods.AddIndexers(Indexers.NodeNameIndex());
        }

        return pods;
    }
}
