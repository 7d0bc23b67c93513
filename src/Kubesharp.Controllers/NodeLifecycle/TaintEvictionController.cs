using System.Collections.Concurrent;
using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Client.Controllers;
using Kubesharp.Client.Events;
using Kubesharp.Controllers.Dynamic;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Controllers.NodeLifecycle;

/// <summary>
/// Upstream's taint eviction controller (pkg/controller/tainteviction, the NoExecuteTaintManager): pods on a node
/// with NoExecute taints are deleted when they do not tolerate every one of them, at once, or when the shortest
/// <c>tolerationSeconds</c> of the tolerations used runs out; a pod tolerating them all for ever stays. Before the
/// delete the pod gets the <c>DisruptionTarget</c> condition (reason <c>DeletionByTaintManager</c>) and a
/// <c>TaintManagerEviction</c> event. A scheduled eviction is cancelled (with an event) when the taints go or the
/// pod's tolerations change to tolerate them for ever.
/// <para>
/// Level-based on pod keys: a reconcile works out the pod's deadline from the caches and comes back then. Each
/// taint's time is counted from its <c>timeAdded</c>, so that the deadline survives a restart of the controller;
/// for a taint without one, from when this controller first saw the pod under NoExecute taints (upstream counts
/// every taint that way). Pods are reconciled when their node's NoExecute taints change, and when a pod is bound
/// or its tolerations change.
/// </para>
/// </summary>
public sealed partial class TaintEvictionController : QueueController
{
    public const string ControllerName = "taint-eviction-controller";

    private readonly IIndexReader<V1Node> _nodes;
    private readonly IIndexReader<V1Pod> _pods;
    private readonly INodeLifecycleApi _api;
    private readonly IEventRecorder _recorder;
    private readonly ISharedInformer[] _informers = [];

    // When a pod was first seen under NoExecute taints, and its deadline when one is scheduled. Each entry is owned by
    // its pod's key (one reconcile at a time per key); the map is shared by the workers.
    private readonly ConcurrentDictionary<string, Scheduled> _scheduled = new(StringComparer.Ordinal);

    public TaintEvictionController(ControllerContext context)
        : this(context, context.Informers.GetInformer<V1Node>(), NodeIndexes.Ensure(context.Informers.GetInformer<V1Pod>()))
    {
    }

    private TaintEvictionController(ControllerContext context, SharedIndexInformer<V1Node> nodes, SharedIndexInformer<V1Pod> pods)
        : this(nodes.Indexer, pods.Indexer, new KubernetesNodeLifecycleApi(context.Client), context.Recorder(ControllerName), context.Time, context.Loggers.CreateLogger(ControllerName))
    {
        _informers = [nodes, pods];
        nodes.AddEventHandler(new ResourceEventHandlerFuncs<V1Node>
        {
            AddFunc = node => OnNodeChanged(null, node),
            UpdateFunc = OnNodeChanged,
            DeleteFunc = (node, _) => OnNodeChanged(node, null),
        });
        pods.AddEventHandler(new ResourceEventHandlerFuncs<V1Pod>
        {
            AddFunc = pod => OnPodChanged(null, pod),
            UpdateFunc = OnPodChanged,
            DeleteFunc = (pod, _) => OnPodChanged(pod, null),
        });
    }

    internal TaintEvictionController(IIndexReader<V1Node> nodes, IIndexReader<V1Pod> pods, INodeLifecycleApi api, IEventRecorder recorder, TimeProvider time, ILogger logger)
        : base(ControllerName, time, logger)
    {
        _nodes = nodes;
        _pods = pods;
        _api = api;
        _recorder = recorder;
    }

    protected override IEnumerable<ISharedInformer> Informers => _informers;

    /// <summary>The deadline of the pod's scheduled eviction, if one is scheduled.</summary>
    internal DateTimeOffset? ScheduledFor(string podKey) => _scheduled.TryGetValue(podKey, out var s) ? s.Deadline : null;

    internal Task<ReconcileResult> SyncAsync(string podKey, CancellationToken cancellationToken) => ReconcileAsync(podKey, cancellationToken);

    /// <summary>Upstream's NodeUpdated: only a change of the NoExecute taints concerns the node's pods.</summary>
    internal void OnNodeChanged(V1Node? old, V1Node? node)
    {
        var name = (node ?? old)!.Metadata.Name;
        if (old is not null && node is not null && SameTaints(NodeTaints.NoExecuteOf(old), NodeTaints.NoExecuteOf(node)))
        {
            return;
        }

        foreach (var key in _pods.IndexKeys(Indexers.NodeName, name))
        {
            Enqueue(key);
        }
    }

    /// <summary>Upstream's PodUpdated: a pod added, deleted, bound elsewhere, or with other tolerations.</summary>
    internal void OnPodChanged(V1Pod? old, V1Pod? pod)
    {
        if (old is not null && pod is not null && old.Spec?.NodeName == pod.Spec?.NodeName && SameTolerations(old.Spec?.Tolerations, pod.Spec?.Tolerations))
        {
            return;
        }

        Enqueue((pod ?? old)!);
    }

