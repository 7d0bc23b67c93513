using k8s.Models;
using Kubesharp.Client.Events;
using Kubesharp.Controllers.Common;
using Kubesharp.Controllers.ReplicaSet;

namespace Kubesharp.Controllers.Job;

/// <summary>Pod creation and deletion (upstream's <c>manageJob</c>, <c>deleteJobPods</c>, <c>deleteActivePods</c>).</summary>
internal sealed partial class JobController
{
    /// <summary>
    /// One step towards the wanted number of active pods: all of them deleted while suspended; the surplus deleted; or
    /// the missing ones created (after the failure back-off), in slow-start batches. Deletion takes precedence over creation
    /// within one sync. Returns the active count after the step and the first failure.
    /// </summary>
    private async Task<(int Active, Exception? Error)> ManageJobAsync(SyncContext ctx, CancellationToken cancellationToken)
    {
        var job = ctx.Job;
        var active = ctx.Active.Count;
        var parallelism = job.Spec.Parallelism ?? 1;
        var now = Time.GetUtcNow();
        if (Suspended(job))
        {
            var all = ActivePodsForRemoval(job, ctx.Active, active, now);
            var (removedReady, removed, error) = await DeleteJobPodsAsync(ctx, all, cancellationToken).ConfigureAwait(false);
            ctx.Terminating += removed;
            ctx.Ready -= removedReady;
            return (active - removed, error);
        }

        int wantActive;
        if (job.Spec.Completions is not { } completions)
        {
            // A work queue: once a pod succeeded, what runs is left to finish and nothing new starts.
            wantActive = ctx.Succeeded > 0 ? active : parallelism;
        }
        else
        {
            wantActive = Math.Clamp(completions - ctx.Succeeded, 0, parallelism);
        }

        var toDelete = ActivePodsForRemoval(job, ctx.Active, Math.Max(active - wantActive, 0), now);
        if (toDelete.Count > Options.MaxPodCreateDeletePerSync)
        {
            toDelete = toDelete.GetRange(0, Options.MaxPodCreateDeletePerSync);
        }

        if (toDelete.Count > 0)
        {
            var (removedReady, removed, error) = await DeleteJobPodsAsync(ctx, toDelete, cancellationToken).ConfigureAwait(false);
            ctx.Terminating += removed;
            ctx.Ready -= removedReady;
            return (active - removed, error);
        }

        // With podReplacementPolicy Failed, pods still terminating hold their place.
        var terminating = OnlyReplaceFailed(job) ? ctx.Terminating : 0;
        var diff = wantActive - terminating - active;
        if (diff <= 0)
        {
            return (active, null);
        }

        var remaining = ctx.NewBackoff.RemainingTime(now, Options.PodFailureBackOff, Options.MaxPodFailureBackOff);
        if (remaining > TimeSpan.Zero)
        {
            Log.BackingOff(Logger, ctx.Key, remaining);
            Queue.AddAfter(ctx.Key, remaining < Options.SyncBatchPeriod ? Options.SyncBatchPeriod : remaining);
            // Upstream reports 0 active here, which makes status.active flap during a back-off; the pods still running are reported.
            return (active, null);
        }

        diff = Math.Min(diff, Options.MaxPodCreateDeletePerSync);
        var indexes = new Queue<int>();
        if (IndexedJobs.IsIndexed(job))
        {
            foreach (var index in IndexedJobs.FirstPending(ctx.Active, ctx.SucceededIndexes, diff, job.Spec.Completions ?? 0))
            {
                indexes.Enqueue(index);
            }

            diff = indexes.Count;
        }

        if (diff == 0)
        {
            return (active, null);
        }

        Expectations.ExpectCreations(ctx.Key, diff);
        Log.TooFew(Logger, ctx.Key, wantActive, diff);
        var template = Objects.DeepCopy(job.Spec.Template);
        template.Spec ??= new V1PodSpec();
        if (IndexedJobs.IsIndexed(job))
        {
            IndexedJobs.AddIndexEnv(template.Spec);
        }

        template.Metadata ??= new V1ObjectMeta();
        if (template.Metadata.Finalizers?.Contains(JobPods.TrackingFinalizer) != true)
        {
            template.Metadata.Finalizers = [.. template.Metadata.Finalizers ?? [], JobPods.TrackingFinalizer];
        }

        var controllerRef = Objects.ControllerRef(job, "batch/v1", "Job");
        var (successes, createError) = await SlowStart.RunAsync(diff, 1, async ct =>
        {
            int index;
            lock (indexes)
            {
                index = indexes.Count > 0 ? indexes.Dequeue() : JobPods.UnknownIndex;
            }

            await CreatePodAsync(job, template, controllerRef, index, ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        if (diff - successes > 0)
        {
            // Creates that failed or never ran will never be observed.
            Log.SlowStartSkipped(Logger, ctx.Key, diff - successes);
            Expectations.Lower(ctx.Key, diff - successes, 0);
        }

        return (active + successes, createError);
    }

    /// <summary>Creates one pod from the prepared template; an Indexed pod gets its index annotation, label, hostname and name prefix.</summary>
    private async Task CreatePodAsync(V1Job job, V1PodTemplateSpec template, V1OwnerReference controllerRef, int index, CancellationToken cancellationToken)
    {
        var pod = PodControl.PodFromTemplate(template, job, controllerRef);
        pod.Metadata.NamespaceProperty = job.Metadata.NamespaceProperty;
        if (index != JobPods.UnknownIndex)
        {
            var text = index.ToString(System.Globalization.CultureInfo.InvariantCulture);
            pod.Metadata.Annotations ??= new Dictionary<string, string>();
            pod.Metadata.Annotations[JobPods.CompletionIndexAnnotation] = text;
            pod.Metadata.Labels ??= new Dictionary<string, string>();
            pod.Metadata.Labels[JobPods.CompletionIndexAnnotation] = text;
            pod.Spec.Hostname = job.Metadata.Name + "-" + text;
            pod.Metadata.GenerateName = IndexedJobs.GenerateName(job.Metadata.Name, index);
        }

        V1Pod created;
        try
        {
            created = await _client.CreatePodAsync(job.Metadata.NamespaceProperty, pod, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (ApiErrors.HasStatusCause(e, ApiErrors.NamespaceTerminatingCause))
        {
            // Every create in a terminating namespace fails; nothing to retry or report.
            return;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _recorder.Event(job, EventTypes.Warning, PodControl.FailedCreateReason, "Error creating: " + ApiErrors.Message(e));
            throw;
        }

        _recorder.Event(job, EventTypes.Normal, PodControl.SuccessfulCreateReason, "Created pod: " + created.Metadata.Name);
    }

    /// <summary>
    /// Upstream's <c>activePodsForRemoval</c>: for an Indexed Job, pods without a valid index and duplicates of an index first;
    /// then, up to <paramref name="atLeast"/>, the active pods in deletion order (unscheduled, pending, not ready first).
    /// </summary>
    private static List<V1Pod> ActivePodsForRemoval(V1Job job, List<V1Pod> pods, int atLeast, DateTimeOffset now)
    {
        List<V1Pod> remove;
        List<V1Pod> left;
        if (IndexedJobs.IsIndexed(job))
        {
            (remove, left) = IndexedJobs.DuplicatedIndexPods(pods, job.Spec.Completions ?? 0, now);
        }
        else
        {
            (remove, left) = ([], [.. pods]);
        }

        if (remove.Count < atLeast)
        {
            PodDeletionOrder.Sort(left, new int[left.Count], now);
            remove.AddRange(left.Take(atLeast - remove.Count));
        }

        return remove;
    }

    /// <summary>
    /// Upstream's <c>deleteJobPods</c> (suspend, too many pods): each pod loses its tracking finalizer, then is deleted, so
    /// that no pod of a running Job lingers as an uncountable orphan. Returns the ready and total pods deleted and the first failure.
    /// </summary>
    private async Task<(int Ready, int Deleted, Exception? Error)> DeleteJobPodsAsync(SyncContext ctx, List<V1Pod> pods, CancellationToken cancellationToken)
    {
        if (pods.Count == 0)
        {
            return (0, 0, null);
        }

        Expectations.ExpectDeletions(ctx.Key, pods.Select(Pods.Key));
        var results = await Task.WhenAll(pods.Select(async pod =>
        {
            try
            {
                if (JobPods.RemoveTrackingFinalizerPatch(pod) is { } patch)
                {
                    await _client.PatchPodAsync(pod.Metadata.NamespaceProperty, pod.Metadata.Name, patch, cancellationToken).ConfigureAwait(false);
                }

                await DeletePodAsync(ctx.Job, pod, cancellationToken).ConfigureAwait(false);
                return (true, (Exception?)null);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // The informer will not observe this deletion.
                Expectations.DeletionObserved(ctx.Key, Pods.Key(pod));
                return ApiErrors.IsNotFound(e) ? (true, null) : (false, e);
            }
        })).ConfigureAwait(false);
        return Tally(pods, results);
    }

    /// <summary>
    /// Upstream's <c>deleteActivePods</c> (the Job finished): deletes keeping the finalizers, which the status tracking
    /// then removes once the pods are counted as failed.
    /// </summary>
    private async Task<(int Ready, int Deleted, Exception? Error)> DeleteActivePodsAsync(V1Job job, List<V1Pod> pods, CancellationToken cancellationToken)
    {
        var results = await Task.WhenAll(pods.Select(async pod =>
        {
            try
            {
                await DeletePodAsync(job, pod, cancellationToken).ConfigureAwait(false);
                return (true, (Exception?)null);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                return ApiErrors.IsNotFound(e) ? (true, null) : (false, e);
            }
        })).ConfigureAwait(false);
        return Tally(pods, results);
    }

    private static (int Ready, int Deleted, Exception? Error) Tally(List<V1Pod> pods, (bool Deleted, Exception? Error)[] results)
    {
        var ready = 0;
        var deleted = 0;
        for (var i = 0; i < pods.Count; i++)
        {
            if (results[i].Deleted)
            {
                deleted++;
            }

            // As upstream, a ready pod counts as gone from "ready" even when its delete failed.
            if (Pods.IsReady(pods[i]))
            {
                ready++;
            }
        }

        return (ready, deleted, results.Select(r => r.Error).FirstOrDefault(e => e is not null));
    }

    /// <summary>Upstream's <c>RealPodControl.DeletePod</c>: the SuccessfulDelete / FailedDelete events on the Job.</summary>
    private async Task DeletePodAsync(V1Job job, V1Pod pod, CancellationToken cancellationToken)
    {
        try
        {
            await _client.DeletePodAsync(pod.Metadata.NamespaceProperty, pod.Metadata.Name, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            if (!ApiErrors.IsNotFound(e))
            {
                _recorder.Event(job, EventTypes.Warning, PodControl.FailedDeleteReason, "Error deleting: " + ApiErrors.Message(e));
            }

            throw;
        }

        _recorder.Event(job, EventTypes.Normal, PodControl.SuccessfulDeleteReason, "Deleted pod: " + pod.Metadata.Name);
    }
}
