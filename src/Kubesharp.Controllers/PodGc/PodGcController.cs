using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Client.Controllers;
using Kubesharp.Controllers.Dynamic;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Controllers.PodGc;

/// <summary>
/// Upstream's pod-garbage-collector-controller. Every check period it looks at all pods and nodes (from the
/// caches) and force-deletes (grace period 0, after marking a pod that is not terminal as Failed):
/// <list type="number">
/// <item>terminated pods (phase neither Pending, Running nor Unknown) beyond <see cref="CoreControllerOptions.TerminatedPodGcThreshold"/>,
/// evicted ones first, then the oldest;</item>
/// <item>terminating pods on a node that is not ready and carries the <c>node.kubernetes.io/out-of-service</c> taint;</item>
/// <item>pods bound to a node that does not exist: once a node has been missing from the cache for the quarantine
/// (<see cref="CoreControllerOptions.PodGcQuarantine"/>, upstream 40 s, so that a node being registered is not
/// mistaken for a deleted one) and a live GET confirms it is gone, its pods are marked Failed with the
/// <c>DisruptionTarget</c> condition (reason <c>DeletionByPodGC</c>) and deleted;</item>
/// <item>terminating pods that were never scheduled.</item>
/// </list>
/// Level-based through a single queue key that comes back every period (sooner when a quarantine ends).
/// The quarantine clock is owned by that key: one reconcile at a time.
/// </summary>
public sealed partial class PodGcController : QueueController
{
    public const string ControllerName = "pod-garbage-collector-controller";
    public const string Key = "podgc";
    public const string OutOfServiceTaint = "node.kubernetes.io/out-of-service";

    private readonly SharedIndexInformer<V1Pod> _pods;
    private readonly SharedIndexInformer<V1Node> _nodes;
    private readonly IPodGcApi _api;
    private readonly CoreControllerOptions _options;
    private readonly Dictionary<string, DateTimeOffset> _missingSince = new(StringComparer.Ordinal);

    public PodGcController(ControllerContext context)
        : this(context.Informers, new KubernetesPodGcApi(context.Client), context.Core, context.Time, context.Loggers)
    {
    }

    internal PodGcController(SharedInformerFactory informers, IPodGcApi api, CoreControllerOptions options, TimeProvider time, ILoggerFactory loggers)
        : base(ControllerName, time, loggers.CreateLogger(ControllerName))
    {
        _api = api;
        _options = options;
        _pods = informers.GetInformer<V1Pod>();
        _nodes = informers.GetInformer<V1Node>();
        Enqueue(Key);
    }

    protected override IEnumerable<ISharedInformer> Informers => [_pods, _nodes];

    /// <summary>Nodes found missing and waiting out their quarantine.</summary>
    internal int Quarantined => _missingSince.Count;

    internal Task<ReconcileResult> SyncAsync(CancellationToken cancellationToken) => ReconcileAsync(Key, cancellationToken);

    protected override async Task<ReconcileResult> ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        var pods = _pods.Lister.List();
        var nodes = _nodes.Lister.List().ToDictionary(n => n.Metadata.Name, StringComparer.Ordinal);
        if (_options.TerminatedPodGcThreshold > 0)
        {
            await GcTerminatedAsync(pods, cancellationToken).ConfigureAwait(false);
        }

