using System.Runtime.ExceptionServices;
using k8s.Models;
using Kubesharp.Controllers.Common;
using Kubesharp.Controllers.History;
using Kubesharp.Controllers.ReplicaSet;

namespace Kubesharp.Controllers.StatefulSet;

/// <summary>One step of a set towards its spec: upstream's <c>defaultStatefulSetControl</c> (stateful_set_control.go).</summary>
internal sealed partial class StatefulSetController
{
    public const string Parallel = "Parallel";
    public const string OnDelete = "OnDelete";

    /// <summary>client-go's <c>retry.DefaultRetry</c> steps for the status write.</summary>
    private const int ConflictRetries = 5;

    /// <summary>
    /// Upstream's <c>UpdateStatefulSet</c>: works out the current and update revisions, makes one step on the pods,
    /// writes the status (even after a failed step), and trims the history to revisionHistoryLimit.
    /// </summary>
    private async Task<V1StatefulSetStatus?> UpdateStatefulSetAsync(V1StatefulSet cached, List<V1Pod> pods, List<V1ControllerRevision> revisions, CancellationToken cancellationToken)
    {
        var set = Objects.DeepCopy(cached);
        ControllerRevisions.Sort(revisions);
        V1ControllerRevision? current = null, update = null;
        V1StatefulSetStatus? status = null;
        var errors = new List<Exception>();
        try
        {
            var (cur, upd, collisionCount) = await RevisionsAsync(set, revisions, cancellationToken).ConfigureAwait(false);
            (current, update) = (cur, upd);
            var (computed, stepError) = await UpdatePodsAsync(set, cur, upd, collisionCount, pods, cancellationToken).ConfigureAwait(false);
            status = computed;
            if (stepError is not null)
            {
                errors.Add(stepError);
            }

            await UpdateStatusAsync(set, computed, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            errors.Add(e);
        }

        try
        {
            await TruncateHistoryAsync(set, pods, revisions, current, update, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            errors.Add(e);
        }

        if (errors.Count == 1)
        {
            ExceptionDispatchInfo.Throw(errors[0]);
        }
        else if (errors.Count > 1)
        {
            throw new AggregateException(errors);
        }

        return status;
    }

    /// <summary>
    /// Upstream's <c>getStatefulSetRevisions</c>: the update revision is the set's template (the newest revision when
    /// it already is that template; an older equal one renumbered to be the newest, which is a rollback; else a new
    /// revision); the current revision is the one status.currentRevision names, or the update revision.
    /// </summary>
    private async Task<(V1ControllerRevision Current, V1ControllerRevision Update, int CollisionCount)> RevisionsAsync(V1StatefulSet set, List<V1ControllerRevision> revisions, CancellationToken cancellationToken)
    {
        var collisionCount = new Ref<int>(set.Status?.CollisionCount ?? 0);
        var candidate = ControllerRevisions.New(set, ApiVersion, Kind, set.Spec?.Template?.Metadata?.Labels, ControllerRevisions.TemplatePatch(set.Spec?.Template), ControllerRevisions.Next(revisions), collisionCount.Value);
        if (set.Metadata.Annotations is { Count: > 0 } annotations)
        {
            candidate.Metadata.Annotations = new Dictionary<string, string>(annotations);
        }

        var equal = ControllerRevisions.FindEqual(revisions, candidate);
        V1ControllerRevision update;
        if (equal.Count > 0 && ControllerRevisions.Equal(revisions[^1], equal[^1]))
        {
            update = revisions[^1];
        }
        else if (equal.Count > 0)
        {
            update = await _history.UpdateRevisionAsync(equal[^1], candidate.Revision ?? 0, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            update = await _history.CreateAsync(set, candidate, collisionCount, cancellationToken).ConfigureAwait(false);
        }

        var current = revisions.FirstOrDefault(r => r.Metadata.Name == set.Status?.CurrentRevision) ?? update;
        return (current, update, collisionCount.Value);
    }

    /// <summary>
    /// Upstream's <c>updateStatefulSet</c>: the status as it stands, and the error of the step, if any. The step
    /// stops at the first pod it must wait for when the set is OrderedReady.
    /// </summary>
    private async Task<(V1StatefulSetStatus Status, Exception? Error)> UpdatePodsAsync(
        V1StatefulSet set, V1ControllerRevision currentRevision, V1ControllerRevision updateRevision, int collisionCount, List<V1Pod> pods, CancellationToken cancellationToken)
    {
        var currentSet = StatefulPods.ApplyRevision(set, currentRevision);
        var updateSet = StatefulPods.ApplyRevision(set, updateRevision);
        var status = new V1StatefulSetStatus
        {
            ObservedGeneration = Objects.Generation(set),
            CurrentRevision = currentRevision.Metadata.Name,
            UpdateRevision = updateRevision.Metadata.Name,
            CollisionCount = collisionCount,
        };

        var start = StatefulPods.StartOrdinal(set);
        var replicas = new V1Pod[Math.Max(StatefulPods.Replicas(set), 0)];
        var condemned = new List<V1Pod>();
        foreach (var pod in pods)
        {
            var ordinal = StatefulPods.Ordinal(pod);
            if (StatefulPods.InOrdinalRange(set, ordinal))
            {
                replicas[ordinal - start] = pod;
            }
            else if (ordinal >= 0)
            {
                condemned.Add(pod);
            }
        }

        for (var i = 0; i < replicas.Length; i++)
        {
            replicas[i] ??= StatefulPods.NewVersioned(currentSet, updateSet, currentRevision.Metadata.Name, updateRevision.Metadata.Name, start + i);
        }

        // Highest ordinal first: scale-down order.
        condemned.Sort((a, b) => StatefulPods.Ordinal(b).CompareTo(StatefulPods.Ordinal(a)));
        var firstUnhealthy = replicas.FirstOrDefault(p => !StatefulPods.IsHealthy(p)) ?? condemned.LastOrDefault(p => !StatefulPods.IsHealthy(p));
        var minReady = set.Spec?.MinReadySeconds ?? 0;
        V1StatefulSetStatus Done() => WithCounts(status, minReady, currentRevision, updateRevision, replicas, condemned);

        if (set.Metadata.DeletionTimestamp is not null)
        {
            return (Done(), null);
        }

        var monotonic = set.Spec?.PodManagementPolicy != Parallel;
        try
        {
            if (await RunForAllAsync(replicas.Length, i => ProcessReplicaAsync(set, updateSet, monotonic, replicas, i, cancellationToken), monotonic, cancellationToken).ConfigureAwait(false))
            {
                return (Done(), null);
            }

            // In OrderedReady, every replica is now Running, Ready and available: scale down, highest first.
            if (await RunForAllAsync(condemned.Count, i => ProcessCondemnedAsync(set, firstUnhealthy, monotonic, condemned, i, cancellationToken), monotonic, cancellationToken).ConfigureAwait(false))
            {
                return (Done(), null);
            }

            if (set.Spec?.UpdateStrategy?.Type == OnDelete)
            {
                // Pods are replaced when someone deletes them.
                return (Done(), null);
            }

            // Roll from the highest ordinal down to the partition, one pod at a time.
            var updateMin = set.Spec?.UpdateStrategy?.RollingUpdate?.Partition ?? 0;
            for (var target = replicas.Length - 1; target >= updateMin; target--)
            {
                var pod = replicas[target];
                if (StatefulPods.Revision(pod) != updateRevision.Metadata.Name && !StatefulPods.IsTerminating(pod))
                {
                    Log.TerminatingForUpdate(Logger, set.Metadata.Name, pod.Metadata.Name);
                    try
                    {
                        await _podControl.DeleteAsync(set, pod, cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception e) when (ApiErrors.IsNotFound(e))
                    {
                        // Gone already: as good as deleted.
                    }

                    var result = Done();
                    result.CurrentReplicas--;
                    return (result, null);
                }

                if (!StatefulPods.IsHealthy(pod))
                {
                    Log.Waiting(Logger, set.Metadata.Name, pod.Metadata.Name, "to update");
                    return (Done(), null);
                }
            }

            return (Done(), null);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return (Done(), e);
        }
    }

    /// <summary>
    /// Upstream's <c>runForAll</c>: in order, stopping at the first pod that must be waited for (OrderedReady); or
    /// all in slow-start batches (Parallel), failing after the batch with a failure. True when the step must stop here.
    /// </summary>
    private static async Task<bool> RunForAllAsync(int count, Func<int, Task<bool>> fn, bool monotonic, CancellationToken cancellationToken)
    {
        if (monotonic)
        {
            for (var i = 0; i < count; i++)
            {
                if (await fn(i).ConfigureAwait(false))
                {
                    return true;
                }
            }

            return false;
        }

        var next = -1;
        var (_, error) = await SlowStart.RunAsync(count, 1, _ => fn(Interlocked.Increment(ref next)), cancellationToken).ConfigureAwait(false);
        if (error is not null)
        {
            ExceptionDispatchInfo.Throw(error);
        }

        return false;
    }

    /// <summary>Upstream's <c>processReplica</c>: true when an OrderedReady set must wait on this pod.</summary>
    private async Task<bool> ProcessReplicaAsync(V1StatefulSet set, V1StatefulSet updateSet, bool monotonic, V1Pod[] replicas, int i, CancellationToken cancellationToken)
    {
        var pod = replicas[i];
        if (StatefulPods.IsFailed(pod) || StatefulPods.IsSucceeded(pod))
        {
            // A finished pod is deleted; it is made again on a later sync, once it is gone.
            if (!StatefulPods.IsTerminating(pod))
            {
                await _podControl.DeleteAsync(set, pod, cancellationToken).ConfigureAwait(false);
            }

            return true;
        }

        if (!StatefulPods.IsCreated(pod))
        {
            await _podControl.CreateAsync(set, pod, cancellationToken).ConfigureAwait(false);
            return monotonic;
        }

        if (StatefulPods.IsPending(pod))
        {
            // A claim deleted under a pending pod would keep it pending forever.
            await _podControl.CreateMissingClaimsAsync(set, pod, cancellationToken).ConfigureAwait(false);
        }

        if (monotonic)
        {
            if (StatefulPods.IsTerminating(pod))
            {
                Log.Waiting(Logger, set.Metadata.Name, pod.Metadata.Name, "to terminate");
                return true;
            }

            if (!StatefulPods.IsRunningAndReady(pod))
            {
                Log.Waiting(Logger, set.Metadata.Name, pod.Metadata.Name, "to be Running and Ready");
                return true;
            }

            if (!StatefulPods.IsRunningAndAvailable(pod, set.Spec?.MinReadySeconds ?? 0, Time.GetUtcNow()))
            {
                Log.Waiting(Logger, set.Metadata.Name, pod.Metadata.Name, "to be available");
                return true;
            }
        }

        if (StatefulPods.IdentityMatches(set, pod) && StatefulPods.StorageMatches(set, pod))
        {
            return false;
        }

        await _podControl.UpdateAsync(updateSet, pod, cancellationToken).ConfigureAwait(false);
        return false;
    }

    /// <summary>
    /// Upstream's <c>processCondemned</c>: deletes a pod beyond the replicas; OrderedReady deletes one at a time and
    /// only a healthy pod, or the first unhealthy one.
    /// </summary>
    private async Task<bool> ProcessCondemnedAsync(V1StatefulSet set, V1Pod? firstUnhealthy, bool monotonic, List<V1Pod> condemned, int i, CancellationToken cancellationToken)
    {
        var pod = condemned[i];
        if (StatefulPods.IsTerminating(pod))
        {
            return monotonic;
        }

        if (monotonic && !ReferenceEquals(pod, firstUnhealthy)
            && (!StatefulPods.IsRunningAndReady(pod) || !StatefulPods.IsRunningAndAvailable(pod, set.Spec?.MinReadySeconds ?? 0, Time.GetUtcNow())))
        {
            Log.Waiting(Logger, set.Metadata.Name, pod.Metadata.Name, "to be healthy before scale down");
            return true;
        }

        await _podControl.DeleteAsync(set, pod, cancellationToken).ConfigureAwait(false);
        return monotonic;
    }

    /// <summary>Upstream's <c>updateStatus</c>/<c>computeReplicaStatus</c>: the counts over the pods as this step left them.</summary>
    private V1StatefulSetStatus WithCounts(V1StatefulSetStatus status, int minReady, V1ControllerRevision current, V1ControllerRevision update, params IEnumerable<V1Pod>[] lists)
    {
        var now = Time.GetUtcNow();
        var result = Objects.DeepCopy(status);
        int replicas = 0, ready = 0, available = 0, currentCount = 0, updated = 0;
        foreach (var pod in lists.SelectMany(l => l))
        {
            if (StatefulPods.IsCreated(pod))
            {
                replicas++;
            }

            if (StatefulPods.IsRunningAndReady(pod))
            {
                ready++;
            }

            if (StatefulPods.IsRunningAndAvailable(pod, minReady, now))
            {
                available++;
            }

            if (StatefulPods.IsCreated(pod) && !StatefulPods.IsTerminating(pod))
            {
                var revision = StatefulPods.Revision(pod);
                if (revision == current.Metadata.Name)
                {
                    currentCount++;
                }

                if (revision == update.Metadata.Name)
                {
                    updated++;
                }
            }
        }

        result.Replicas = replicas;
        result.ReadyReplicas = ready;
        result.AvailableReplicas = available;
        result.CurrentReplicas = currentCount;
        result.UpdatedReplicas = updated;
        return result;
    }

    /// <summary>
    /// Upstream's <c>updateStatefulSetStatus</c>: a finished rolling update makes the update revision current; the
    /// status is written only when it differs, rereading through conflicts.
    /// </summary>
    private async Task UpdateStatusAsync(V1StatefulSet set, V1StatefulSetStatus status, CancellationToken cancellationToken)
    {
        if (set.Spec?.UpdateStrategy?.Type != OnDelete && status.UpdatedReplicas == status.Replicas && status.ReadyReplicas == status.Replicas)
        {
            status.CurrentReplicas = status.UpdatedReplicas;
            status.CurrentRevision = status.UpdateRevision;
        }

        var s = set.Status ?? new V1StatefulSetStatus();
        if (!(status.ObservedGeneration > (s.ObservedGeneration ?? 0)
            || status.Replicas != s.Replicas
            || (status.CurrentReplicas ?? 0) != (s.CurrentReplicas ?? 0)
            || (status.ReadyReplicas ?? 0) != (s.ReadyReplicas ?? 0)
            || (status.UpdatedReplicas ?? 0) != (s.UpdatedReplicas ?? 0)
            || status.CurrentRevision != s.CurrentRevision
            || (status.AvailableReplicas ?? 0) != (s.AvailableReplicas ?? 0)
            || status.UpdateRevision != s.UpdateRevision))
        {
            return;
        }

        var target = Objects.DeepCopy(set);
        for (var attempt = 0; ; attempt++)
        {
            target.Status = status;
            try
            {
                await _client.UpdateStatefulSetStatusAsync(target, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (ApiErrors.IsConflict(e) && attempt < ConflictRetries)
            {
                target = await _client.GetStatefulSetAsync(set.Metadata.NamespaceProperty, set.Metadata.Name, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Upstream's <c>truncateHistory</c>: revisions that neither the current nor the update revision nor any pod
    /// uses are deleted, oldest first, down to revisionHistoryLimit.
    /// </summary>
    private async Task TruncateHistoryAsync(V1StatefulSet set, List<V1Pod> pods, List<V1ControllerRevision> revisions, V1ControllerRevision? current, V1ControllerRevision? update, CancellationToken cancellationToken)
    {
        var live = new HashSet<string>(StringComparer.Ordinal);
        if (current is not null)
        {
            live.Add(current.Metadata.Name);
        }

        if (update is not null)
        {
            live.Add(update.Metadata.Name);
        }

        foreach (var pod in pods)
        {
            live.Add(StatefulPods.Revision(pod) ?? "");
        }

        var history = revisions.Where(r => !live.Contains(r.Metadata.Name)).ToList();
        var limit = set.Spec?.RevisionHistoryLimit ?? 10;
        foreach (var revision in history.Take(Math.Max(history.Count - limit, 0)))
        {
            await _client.DeleteControllerRevisionAsync(revision.Metadata.NamespaceProperty, revision.Metadata.Name, cancellationToken).ConfigureAwait(false);
        }
    }
}
