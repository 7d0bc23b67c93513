using System.Runtime.ExceptionServices;
using k8s.Models;
using Kubesharp.Api.Selectors;
using Kubesharp.Client.Cache;
using Kubesharp.Client.Controllers;
using Kubesharp.Client.Events;
using Kubesharp.Controllers.Common;
using Kubesharp.Controllers.History;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Controllers.DaemonSet;

/// <summary>
/// The DaemonSet controller (upstream's <c>pkg/controller/daemon</c> as of v1.32): one pod of each DaemonSet on
/// every node that should run it (<see cref="NodeEligibility"/>).
/// <list type="bullet">
/// <item>Pods are not bound by the controller: each gets a required node affinity naming its node, and the
/// scheduler places it; the default daemon tolerations are added (<see cref="DaemonPods"/>).</item>
/// <item>Each pod is labelled with the current ControllerRevision's hash (<c>controller-revision-hash</c>) and the
/// template generation (<c>pod-template-generation</c>); revisions beyond revisionHistoryLimit that no pod uses
/// are deleted.</item>
/// <item>Surplus pods on a node (all but the oldest), pods on nodes that should not run them, failed and succeeded
/// pods are deleted; a failed pod's replacement waits on a per-node back-off.</item>
/// <item>RollingUpdate replaces old pods within maxUnavailable (or, with maxSurge, starts the new pod beside the
/// old one); OnDelete leaves old pods until someone deletes them.</item>
/// <item>Creates and deletes wait on expectations; creates go in slow-start batches, at most <see cref="BurstReplicas"/> per sync.</item>
/// </list>
/// Failures are thrown so that the work queue retries the DaemonSet with back-off.
/// </summary>
internal sealed partial class DaemonSetController : QueueController
{
    public const string ControllerName = "daemonset-controller";
    public const string Kind = "DaemonSet";
    public const string ApiVersion = "apps/v1";

    /// <summary>Upstream's <c>BurstReplicas</c> for DaemonSets: creates or deletes per sync.</summary>
    public const int BurstReplicas = 250;

    public const string SelectingAllReason = "SelectingAll";
    public const string FailedDaemonPodReason = "FailedDaemonPod";
    public const string SucceededDaemonPodReason = "SucceededDaemonPod";

    /// <summary>Upstream's <c>StatusUpdateRetries</c>: one more attempt after a fresh read.</summary>
    private const int StatusUpdateRetries = 1;

    private readonly IAppsClient _client;
    private readonly IIndexReader<V1DaemonSet> _daemonSets;
    private readonly IIndexReader<V1Pod> _pods;
    private readonly IIndexReader<V1Node> _nodes;
    private readonly IIndexReader<V1ControllerRevision> _revisions;
    private readonly IEventRecorder _recorder;
    private readonly PodControl _podControl;
    private readonly ControllerHistory _history;
    private readonly IReadOnlyList<ISharedInformer> _informers;
    private readonly int _burstReplicas;
    private readonly SelectorCache<V1DaemonSet> _selectors;

    internal DaemonSetController(
        IAppsClient client,
        IIndexReader<V1DaemonSet> daemonSets,
        IIndexReader<V1Pod> pods,
        IIndexReader<V1Node> nodes,
        IIndexReader<V1ControllerRevision> revisions,
        IEventRecorder recorder,
        TimeProvider time,
        ILogger logger,
        IReadOnlyList<ISharedInformer>? informers = null,
        int burstReplicas = BurstReplicas)
        : base(ControllerName, time, logger)
    {
        _client = client;
        _daemonSets = daemonSets;
        _pods = pods;
        _nodes = nodes;
        _revisions = revisions;
        _recorder = recorder;
        _podControl = new PodControl(client, recorder);
        _history = new ControllerHistory(client, revisions);
        _informers = informers ?? [];
        _selectors = new SelectorCache<V1DaemonSet>(d => Objects.Selector(d.Spec?.Selector), (d, error) => Log.InvalidSelector(Logger, d.Metadata.NamespaceProperty, d.Metadata.Name, error));
        _burstReplicas = burstReplicas;
        Expectations = new ControllerExpectations(time);
        Backoff = new FailedPodBackoff(time, FailedPodBackoff.DefaultInitial, FailedPodBackoff.DefaultMax);
        PodEvents = new OwnedPodEvents<V1DaemonSet>
        {
            OwnerKind = Kind,
            Owners = daemonSets,
            OwnersSelecting = pod => DaemonSetsSelecting(pod),
            Queue = Queue,
            MinReadySeconds = ds => ds.Spec?.MinReadySeconds ?? 0,
            Expectations = Expectations,
            AvailabilitySlack = TimeSpan.FromSeconds(1),
        };
    }

