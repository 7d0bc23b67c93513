using k8s.Models;
using Kubesharp.Client.Events;
using Kubesharp.Controllers.Common;

namespace Kubesharp.Controllers.Job;

/// <summary>
/// Counting finished pods with finalizers (upstream's <c>trackJobStatusAndRemoveFinalizers</c>): a finished pod's UID goes
/// into <c>status.uncountedTerminatedPods</c> (written), then its finalizer is removed, then it moves into the counters
/// (written). A crash between two steps repeats a step; it never loses or double-counts a pod.
/// </summary>
internal sealed partial class JobController
{
    private async Task TrackStatusAndRemoveFinalizersAsync(SyncContext ctx, bool needsFlush, CancellationToken cancellationToken)
    {
        var job = ctx.Job;
        var indexed = IndexedJobs.IsIndexed(job);
        var completions = job.Spec.Completions ?? 0;
        var pods = indexed ? [.. ctx.Pods.OrderBy(JobPods.CompletionIndex)] : ctx.Pods;
        var uncounted = job.Status.UncountedTerminatedPods;
        uncounted.Succeeded ??= [];
        uncounted.Failed ??= [];

        var withFinalizer = new HashSet<string>(
            pods.Where(p => JobPods.HasTrackingFinalizer(p) && !ctx.ExpectedRemovals.Contains(p.Metadata.Uid ?? "")).Select(p => p.Metadata.Uid ?? ""),
            StringComparer.Ordinal);
        needsFlush |= CountUncountedWithoutFinalizers(job.Status, withFinalizer);

        var onlyFailed = OnlyReplaceFailed(job);
        var toRemove = new List<V1Pod>();
        var newSucceededIndexes = new List<int>();
        var reachedMax = false;
        foreach (var pod in pods)
        {
            var uid = pod.Metadata.Uid ?? "";
            if (!JobPods.HasTrackingFinalizer(pod) || ctx.ExpectedRemovals.Contains(uid))
            {
                // Counted in an earlier sync.
                continue;
            }

            var failed = JobPods.IsFailed(pod, onlyFailed);
            if (!(job.Metadata.DeletionTimestamp is not null || ctx.Finished is not null || pod.Status?.Phase == Pods.Succeeded || failed))
            {
                continue;
            }

            toRemove.Add(pod);
            if (pod.Status?.Phase == Pods.Succeeded && !ctx.UncountedFailed.Contains(uid))
            {
                if (indexed)
                {
                    // The index is enough to count a success once; no UID is tracked.
                    var index = JobPods.CompletionIndex(pod);
                    if (index != JobPods.UnknownIndex && index < completions && !ctx.PreviousSucceededIndexes.Has(index))
                    {
                        newSucceededIndexes.Add(index);
                        needsFlush = true;
                    }
                }
                else if (!ctx.UncountedSucceeded.Contains(uid))
                {
                    uncounted.Succeeded.Add(uid);
                    needsFlush = true;
                }
            }
            else if (failed || (ctx.Finished is not null && ctx.Finished.Type != JobConditions.SuccessCriteriaMet))
            {
                // Once the Job failed, every pod not finished counts as failed.
                var index = JobPods.CompletionIndex(pod);
                if (!ctx.UncountedFailed.Contains(uid) && (!indexed || (index != JobPods.UnknownIndex && index < completions)))
                {
                    uncounted.Failed.Add(uid);
                    needsFlush = true;
                }
            }

            if (newSucceededIndexes.Count + uncounted.Succeeded.Count + uncounted.Failed.Count >= Options.MaxUncountedPods)
            {
                // Keeps the status small and lets other Jobs sync; the status write brings this Job back.
                reachedMax = true;
                break;
            }
        }

        if (indexed)
        {
            newSucceededIndexes.Sort();
            ctx.SucceededIndexes = ctx.SucceededIndexes.With(newSucceededIndexes);
            var text = ctx.SucceededIndexes.ToString();
            if (text != (job.Status.CompletedIndexes ?? ""))
            {
                needsFlush = true;
            }

            job.Status.Succeeded = ctx.SucceededIndexes.Total;
            job.Status.CompletedIndexes = text;
        }

        var now = MetaTime.Now(Time);
        if (ctx.Finished is { Type: JobConditions.FailureTarget } target)
        {
            // The interim condition is written before any finalizer goes; Failed follows once the pods are accounted for.
            job.Status.Conditions ??= [];
            job.Status.Conditions.Add(target);
            needsFlush = true;
            ctx.Finished = JobConditions.New(JobConditions.Failed, "True", target.Reason ?? "", target.Message ?? "", now);
        }

        if (ctx.Finished is { Type: JobConditions.SuccessCriteriaMet } met)
        {
            if (SuccessCriteriaMet(job) is null)
            {
                job.Status.Conditions ??= [];
                job.Status.Conditions.Add(met);
                needsFlush = true;
            }

            ctx.Finished = JobConditions.New(JobConditions.Complete, "True", met.Reason ?? "", met.Message ?? "", now);
        }

        needsFlush = await FlushUncountedAndRemoveFinalizersAsync(ctx, toRemove, withFinalizer, needsFlush, cancellationToken).ConfigureAwait(false);
        var finished = !reachedMax && EnactFinished(ctx);
        if (finished || needsFlush)
        {
            ctx.Job = await _client.UpdateJobStatusAsync(ctx.Job, cancellationToken).ConfigureAwait(false);
            if (finished)
            {
                RecordFinished(ctx.Job, ctx.Finished!);
            }
        }
    }

