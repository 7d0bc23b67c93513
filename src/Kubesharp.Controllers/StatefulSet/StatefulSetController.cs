using k8s.Models;
using Kubesharp.Api.Selectors;
using Kubesharp.Client.Cache;
using Kubesharp.Client.Controllers;
using Kubesharp.Client.Events;
using Kubesharp.Controllers.Common;
using Kubesharp.Controllers.History;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Controllers.StatefulSet;

/// <summary>
/// The StatefulSet controller (upstream's <c>pkg/controller/statefulset</c> as of v1.32): pods with stable names
/// <c>&lt;set&gt;-&lt;ordinal&gt;</c> for the ordinals <c>start .. start+replicas-1</c>, each with its own claims.
/// <list type="bullet">
/// <item>OrderedReady: one pod at a time, in ordinal order, each waiting for the one before to be Running and
/// Ready (and available); scaled down from the highest ordinal, one at a time. Parallel: all at once.</item>
/// <item>Revisions are ControllerRevisions; RollingUpdate replaces pods from the highest ordinal down to the
/// partition, one at a time, each waiting for the replacement to be healthy; OnDelete replaces a pod only when
/// someone deletes it.</item>
/// <item>Failed and succeeded pods are deleted and made again; a pod whose identity or storage was tampered with is repaired.</item>
/// <item>Status: replicas, ready, available, current and updated counts, currentRevision, updateRevision,
/// observedGeneration, collisionCount.</item>
/// </list>
/// Not done: <c>persistentVolumeClaimRetentionPolicy</c> Delete (claims are always retained) and the alpha
/// <c>maxUnavailable</c> of rolling updates. Failures are thrown so that the work queue retries the set with back-off.
/// </summary>
internal sealed partial class StatefulSetController : QueueController
{
    public const string ControllerName = "statefulset-controller";
    public const string Kind = "StatefulSet";
    public const string ApiVersion = "apps/v1";

    private readonly IAppsClient _client;
    private readonly IIndexReader<V1StatefulSet> _sets;
    private readonly IIndexReader<V1Pod> _pods;
    private readonly IIndexReader<V1ControllerRevision> _revisions;
    private readonly StatefulPodControl _podControl;
    private readonly ControllerHistory _history;
    private readonly IReadOnlyList<ISharedInformer> _informers;
    private readonly SelectorCache<V1StatefulSet> _selectors;

    internal StatefulSetController(
        IAppsClient client,
        IIndexReader<V1StatefulSet> sets,
        IIndexReader<V1Pod> pods,
        IIndexReader<V1ControllerRevision> revisions,
        IIndexReader<V1PersistentVolumeClaim> claims,
        IEventRecorder recorder,
        TimeProvider time,
        ILogger logger,
        IReadOnlyList<ISharedInformer>? informers = null)
        : base(ControllerName, time, logger)
    {
        _client = client;
        _sets = sets;
        _pods = pods;
        _revisions = revisions;
        _podControl = new StatefulPodControl(client, claims, recorder);
        _history = new ControllerHistory(client, revisions);
        _informers = informers ?? [];
        _selectors = new SelectorCache<V1StatefulSet>(s => Objects.Selector(s.Spec?.Selector), (s, error) => Log.InvalidSelector(Logger, s.Metadata.NamespaceProperty, s.Metadata.Name, error));
        PodEvents = new OwnedPodEvents<V1StatefulSet>
        {
            OwnerKind = Kind,
            Owners = sets,
            OwnersSelecting = SetsSelecting,
            Queue = Queue,
            MinReadySeconds = set => set.Spec?.MinReadySeconds ?? 0,
        };
    }

    private OwnedPodEvents<V1StatefulSet> PodEvents { get; }