    private OwnedPodEvents<V1DaemonSet> PodEvents { get; }

    /// <summary>Builds the controller on the manager's shared informers and registers its handlers.</summary>
    public static DaemonSetController Create(ControllerContext context)
    {
        var daemonSets = context.Informers.GetInformer<V1DaemonSet>();
        var pods = context.Informers.GetInformer<V1Pod>();
        var nodes = context.Informers.GetInformer<V1Node>();
        var revisions = context.Informers.GetInformer<V1ControllerRevision>();
        WorkloadIndexes.Ensure(pods);
        WorkloadIndexes.Ensure(revisions);
        var controller = new DaemonSetController(
            new KubernetesWorkloadClient(context.Client),
            daemonSets.Indexer,
            pods.Indexer,
            nodes.Indexer,
            revisions.Indexer,
            context.Recorder(ControllerName),
            context.Time,
            context.Loggers.CreateLogger(ControllerName),
            [daemonSets, pods, nodes, revisions]);
        controller.Register(h => daemonSets.AddEventHandler(h), h => pods.AddEventHandler(h), h => nodes.AddEventHandler(h), h => revisions.AddEventHandler(h));
        return controller;
    }

    internal ControllerExpectations Expectations { get; }

    internal FailedPodBackoff Backoff { get; }

    protected override IEnumerable<ISharedInformer> Informers => _informers;

    protected override Task<ReconcileResult> ReconcileAsync(string key, CancellationToken cancellationToken) => SyncAsync(key, cancellationToken);

