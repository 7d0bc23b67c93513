using k8s.Models;
using Kubesharp.Api.Selectors;
using Kubesharp.Client.Cache;
using Kubesharp.Client.Controllers;
using Kubesharp.Client.Events;
using Kubesharp.Controllers.Common;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Controllers.Deployment;

/// <summary>
/// The Deployment controller (upstream's <c>pkg/controller/deployment</c> as of v1.32): rolls a Deployment's
/// pods from one template to the next through ReplicaSets it owns, one ReplicaSet per template, named
/// <c>&lt;deployment&gt;-&lt;pod-template-hash&gt;</c>.
/// <list type="bullet">
/// <item>RollingUpdate: the new ReplicaSet grows while old ones shrink, never more than spec.replicas + maxSurge
/// pods in all and never fewer than spec.replicas - maxUnavailable available; Recreate: old ones go to zero and
/// their pods must be gone before the new one is scaled up.</item>
/// <item>A paused Deployment, or a change of spec.replicas alone, is scaled proportionally across its active
/// ReplicaSets without rolling.</item>
/// <item>Revisions live in the <c>deployment.kubernetes.io/revision</c> annotation of each ReplicaSet (and the
/// Deployment); old ReplicaSets beyond revisionHistoryLimit are deleted once scaled to zero.</item>
/// <item>Status: replicas, updated, ready, available and unavailable counts, the Available condition, and the
/// Progressing condition against progressDeadlineSeconds (the Deployment is requeued to check the deadline).</item>
/// </list>
/// Not done: the deprecated <c>spec.rollbackTo</c> (extensions/v1beta1) rollback; kubectl 1.32 rolls back by
/// patching the template, which is an ordinary rollout here.
/// Failures are thrown so that the work queue retries the Deployment with back-off.
/// </summary>
internal sealed partial class DeploymentController : QueueController
{
    public const string ControllerName = "deployment-controller";
    public const string Kind = "Deployment";
    public const string ApiVersion = "apps/v1";

    private readonly IWorkloadClient _client;
    private readonly IIndexReader<V1Deployment> _deployments;
    private readonly IIndexReader<V1ReplicaSet> _replicaSets;
    private readonly IIndexReader<V1Pod> _pods;
    private readonly IEventRecorder _recorder;
    private readonly IReadOnlyList<ISharedInformer> _informers;
    private readonly SelectorCache<V1Deployment> _selectors;

    internal DeploymentController(
        IWorkloadClient client,
        IIndexReader<V1Deployment> deployments,
        IIndexReader<V1ReplicaSet> replicaSets,
        IIndexReader<V1Pod> pods,
        IEventRecorder recorder,
        TimeProvider time,
        ILogger logger,
        IReadOnlyList<ISharedInformer>? informers = null)
        : base(ControllerName, time, logger)
    {
        _client = client;
        _deployments = deployments;
        _replicaSets = replicaSets;
        _pods = pods;
        _recorder = recorder;
        _informers = informers ?? [];
        _selectors = new SelectorCache<V1Deployment>(x => Objects.Selector(x.Spec?.Selector), (x, error) => Log.InvalidSelector(Logger, x.Metadata.NamespaceProperty, x.Metadata.Name, error));
    }

    /// <summary>Builds the controller on the manager's shared informers and registers its handlers.</summary>
    public static DeploymentController Create(ControllerContext context)
    {
        var deployments = context.Informers.GetInformer<V1Deployment>();
        var replicaSets = context.Informers.GetInformer<V1ReplicaSet>();
        var pods = context.Informers.GetInformer<V1Pod>();
        WorkloadIndexes.Ensure(replicaSets);
        WorkloadIndexes.Ensure(pods);
        var controller = new DeploymentController(
            new KubernetesWorkloadClient(context.Client),
            deployments.Indexer,
            replicaSets.Indexer,
            pods.Indexer,
            context.Recorder(ControllerName),
            context.Time,
            context.Loggers.CreateLogger(ControllerName),
            [deployments, replicaSets, pods]);
        deployments.AddEventHandler(new ResourceEventHandlerFuncs<V1Deployment>
        {
            AddFunc = controller.Enqueue,
            UpdateFunc = (_, d) => controller.Enqueue(d),
            DeleteFunc = (d, _) => controller.Enqueue(d),
        });
        replicaSets.AddEventHandler(new ResourceEventHandlerFuncs<V1ReplicaSet>
        {
            AddFunc = controller.OnReplicaSetAdded,
            UpdateFunc = controller.OnReplicaSetUpdated,
            DeleteFunc = (rs, _) => controller.OnReplicaSetDeleted(rs),
        });
        pods.AddEventHandler(new ResourceEventHandlerFuncs<V1Pod>
        {
            DeleteFunc = (pod, _) => controller.OnPodDeleted(pod),
        });
        return controller;
    }

    protected override IEnumerable<ISharedInformer> Informers => _informers;

    protected override Task<ReconcileResult> ReconcileAsync(string key, CancellationToken cancellationToken) => SyncAsync(key, cancellationToken);