    /// <summary>
    /// Upstream's <c>flushUncountedAndRemoveFinalizers</c>: writes the status (new uncounted UIDs, interim conditions) when
    /// needed and stores the back-off record; removes the finalizers; moves the pods whose finalizer is gone into the
    /// counters; when a removal failed, writes that partial progress and throws. Returns whether a write is still pending.
    /// </summary>
    private async Task<bool> FlushUncountedAndRemoveFinalizersAsync(SyncContext ctx, List<V1Pod> toRemove, HashSet<string> withFinalizer, bool needsFlush, CancellationToken cancellationToken)
    {
        if (needsFlush)
        {
            ctx.Job = await _client.UpdateJobStatusAsync(ctx.Job, cancellationToken).ConfigureAwait(false);
            ctx.Job.Status.UncountedTerminatedPods ??= new V1UncountedTerminatedPods();
            Backoff.Update(ctx.NewBackoff);
            needsFlush = false;
        }

        Exception? removeError = null;
        if (toRemove.Count > 0)
        {
            var removed = await RemoveTrackingFinalizersAsync(ctx.Key, toRemove, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < toRemove.Count; i++)
            {
                if (removed[i].Removed)
                {
                    withFinalizer.Remove(toRemove[i].Metadata.Uid ?? "");
                }

                removeError ??= removed[i].Error;
            }
        }

        if (CountUncountedWithoutFinalizers(ctx.Job.Status, withFinalizer))
        {
            needsFlush = true;
        }

        if (removeError is not null)
        {
            if (needsFlush)
            {
                ctx.Job = await _client.UpdateJobStatusAsync(ctx.Job, cancellationToken).ConfigureAwait(false);
            }

            throw removeError;
        }

        return needsFlush;
    }

    /// <summary>
    /// Upstream's <c>removeTrackingFinalizerFromPods</c>: patches every pod at once; a pod already gone counts as done.
    /// The removals are expected before the patches go out, so that a sync in between does not count the pods again.
    /// </summary>
    private async Task<(bool Removed, Exception? Error)[]> RemoveTrackingFinalizersAsync(string key, List<V1Pod> pods, CancellationToken cancellationToken)
    {
        FinalizerExpectations.ExpectRemoved(key, pods.Select(p => p.Metadata.Uid ?? ""));
        return await Task.WhenAll(pods.Select(async pod =>
        {
            if (JobPods.RemoveTrackingFinalizerPatch(pod) is not { } patch)
            {
                return (false, (Exception?)null);
            }

            try
            {
                await _client.PatchPodAsync(pod.Metadata.NamespaceProperty, pod.Metadata.Name, patch, cancellationToken).ConfigureAwait(false);
                return (true, null);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // No update will show the finalizer removed.
                FinalizerExpectations.RemovalObserved(key, pod.Metadata.Uid ?? "");
                return ApiErrors.IsNotFound(e) ? (true, null) : (false, e);
            }
        })).ConfigureAwait(false);
    }

    /// <summary>
    /// Upstream's <c>cleanUncountedPodsWithoutFinalizers</c>: UIDs in the uncounted lists whose pod no longer has the
    /// finalizer move into <c>succeeded</c> / <c>failed</c>. Returns whether the status changed.
    /// </summary>
    private static bool CountUncountedWithoutFinalizers(V1JobStatus status, HashSet<string> withFinalizer)
    {
        var uncounted = status.UncountedTerminatedPods ??= new V1UncountedTerminatedPods();
        var updated = false;
        var succeeded = (uncounted.Succeeded ?? []).Where(withFinalizer.Contains).ToList();
        if (succeeded.Count != (uncounted.Succeeded?.Count ?? 0))
        {
            status.Succeeded = (status.Succeeded ?? 0) + (uncounted.Succeeded!.Count - succeeded.Count);
            updated = true;
        }

        var failed = (uncounted.Failed ?? []).Where(withFinalizer.Contains).ToList();
        if (failed.Count != (uncounted.Failed?.Count ?? 0))
        {
            status.Failed = (status.Failed ?? 0) + (uncounted.Failed!.Count - failed.Count);
            updated = true;
        }

        uncounted.Succeeded = succeeded;
        uncounted.Failed = failed;
        return updated;
    }

    /// <summary>
    /// Upstream's <c>enactJobFinished</c>: the terminal condition (and completionTime) once every finished pod is counted and
    /// no pod is left terminating. Returns whether the Job finished in this sync.
    /// </summary>
    private bool EnactFinished(SyncContext ctx)
    {
        if (ctx.Finished is not { } finished)
        {
            return false;
        }

        var status = ctx.Job.Status;
        if ((status.UncountedTerminatedPods?.Succeeded?.Count ?? 0) + (status.UncountedTerminatedPods?.Failed?.Count ?? 0) > 0 || ctx.Terminating > 0)
        {
            return false;
        }

        var now = MetaTime.Now(Time);
        JobConditions.Ensure(status, finished.Type, finished.Status, finished.Reason ?? "", finished.Message ?? "", now);
        if (finished.Type == JobConditions.Complete)
        {
            status.CompletionTime = JobConditions.Find(status.Conditions, JobConditions.Complete)?.LastTransitionTime ?? now;
        }

        return true;
    }

    /// <summary>Upstream's <c>recordJobFinished</c>: Completed (and TooManySucceededPods), or the failure reason as a warning.</summary>
    private void RecordFinished(V1Job job, V1JobCondition finished)
    {
        if (finished.Type == JobConditions.Complete)
        {
            if (job.Spec.Completions is { } completions && (job.Status.Succeeded ?? 0) > completions)
            {
                _recorder.Event(job, EventTypes.Warning, TooManySucceededPodsReason, "Too many succeeded pods running after completion count reached");
            }

            _recorder.Event(job, EventTypes.Normal, CompletedReason, "Job completed");
            return;
        }

        _recorder.Event(job, EventTypes.Warning, finished.Reason ?? "", finished.Message ?? "");
    }
}