    protected override async Task<ReconcileResult> ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        var pod = _pods.Get(key);
        var node = pod?.Spec?.NodeName is { Length: > 0 } nodeName ? _nodes.Get(nodeName) : null;
        var taints = NodeTaints.NoExecuteOf(node);
        if (pod is null || taints.Count == 0)
        {
            // Deleted, unbound, its node gone or its taints removed: nothing to evict for.
            Cancel(key);
            return ReconcileResult.Done;
        }

        var now = Time.GetUtcNow();
        var firstSeen = _scheduled.TryGetValue(key, out var known) ? known.FirstSeen : now;
        var matched = Tolerations.Match(taints, pod.Spec.Tolerations);
        if (matched is null)
        {
            // Not every taint is tolerated: no grace at all.
            await EvictAsync(key, pod, cancellationToken).ConfigureAwait(false);
            return ReconcileResult.Done;
        }

        DateTimeOffset? deadline = null;
        foreach (var (taint, toleration) in matched)
        {
            if (Tolerations.Allowance(toleration) is { } allowance)
            {
                var start = taint.TimeAdded is { } added ? Common.MetaTime.Utc(added) : firstSeen;
                var due = start + allowance;
                deadline = deadline is null || due < deadline ? due : deadline;
            }
        }

        if (deadline is null)
        {
            // Tolerated for ever.
            Cancel(key);
            return ReconcileResult.Done;
        }

        if (deadline <= now)
        {
            await EvictAsync(key, pod, cancellationToken).ConfigureAwait(false);
            return ReconcileResult.Done;
        }

        _scheduled[key] = new Scheduled(firstSeen, deadline);
        return ReconcileResult.RequeueAfter(deadline.Value - now);
    }

    /// <summary>Upstream's deletePodHandler: the event, the DisruptionTarget condition on a live read of the pod, then the delete.</summary>
    private async Task EvictAsync(string key, V1Pod cached, CancellationToken cancellationToken)
    {
        Log.Evicting(Logger, key);
        _recorder.Event(PodReference(cached), EventTypes.Normal, "TaintManagerEviction", $"Marking for deletion Pod {key}");
        var pod = await _api.GetPodAsync(cached.Metadata.NamespaceProperty, cached.Metadata.Name, cancellationToken).ConfigureAwait(false);
        if (pod is not null)
        {
            var existing = pod.Status?.Conditions?.FirstOrDefault(c => c.Type == "DisruptionTarget");
            if (existing is not { Status: "True", Reason: "DeletionByTaintManager" })
            {
                var condition = new V1PodCondition
                {
                    Type = "DisruptionTarget",
                    Status = "True",
                    Reason = "DeletionByTaintManager",
                    Message = "Taint manager: deleting due to NoExecute taint",
                    LastTransitionTime = Common.MetaTime.Now(Time),
                };
                EnsureDone(await _api.PatchPodConditionAsync(pod, condition, cancellationToken).ConfigureAwait(false), key);
            }

            EnsureDone(await _api.DeletePodAsync(pod.Metadata.NamespaceProperty, pod.Metadata.Name, cancellationToken).ConfigureAwait(false), key);
        }

        _scheduled.TryRemove(key, out _);
    }

    private static void EnsureDone(WriteOutcome outcome, string key)
    {
        if (outcome is not (WriteOutcome.Done or WriteOutcome.NotFound))
        {
            throw new InvalidOperationException($"eviction of pod {key}: {outcome}");
        }
    }

    /// <summary>Forgets the pod's schedule; an eviction that was scheduled is announced as cancelled (upstream's cancelWorkWithEvent).</summary>
    private void Cancel(string key)
    {
        if (_scheduled.TryRemove(key, out var removed) && removed.Deadline is not null)
        {
            var (ns, name) = ObjectKeys.Split(key);
            _recorder.Event(new V1ObjectReference { ApiVersion = "v1", Kind = "Pod", NamespaceProperty = ns, Name = name }, EventTypes.Normal, "TaintManagerEviction", $"Cancelling deletion of Pod {key}");
        }
    }

    private static V1ObjectReference PodReference(V1Pod pod) => new()
    {
        ApiVersion = "v1",
        Kind = "Pod",
        NamespaceProperty = pod.Metadata.NamespaceProperty,
        Name = pod.Metadata.Name,
        Uid = pod.Metadata.Uid,
    };

    private static bool SameTaints(List<V1Taint> a, List<V1Taint> b) =>
        a.Count == b.Count && a.Zip(b).All(p => NodeTaints.Matches(p.First, p.Second) && (p.First.Value ?? "") == (p.Second.Value ?? "") && Common.MetaTime.Same(p.First.TimeAdded, p.Second.TimeAdded));

    private static bool SameTolerations(IList<V1Toleration>? a, IList<V1Toleration>? b) =>
        (a?.Count ?? 0) == (b?.Count ?? 0)
        && (a ?? []).Zip(b ?? []).All(p => p.First.Key == p.Second.Key && p.First.OperatorProperty == p.Second.OperatorProperty && p.First.Value == p.Second.Value
            && p.First.Effect == p.Second.Effect && p.First.TolerationSeconds == p.Second.TolerationSeconds);

    private sealed record Scheduled(DateTimeOffset FirstSeen, DateTimeOffset? Deadline);

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "deleting pod {Pod}: its node's NoExecute taints are not tolerated (any longer)")]
        public static partial void Evicting(ILogger logger, string pod);
    }
}