    /// <summary>Builds the controller on the manager's shared informers and registers its handlers.</summary>
    public static StatefulSetController Create(ControllerContext context)
    {
        var sets = context.Informers.GetInformer<V1StatefulSet>();
        var pods = context.Informers.GetInformer<V1Pod>();
        var revisions = context.Informers.GetInformer<V1ControllerRevision>();
        var claims = context.Informers.GetInformer<V1PersistentVolumeClaim>();
        WorkloadIndexes.Ensure(pods);
        WorkloadIndexes.Ensure(revisions);
        var controller = new StatefulSetController(
            new KubernetesWorkloadClient(context.Client),
            sets.Indexer,
            pods.Indexer,
            revisions.Indexer,
            claims.Indexer,
            context.Recorder(ControllerName),
            context.Time,
            context.Loggers.CreateLogger(ControllerName),
            [sets, pods, revisions, claims]);
        controller.Register(h => sets.AddEventHandler(h), h => pods.AddEventHandler(h));
        return controller;
    }

    protected override IEnumerable<ISharedInformer> Informers => _informers;

    protected override Task<ReconcileResult> ReconcileAsync(string key, CancellationToken cancellationToken) => SyncAsync(key, cancellationToken);

    /// <summary>One sync of the set under <paramref name="key"/> (upstream's <c>sync</c> and <c>syncStatefulSet</c>).</summary>
    internal async Task<ReconcileResult> SyncAsync(string key, CancellationToken cancellationToken)
    {
        var set = _sets.Get(key);
        if (set is null)
        {
            return ReconcileResult.Done;
        }

        if (SelectorOf(set) is not { } selector)
        {
            // An invalid selector is the user's to fix; retrying will not help.
            return ReconcileResult.Done;
        }

        var ns = set.Metadata.NamespaceProperty;
        var name = set.Metadata.Name;
        var canAdopt = AdoptionChecks.RecheckDeletionTimestamp(set, Kind, ct => _client.GetStatefulSetAsync(ns, name, ct));
        var revisionManager = new ControllerRefManager<V1ControllerRevision>(
            set, ApiVersion, Kind, selector, canAdopt,
            (cr, patch, ct) => _client.PatchControllerRevisionAsync(cr.Metadata.NamespaceProperty, cr.Metadata.Name, patch, ct));
        var revisions = await revisionManager.ClaimAsync(_history.List(set, selector), cancellationToken).ConfigureAwait(false);

        var podManager = new ControllerRefManager<V1Pod>(
            set, ApiVersion, Kind, selector, canAdopt,
            (pod, patch, ct) => _client.PatchPodAsync(pod.Metadata.NamespaceProperty, pod.Metadata.Name, patch, ct))
        {
            // Only pods named as this set's members are its own (upstream's isMemberOf filter).
            Filter = pod => StatefulPods.IsMemberOf(set, pod),
        };
        var pods = await podManager.ClaimAsync(WorkloadIndexes.OwnedAndOrphans(_pods, ns, set.Metadata.Uid), cancellationToken).ConfigureAwait(false);

        var status = await UpdateStatefulSetAsync(set, pods, revisions, cancellationToken).ConfigureAwait(false);
        var minReady = set.Spec?.MinReadySeconds ?? 0;
        if (minReady > 0 && status is not null && status.AvailableReplicas != StatefulPods.Replicas(set))
        {
            return ReconcileResult.RequeueAfter(TimeSpan.FromSeconds(minReady));
        }

        return ReconcileResult.Done;
    }

    /// <summary>The set's selector, parsed once per cached object; null when invalid.</summary>
    private LabelSelector? SelectorOf(V1StatefulSet set) =>
        _selectors.Get(set);

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "StatefulSet {Namespace}/{Name} has an invalid selector: {Error}")]
        public static partial void InvalidSelector(ILogger logger, string @namespace, string name, string error);

        [LoggerMessage(Level = LogLevel.Debug, Message = "StatefulSet {Name} is waiting for pod {Pod} ({Why})")]
        public static partial void Waiting(ILogger logger, string name, string pod, string why);

        [LoggerMessage(Level = LogLevel.Information, Message = "Pod {Pod} of StatefulSet {Name} is terminating for update")]
        public static partial void TerminatingForUpdate(ILogger logger, string name, string pod);
    }
}