    /// <summary>One sync of the DaemonSet under <paramref name="key"/> (upstream's <c>syncDaemonSet</c>).</summary>
    internal async Task<ReconcileResult> SyncAsync(string key, CancellationToken cancellationToken)
    {
        Backoff.Collect();
        var ds = _daemonSets.Get(key);
        if (ds is null)
        {
            Expectations.Delete(key);
            return ReconcileResult.Done;
        }

        var nodes = _nodes.List().OrderBy(n => n.Metadata.Name, StringComparer.Ordinal).ToList();
        if (ds.Spec?.Selector is { } s && (s.MatchLabels?.Count ?? 0) == 0 && (s.MatchExpressions?.Count ?? 0) == 0)
        {
            _recorder.Event(ds, EventTypes.Warning, SelectingAllReason, "This daemon set is selecting all pods. A non-empty selector is required.");
            return ReconcileResult.Done;
        }

        if (SelectorOf(ds) is null)
        {
            // An invalid selector is the user's to fix; retrying will not help.
            return ReconcileResult.Done;
        }

        // Upstream leaves a DaemonSet being deleted alone, status included: its revisions may already be gone.
        if (ds.Metadata.DeletionTimestamp is not null)
        {
            return ReconcileResult.Done;
        }

        var (current, old) = await ConstructHistoryAsync(ds, cancellationToken).ConfigureAwait(false);
        var hash = ControllerRevisions.Label(current, ControllerRevisions.PodRevisionLabel) ?? "";

        if (!Expectations.Satisfied(key))
        {
            // Status only, without claiming the generation: the spec was not acted on.
            return await UpdateStatusAsync(ds, nodes, hash, updateObservedGeneration: false, cancellationToken).ConfigureAwait(false);
        }

        Exception? error = null;
        try
        {
            await UpdateDaemonSetAsync(ds, nodes, hash, key, old, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            error = e;
        }

        ReconcileResult result;
        try
        {
            result = await UpdateStatusAsync(ds, nodes, hash, updateObservedGeneration: true, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception statusError) when (error is not null)
        {
            Log.StatusFailed(Logger, key, statusError);
            result = ReconcileResult.Done;
        }

        if (error is not null)
        {
            ExceptionDispatchInfo.Throw(error);
        }

        return result;
    }

    /// <summary>Upstream's <c>updateDaemonSet</c>: manage the nodes, then roll (when nothing is pending), then trim the history.</summary>
    private async Task UpdateDaemonSetAsync(V1DaemonSet ds, List<V1Node> nodes, string hash, string key, List<V1ControllerRevision> old, CancellationToken cancellationToken)
    {
        await ManageAsync(ds, nodes, hash, cancellationToken).ConfigureAwait(false);
        if (Expectations.Satisfied(key) && ds.Spec?.UpdateStrategy?.Type == DaemonPods.RollingUpdate)
        {
            await RollingUpdateAsync(ds, nodes, hash, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            await CleanupHistoryAsync(ds, old, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new InvalidOperationException("failed to clean up revisions of DaemonSet: " + ApiErrors.Message(e), e);
        }
    }

    /// <summary>
    /// Upstream's <c>getNodesToDaemonPods</c>: the pods the DaemonSet owns once orphans are adopted and strays
    /// released, by the node each is bound or meant for. Terminal pods already being deleted are left out unless
    /// <paramref name="includeDeletedTerminal"/>.
    /// </summary>
    private async Task<Dictionary<string, List<V1Pod>>> NodesToDaemonPodsAsync(V1DaemonSet ds, bool includeDeletedTerminal, CancellationToken cancellationToken)
    {
        var selector = SelectorOf(ds) ?? LabelSelector.Nothing;
        var ns = ds.Metadata.NamespaceProperty;
        var name = ds.Metadata.Name;
        var manager = new ControllerRefManager<V1Pod>(
            ds,
            ApiVersion,
            Kind,
            selector,
            AdoptionChecks.RecheckDeletionTimestamp(ds, Kind, ct => _client.GetDaemonSetAsync(ns, name, ct)),
            (pod, patch, ct) => _podControl.PatchPodAsync(pod, patch, ct));
        var claimed = await manager.ClaimAsync(WorkloadIndexes.OwnedAndOrphans(_pods, ns, ds.Metadata.Uid), cancellationToken).ConfigureAwait(false);
        var map = new Dictionary<string, List<V1Pod>>(StringComparer.Ordinal);
        foreach (var pod in claimed)
        {
            if (!includeDeletedTerminal && pod.Status?.Phase is Pods.Succeeded or Pods.Failed && pod.Metadata.DeletionTimestamp is not null)
            {
                continue;
            }

            if (DaemonPods.TargetNodeName(pod) is not { } node)
            {
                continue;
            }

            if (!map.TryGetValue(node, out var list))
            {
                map[node] = list = [];
            }

            list.Add(pod);
        }

        return map;
    }

    /// <summary>The DaemonSet's selector, parsed once per cached object; null when invalid.</summary>
    private LabelSelector? SelectorOf(V1DaemonSet ds) =>
        _selectors.Get(ds);

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "DaemonSet {Namespace}/{Name} has an invalid selector: {Error}")]
        public static partial void InvalidSelector(ILogger logger, string @namespace, string name, string error);

        [LoggerMessage(Level = LogLevel.Error, Message = "Failed to update status of DaemonSet {Key}")]
        public static partial void StatusFailed(ILogger logger, string key, Exception exception);

        [LoggerMessage(Level = LogLevel.Debug, Message = "Deleting failed pod {Pod} on node {Node} has been limited by back-off ({Delay})")]
        public static partial void FailedPodInBackoff(ILogger logger, string pod, string node, TimeSpan delay);

        [LoggerMessage(Level = LogLevel.Information, Message = "Found a hash collision for DaemonSet {Key}: bumping collisionCount to {Count}")]
        public static partial void Collision(ILogger logger, string key, int count);

        [LoggerMessage(Level = LogLevel.Debug, Message = "Slow-start failure: skipping creation of {Skipped} pods for DaemonSet {Key}")]
        public static partial void SlowStartSkipped(ILogger logger, int skipped, string key);
    }
}
