using System.Runtime.ExceptionServices;
using k8s;
using k8s.Models;
using Kubesharp.Api.Selectors;
using Kubesharp.Client.Cache;
using Kubesharp.Client.Controllers;
using Kubesharp.Client.Events;
using Kubesharp.Controllers.Common;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Controllers.ReplicaSet;

/// <summary>
/// The replica core that ReplicaSets and replication controllers share (upstream's ReplicaSet controller,
/// which the replication manager runs through a conversion): keeps <c>spec.replicas</c> active pods that the
/// owner selects and controls.
/// <list type="bullet">
/// <item>Pods it owns that stop matching are released; matching orphans are adopted (<see cref="ControllerRefManager{T}"/>).</item>
/// <item>Too few: creates the missing pods (at most <see cref="BurstReplicas"/> per sync) in slow-start batches of 1, 2, 4, ...;
/// a failed batch stops the rest, and the owner is retried with back-off.</item>
/// <item>Too many: deletes the surplus (at most <see cref="BurstReplicas"/> per sync) in <see cref="PodDeletionOrder"/>.</item>
/// <item>Nothing is done for an owner until its previous creates and deletes have come back through the pod
/// informer (<see cref="ControllerExpectations"/>, 5 minutes at most), so nothing is created twice.</item>
/// <item>Status (replicas, fullyLabeledReplicas, readyReplicas, availableReplicas, observedGeneration and the
/// ReplicaFailure condition) is written on every sync where it changed.</item>
/// </list>
/// Failures are thrown from the sync so that the work queue retries the owner with back-off.
/// </summary>
internal sealed partial class ReplicaManager<T> : QueueController
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    /// <summary>Upstream's <c>BurstReplicas</c>: creates or deletes per sync.</summary>
    public const int BurstReplicas = 500;

    public const string ReplicaFailure = "ReplicaFailure";

    private readonly IReplicaKind<T> _kind;
    private readonly IWorkloadClient _client;
    private readonly IIndexReader<T> _owners;
    private readonly OwnedPodEvents<T> _podEvents;
    private readonly IIndexReader<V1Pod> _pods;
    private readonly PodControl _podControl;
    private readonly IReadOnlyList<ISharedInformer> _informers;
    private readonly int _burstReplicas;
    private readonly SelectorCache<T> _selectors;

    internal ReplicaManager(
        IReplicaKind<T> kind,
        IWorkloadClient client,
        IIndexReader<T> owners,
        IIndexReader<V1Pod> pods,
        IEventRecorder recorder,
        TimeProvider time,
        ILogger logger,
        IReadOnlyList<ISharedInformer>? informers = null,
        int burstReplicas = BurstReplicas)
        : base(kind.ControllerName, time, logger)
    {
        _kind = kind;
        _client = client;
        _owners = owners;
        _pods = pods;
        _podControl = new PodControl(client, recorder);
        _informers = informers ?? [];
        _selectors = new SelectorCache<T>(o => _kind.Selector(o), (o, error) => Log.InvalidSelector(Logger, _kind.Kind, o.Metadata.NamespaceProperty, o.Metadata.Name, error));
        _burstReplicas = burstReplicas;
        Expectations = new ControllerExpectations(time);
        _podEvents = new OwnedPodEvents<T>
        {
            OwnerKind = kind.Kind,
            Owners = owners,
            OwnersSelecting = OwnersSelecting,
            Queue = Queue,
            MinReadySeconds = kind.MinReadySeconds,
            Expectations = Expectations,
            AvailabilitySlack = TimeSpan.FromSeconds(1),
            DeletedPodOldLabelsToo = true,
        };
    }

    /// <summary>Builds the controller on the manager's shared pod and owner informers and registers its handlers.</summary>
    public static ReplicaManager<T> Create(IReplicaKind<T> kind, ControllerContext context)
    {
        var ownerInformer = context.Informers.GetInformer<T>();
        var podInformer = context.Informers.GetInformer<V1Pod>();
        WorkloadIndexes.Ensure(ownerInformer);
        WorkloadIndexes.Ensure(podInformer);
        var controller = new ReplicaManager<T>(
            kind,
            new KubernetesWorkloadClient(context.Client),
            ownerInformer.Indexer,
            podInformer.Indexer,
            context.Recorder(kind.EventComponent),
            context.Time,
            context.Loggers.CreateLogger(kind.ControllerName),
            [ownerInformer, podInformer]);
        ownerInformer.AddEventHandler(new ResourceEventHandlerFuncs<T>
        {
            AddFunc = controller.OnOwnerAdded,
            UpdateFunc = controller.OnOwnerUpdated,
            DeleteFunc = (owner, _) => controller.OnOwnerDeleted(owner),
        });
        podInformer.AddEventHandler(new ResourceEventHandlerFuncs<V1Pod>
        {
            AddFunc = controller.OnPodAdded,
            UpdateFunc = controller.OnPodUpdated,
            DeleteFunc = (pod, _) => controller.OnPodDeleted(pod),
        });
        return controller;
    }

    internal ControllerExpectations Expectations { get; }

    protected override IEnumerable<ISharedInformer> Informers => _informers;

    protected override Task<ReconcileResult> ReconcileAsync(string key, CancellationToken cancellationToken) => SyncAsync(key, cancellationToken);

    /// <summary>One sync of the owner under <paramref name="key"/> (upstream's <c>syncReplicaSet</c>).</summary>
    internal async Task<ReconcileResult> SyncAsync(string key, CancellationToken cancellationToken)
    {
        var owner = _owners.Get(key);
        if (owner is null)
        {
            Expectations.Delete(key);
            return ReconcileResult.Done;
        }

        var needsSync = Expectations.Satisfied(key);
        if (SelectorOf(owner) is not { } selector)
        {
            // An invalid selector is the user's to fix; retrying will not help.
            return ReconcileResult.Done;
        }

        var candidates = Pods.FilterActive(WorkloadIndexes.OwnedAndOrphans(_pods, owner.Metadata.NamespaceProperty, owner.Metadata.Uid));
        var filtered = await ClaimPodsAsync(owner, selector, candidates, cancellationToken).ConfigureAwait(false);

        Exception? manageError = null;
        if (needsSync && owner.Metadata.DeletionTimestamp is null)
        {
            try
            {
                await ManageReplicasAsync(filtered, owner, key, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                manageError = e;
            }
        }

        var status = CalculateStatus(owner, filtered, manageError);
        var updated = await UpdateStatusAsync(owner, status, cancellationToken).ConfigureAwait(false);
        if (manageError is not null)
        {
            ExceptionDispatchInfo.Throw(manageError);
        }

        // Resync after minReadySeconds as a last line of defence against clock skew (upstream does the same).
        var minReady = _kind.MinReadySeconds(updated);
        var updatedStatus = _kind.Status(updated);
        var replicas = _kind.Replicas(updated);
        if (minReady > 0 && updatedStatus.ReadyReplicas == replicas && updatedStatus.AvailableReplicas != replicas)
        {
            return ReconcileResult.RequeueAfter(TimeSpan.FromSeconds(minReady));
        }

        return ReconcileResult.Done;
    }

    private Task<List<V1Pod>> ClaimPodsAsync(T owner, LabelSelector selector, List<V1Pod> candidates, CancellationToken cancellationToken)
    {
        var ns = owner.Metadata.NamespaceProperty;
        var name = owner.Metadata.Name;
        var manager = new ControllerRefManager<V1Pod>(
            owner,
            _kind.ApiVersion,
            _kind.Kind,
            selector,
            AdoptionChecks.RecheckDeletionTimestamp(owner, _kind.Kind, ct => _kind.GetAsync(_client, ns, name, ct)),
            (pod, patch, ct) => _podControl.PatchPodAsync(pod, patch, ct));
        return manager.ClaimAsync(candidates, cancellationToken);
    }

    /// <summary>Upstream's <c>manageReplicas</c>: one step towards <c>spec.replicas</c> pods.</summary>
    private async Task ManageReplicasAsync(List<V1Pod> filtered, T owner, string key, CancellationToken cancellationToken)
    {
        var replicas = _kind.Replicas(owner);
        var diff = filtered.Count - replicas;
        var ns = owner.Metadata.NamespaceProperty;
        if (diff < 0)
        {
            var create = Math.Min(-diff, _burstReplicas);
            // Expect before creating: the informer may deliver a pod before its create call returns.
            Expectations.ExpectCreations(key, create);
            Log.TooFew(Logger, _kind.Kind, key, replicas, create);
            var template = _kind.Template(owner) ?? new V1PodTemplateSpec();
            var controllerRef = Objects.ControllerRef(owner, _kind.ApiVersion, _kind.Kind);
            var (successes, error) = await SlowStart.RunAsync(create, 1, async ct =>
            {
                try
                {
                    await _podControl.CreatePodAsync(ns, template, owner, controllerRef, ct).ConfigureAwait(false);
                }
                catch (Exception e) when (ApiErrors.HasStatusCause(e, ApiErrors.NamespaceTerminatingCause))
                {
                    // Every create in a terminating namespace fails; there is nothing to retry.
                }
            }, cancellationToken).ConfigureAwait(false);

            // Creates never attempted, or failed, will never be observed.
            if (create - successes > 0)
            {
                Log.SlowStartSkipped(Logger, create - successes, _kind.Kind, key);
                Expectations.Lower(key, create - successes, 0);
            }

            if (error is not null)
            {
                ExceptionDispatchInfo.Throw(error);
            }
        }
        else if (diff > 0)
        {
            var delete = Math.Min(diff, _burstReplicas);
            Log.TooMany(Logger, _kind.Kind, key, replicas, delete);
            var toDelete = PodDeletionOrder.PodsToDelete(filtered, RelatedPods(owner), delete, Time.GetUtcNow());
            // Snapshot the keys before deleting, so that each deletion is observed exactly once whether it
            // shows as a deletionTimestamp or as a delete.
            Expectations.ExpectDeletions(key, toDelete.Select(Pods.Key));
            var errors = await Task.WhenAll(toDelete.Select(async pod =>
            {
                try
                {
                    await _podControl.DeletePodAsync(ns, pod.Metadata.Name, owner, cancellationToken).ConfigureAwait(false);
                    return null;
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    // The informer will not observe this deletion.
                    Expectations.DeletionObserved(key, Pods.Key(pod));
                    return ApiErrors.IsNotFound(e) ? null : e;
                }
            })).ConfigureAwait(false);
            if (errors.FirstOrDefault(e => e is not null) is { } first)
            {
                ExceptionDispatchInfo.Throw(first);
            }
        }
    }

    /// <summary>
    /// Upstream's <c>getIndirectlyRelatedPods</c>: the pods selected by every owner with the same controller
    /// as <paramref name="owner"/> (the ReplicaSets of one Deployment), to rank pods by how doubled up their node is.
    /// </summary>
    private List<V1Pod> RelatedPods(T owner)
    {
        var related = new List<V1Pod>();
        if (Objects.ControllerOf(owner) is not { } controllerRef)
        {
            return related;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var relative in _owners.ByIndex(Indexers.ControllerUid, controllerRef.Uid))
        {
            if (SelectorOf(relative) is not { } selector)
            {
                continue;
            }

            foreach (var pod in _pods.ByIndex(Indexers.Namespace, relative.Metadata.NamespaceProperty))
            {
                if (selector.Matches(Objects.Labels(pod)) && seen.Add(pod.Metadata.Uid ?? Pods.Key(pod)))
                {
                    related.Add(pod);
                }
            }
        }

        return related;
    }

    /// <summary>The owner's selector, parsed once per cached object; null when invalid.</summary>
    private LabelSelector? SelectorOf(T owner) =>
        _selectors.Get(owner);
}