        await GcTerminatingAsync(pods, nodes, cancellationToken).ConfigureAwait(false);
        var next = await GcOrphanedAsync(pods, nodes, cancellationToken).ConfigureAwait(false);
        await GcUnscheduledTerminatingAsync(pods, cancellationToken).ConfigureAwait(false);
        return ReconcileResult.RequeueAfter(next < _options.PodGcPeriod ? next : _options.PodGcPeriod);
    }

    private async Task GcTerminatedAsync(IReadOnlyList<V1Pod> pods, CancellationToken cancellationToken)
    {
        var terminated = pods.Where(IsTerminated).ToList();
        var excess = terminated.Count - _options.TerminatedPodGcThreshold;
        if (excess <= 0)
        {
            return;
        }

        Log.CollectingTerminated(Logger, excess);
        terminated.Sort(EvictedThenOldest);
        foreach (var pod in terminated.Take(excess))
        {
            await MarkFailedAndDeleteAsync(pod, null, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task GcTerminatingAsync(IReadOnlyList<V1Pod> pods, Dictionary<string, V1Node> nodes, CancellationToken cancellationToken)
    {
        var terminating = pods
            .Where(p => p.Metadata.DeletionTimestamp is not null
                && p.Spec?.NodeName is { Length: > 0 } nodeName
                && nodes.TryGetValue(nodeName, out var node)
                && !IsReady(node)
                && node.Spec?.Taints?.Any(t => t.Key == OutOfServiceTaint) == true)
            .ToList();
        terminating.Sort(EvictedThenOldest);
        foreach (var pod in terminating)
        {
            await MarkFailedAndDeleteAsync(pod, null, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Deletes the pods of nodes confirmed gone; returns how long until the next quarantine ends (or <see cref="TimeSpan.MaxValue"/>).</summary>
    private async Task<TimeSpan> GcOrphanedAsync(IReadOnlyList<V1Pod> pods, Dictionary<string, V1Node> nodes, CancellationToken cancellationToken)
    {
        var now = Time.GetUtcNow();
        foreach (var pod in pods)
        {
            if (pod.Spec?.NodeName is { Length: > 0 } nodeName && !nodes.ContainsKey(nodeName))
            {
                _missingSince.TryAdd(nodeName, now);
            }
        }

        var deleted = new HashSet<string>(StringComparer.Ordinal);
        var next = TimeSpan.MaxValue;
        foreach (var (nodeName, since) in _missingSince.ToList())
        {
            var left = since + _options.PodGcQuarantine - now;
            if (left > TimeSpan.Zero)
            {
                next = left < next ? left : next;
                continue;
            }

            // Out of quarantine: decided now, and watched again from scratch if its pods are still there next time.
            _missingSince.Remove(nodeName);
            if (nodes.ContainsKey(nodeName))
            {
                continue;
            }

            try
            {
                if (!await _api.NodeExistsAsync(nodeName, cancellationToken).ConfigureAwait(false))
                {
                    deleted.Add(nodeName);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // As upstream: the node comes back into quarantine on the next pass if its pods remain.
                Log.NodeCheckFailed(Logger, nodeName, e);
            }
        }

        foreach (var pod in pods)
        {
            if (pod.Spec?.NodeName is { } nodeName && deleted.Contains(nodeName))
            {
                var condition = new V1PodCondition
                {
                    Type = "DisruptionTarget",
                    Status = "True",
                    Reason = "DeletionByPodGC",
                    Message = "PodGC: node no longer exists",
                    LastTransitionTime = WholeSeconds(now),
                };
                if (await MarkFailedAndDeleteAsync(pod, condition, cancellationToken).ConfigureAwait(false))
                {
                    Log.DeletedOrphan(Logger, pod.Metadata.NamespaceProperty, pod.Metadata.Name, nodeName);
                }
            }
        }

        return next;
    }

    private async Task GcUnscheduledTerminatingAsync(IReadOnlyList<V1Pod> pods, CancellationToken cancellationToken)
    {
        foreach (var pod in pods)
        {
            if (pod.Metadata.DeletionTimestamp is not null && string.IsNullOrEmpty(pod.Spec?.NodeName))
            {
                await MarkFailedAndDeleteAsync(pod, null, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Upstream's markFailedAndDeletePodWithCondition: a pod not yet terminal is marked Failed first (an orphaned pod
    /// has no kubelet left to do it), then deleted with grace 0. A failure is logged and left to the next pass, as
    /// upstream does; a pod already gone is success.
    /// </summary>
    private async Task<bool> MarkFailedAndDeleteAsync(V1Pod pod, V1PodCondition? condition, CancellationToken cancellationToken)
    {
        try
        {
            if (pod.Status?.Phase is not ("Succeeded" or "Failed"))
            {
                if (await _api.MarkFailedAsync(pod, condition, cancellationToken).ConfigureAwait(false) == WriteOutcome.NotFound)
                {
                    return true;
                }
            }

            var outcome = await _api.ForceDeleteAsync(pod, cancellationToken).ConfigureAwait(false);
            return outcome is WriteOutcome.Done or WriteOutcome.NotFound;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.DeleteFailed(Logger, pod.Metadata.NamespaceProperty, pod.Metadata.Name, e);
            return false;
        }
    }

    /// <summary>Upstream's isPodTerminated: any phase but Pending, Running and Unknown (an empty phase counts).</summary>
    internal static bool IsTerminated(V1Pod pod) => pod.Status?.Phase is not ("Pending" or "Running" or "Unknown");

    private static bool IsReady(V1Node node) => node.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;

    // Upstream's byEvictionAndCreationTimestamp: evicted pods first, then by creation time, then by name.
    private static int EvictedThenOldest(V1Pod a, V1Pod b)
    {
        var evictedA = a.Status?.Phase == "Failed" && a.Status.Reason == "Evicted";
        var evictedB = b.Status?.Phase == "Failed" && b.Status.Reason == "Evicted";
        if (evictedA != evictedB)
        {
            return evictedA ? -1 : 1;
        }

        var byTime = Nullable.Compare(a.Metadata.CreationTimestamp, b.Metadata.CreationTimestamp);
        return byTime != 0 ? byTime : string.CompareOrdinal(a.Metadata.Name, b.Metadata.Name);
    }

    private static DateTime WholeSeconds(DateTimeOffset t) => new(t.UtcTicks - (t.UtcTicks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "garbage collecting {Count} terminated pods")]
        public static partial void CollectingTerminated(ILogger logger, int count);

        [LoggerMessage(Level = LogLevel.Information, Message = "forced deletion of orphaned pod {Namespace}/{Name} (node {Node} no longer exists)")]
        public static partial void DeletedOrphan(ILogger logger, string @namespace, string name, string node);

        [LoggerMessage(Level = LogLevel.Warning, Message = "could not check whether node {Node} exists")]
        public static partial void NodeCheckFailed(ILogger logger, string node, Exception exception);

        [LoggerMessage(Level = LogLevel.Warning, Message = "could not force-delete pod {Namespace}/{Name}; next pass retries")]
        public static partial void DeleteFailed(ILogger logger, string @namespace, string name, Exception exception);
    }
}