    /// <summary>One sync of the Deployment under <paramref name="key"/> (upstream's <c>syncDeployment</c>).</summary>
    internal async Task<ReconcileResult> SyncAsync(string key, CancellationToken cancellationToken)
    {
        var cached = _deployments.Get(key);
        if (cached is null)
        {
            return ReconcileResult.Done;
        }

        // Everything below works on a copy: the cache's objects are shared.
        var d = Objects.DeepCopy(cached);
        if (d.Spec?.Selector is { } s && (s.MatchLabels?.Count ?? 0) == 0 && (s.MatchExpressions?.Count ?? 0) == 0)
        {
            _recorder.Event(d, EventTypes.Warning, "SelectingAll", "This deployment is selecting all pods. A non-empty selector is required.");
            if ((d.Status?.ObservedGeneration ?? 0) < Objects.Generation(d))
            {
                d.Status ??= new V1DeploymentStatus();
                d.Status.ObservedGeneration = Objects.Generation(d);
                await UpdateStatusAsync(d, cancellationToken).ConfigureAwait(false);
            }

            return ReconcileResult.Done;
        }

        var rsList = await ReplicaSetsForDeploymentAsync(d, cached, cancellationToken).ConfigureAwait(false);
        var sync = new SyncState(d, rsList, cancellationToken);

        if (d.Metadata.DeletionTimestamp is not null)
        {
            await SyncStatusOnlyAsync(sync).ConfigureAwait(false);
            return sync.Result;
        }

        // Paused conditions first, so that a resumed Deployment is not reported as stuck for the pause.
        await CheckPausedConditionsAsync(sync).ConfigureAwait(false);
        if (d.Spec!.Paused == true)
        {
            await ScaleSyncAsync(sync).ConfigureAwait(false);
            return sync.Result;
        }

        if (await IsScalingEventAsync(sync).ConfigureAwait(false))
        {
            await ScaleSyncAsync(sync).ConfigureAwait(false);
            return sync.Result;
        }

        switch (d.Spec.Strategy?.Type)
        {
            case DeploymentMath.Recreate:
                await RolloutRecreateAsync(sync).ConfigureAwait(false);
                break;
            case DeploymentMath.RollingUpdate:
                await RolloutRollingAsync(sync).ConfigureAwait(false);
                break;
            default:
                throw new InvalidOperationException($"unexpected deployment strategy type: {d.Spec.Strategy?.Type}");
        }

        return sync.Result;
    }

    /// <summary>
    /// Upstream's <c>getReplicaSetsForDeployment</c>: the ReplicaSets this Deployment controls once orphans it
    /// selects are adopted and those it no longer selects are released.
    /// </summary>
    private async Task<List<V1ReplicaSet>> ReplicaSetsForDeploymentAsync(V1Deployment d, V1Deployment cached, CancellationToken cancellationToken)
    {
        var selector = SelectorOf(cached) ?? throw new InvalidOperationException($"deployment {d.Metadata.NamespaceProperty}/{d.Metadata.Name} has invalid label selector");
        var ns = d.Metadata.NamespaceProperty;
        var name = d.Metadata.Name;
        var candidates = WorkloadIndexes.OwnedAndOrphans(_replicaSets, ns, d.Metadata.Uid);
        var manager = new ControllerRefManager<V1ReplicaSet>(
            d,
            ApiVersion,
            Kind,
            selector,
            AdoptionChecks.RecheckDeletionTimestamp(d, Kind, ct => _client.GetDeploymentAsync(ns, name, ct)),
            (rs, patch, ct) => _client.PatchReplicaSetAsync(rs.Metadata.NamespaceProperty, rs.Metadata.Name, patch, ct));
        return await manager.ClaimAsync(candidates, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Upstream's <c>getPodMapForDeployment</c>: the pods of each of the Deployment's ReplicaSets, inactive ones
    /// included (Recreate must know that no old pod still runs).
    /// </summary>
    private Dictionary<string, List<V1Pod>> PodMap(V1Deployment d, IEnumerable<V1ReplicaSet> rsList)
    {
        var selector = SelectorOf(d) ?? LabelSelector.Nothing;
        var map = new Dictionary<string, List<V1Pod>>(StringComparer.Ordinal);
        foreach (var rs in rsList)
        {
            map[rs.Metadata.Uid] = [.. _pods.ByIndex(Indexers.ControllerUid, rs.Metadata.Uid).Where(p => selector.Matches(Objects.Labels(p)))];
        }

        return map;
    }

    private LabelSelector? SelectorOf(V1Deployment d) =>
        _selectors.Get(d);

    /// <summary>
    /// One sync's working state: the Deployment copy (its status is written as the sync goes), the
    /// ReplicaSets as this sync last wrote or read them, and what to ask of the queue at the end.
    /// </summary>
    private sealed class SyncState(V1Deployment deployment, List<V1ReplicaSet> replicaSets, CancellationToken cancellationToken)
    {
        public V1Deployment D { get; } = deployment;

        public List<V1ReplicaSet> ReplicaSets { get; } = replicaSets;

        public CancellationToken Token { get; } = cancellationToken;

        public ReconcileResult Result { get; set; } = ReconcileResult.Done;

        /// <summary>Keeps this sync's view of a ReplicaSet it just wrote, so that later steps do not act on (or conflict with) a stale copy.</summary>
        public V1ReplicaSet Replace(V1ReplicaSet updated)
        {
            var i = ReplicaSets.FindIndex(rs => rs.Metadata.Uid == updated.Metadata.Uid);
            if (i >= 0)
            {
                ReplicaSets[i] = updated;
            }
            else
            {
                ReplicaSets.Add(updated);
            }

            return updated;
        }
    }
}
