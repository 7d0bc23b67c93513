using System.Runtime.ExceptionServices;
using k8s.Models;
using Kubesharp.Client.Events;
using Kubesharp.Controllers.Common;

namespace Kubesharp.Controllers.Job;

/// <summary>One sync of a Job (upstream's <c>syncJob</c>): count, decide, act, then track the status.</summary>
internal sealed partial class JobController
{
    internal const string TooManySucceededPodsReason = "TooManySucceededPods";
    internal const string CompletedReason = "Completed";
    internal const string CompletionsReachedReason = "CompletionsReached";

    /// <summary>Syncs the Job under <paramref name="key"/>; throws (after writing what it could) when an API call failed.</summary>
    internal async Task SyncJobAsync(string key, CancellationToken cancellationToken)
    {
        var shared = _jobs.Get(key);
        if (shared is null)
        {
            Expectations.Delete(key);
            FinalizerExpectations.Delete(key);
            Backoff.Remove(key);
            return;
        }

        if (ManagedByOther(shared))
        {
            return;
        }

        if (JobConditions.IsFinished(shared))
        {
            // Finished Jobs are not redone; their pods' finalizers are the orphan queue's.
            Backoff.Remove(key);
            return;
        }

        if (shared.Spec?.CompletionMode is { } mode && mode is not ("NonIndexed" or "Indexed"))
        {
            _recorder.Event(shared, EventTypes.Warning, "UnknownCompletionMode", "Skipped Job sync because completion mode is unknown");
            return;
        }

        if (SelectorOf(shared) is not { } selector)
        {
            return;
        }

        var job = Objects.DeepCopy(shared);
        job.Status ??= new V1JobStatus();
        job.Status.UncountedTerminatedPods ??= new V1UncountedTerminatedPods();

        // Expectations are read before the pods, so that a pod arriving in between only defers the sync.
        var satisfied = Expectations.Satisfied(key);
        var pods = await GetPodsForJobAsync(job, selector, cancellationToken).ConfigureAwait(false);
        var ctx = new SyncContext(job, key, pods, Pods.FilterActive(pods), FinalizerExpectations.Expected(key));
        ctx.Terminating = pods.Count(JobPods.IsTerminating);
        var active = ctx.Active.Count;
        var (newSucceeded, newFailed) = NewFinishedPods(ctx);
        ctx.Succeeded = (job.Status.Succeeded ?? 0) + newSucceeded.Count + ctx.UncountedSucceeded.Count;
        ctx.Failed = (job.Status.Failed ?? 0) + newFailed.Count + ctx.UncountedFailed.Count;

        var now = Time.GetUtcNow();
        if (job.Status.StartTime is null && !Suspended(job))
        {
            job.Status.StartTime = MetaTime.Now(Time);
        }

        ctx.NewBackoff = Backoff.Next(key, newSucceeded, newFailed);

        ctx.Finished = SuccessCriteriaMet(job);
        if (ctx.Finished is null && JobConditions.Find(job.Status.Conditions, JobConditions.FailureTarget) is { Status: "True" } failureTarget)
        {
            ctx.Finished = JobConditions.New(JobConditions.Failed, "True", failureTarget.Reason ?? "", failureTarget.Message ?? "", MetaTime.Now(Time));
        }

        if (ctx.Finished is null)
        {
            if (ctx.Failed > (job.Spec.BackoffLimit ?? 6) || PastBackoffLimitOnFailure(job, pods))
            {
                ctx.Finished = FailureCondition(JobConditions.BackoffLimitExceeded, "Job has reached the specified backoff limit");
            }
            else if (PastActiveDeadline(job, now))
            {
                ctx.Finished = FailureCondition(JobConditions.DeadlineExceeded, "Job was active longer than specified deadline");
            }
            else if (job.Spec.ActiveDeadlineSeconds is { } deadline && !Suspended(job) && job.Status.StartTime is { } started)
            {
                Queue.AddAfter(key, TimeSpan.FromSeconds(deadline) - (now - MetaTime.Utc(started)));
            }
        }

        if (IndexedJobs.IsIndexed(job))
        {
            (ctx.PreviousSucceededIndexes, ctx.SucceededIndexes) = IndexedJobs.SucceededIndexes(job, pods);
            ctx.Succeeded = ctx.SucceededIndexes.Total;
        }

        Exception? manageError = null;
        var suspendChanged = false;
        if (ctx.Finished is not null)
        {
            var (deletedReady, deleted, error) = await DeleteActivePodsAsync(job, ctx.Active, cancellationToken).ConfigureAwait(false);
            if (deleted != active || !satisfied)
            {
                // Pods may still be in flight or keep finalizers: the Job is not finished before they are accounted for.
                ctx.Finished = null;
            }

            active -= deleted;
            ctx.Terminating += deleted;
            ctx.Ready -= deletedReady;
            manageError = error;
        }
        else
        {
            var manageCalled = false;
            if (satisfied && job.Metadata.DeletionTimestamp is null)
            {
                (active, manageError) = await ManageJobAsync(ctx, cancellationToken).ConfigureAwait(false);
                manageCalled = true;
            }

            var complete = job.Spec.Completions is { } completions
                ? ctx.Succeeded >= completions && active == 0
                // A work queue: done once one pod succeeded and the others have finished.
                : ctx.Succeeded > 0 && active == 0;
            if (complete)
            {
                ctx.Finished = JobConditions.New(JobConditions.SuccessCriteriaMet, "True", CompletionsReachedReason, "Reached expected number of succeeded pods", MetaTime.Now(Time));
            }
            else if (manageCalled)
            {
                suspendChanged = UpdateSuspendCondition(job);
            }
        }

        var needsUpdate = suspendChanged || active != (job.Status.Active ?? 0) || ctx.Ready != job.Status.Ready || ctx.Terminating != job.Status.Terminating;
        job.Status.Active = active;
        job.Status.Ready = ctx.Ready;
        job.Status.Terminating = ctx.Terminating;
        await TrackStatusAndRemoveFinalizersAsync(ctx, needsUpdate, cancellationToken).ConfigureAwait(false);
        if (manageError is not null)
        {
            ExceptionDispatchInfo.Throw(manageError);
        }
    }

    /// <summary>Suspended / Resumed condition and events; resuming restarts the clock of activeDeadlineSeconds.</summary>
    private bool UpdateSuspendCondition(V1Job job)
    {
        var now = MetaTime.Now(Time);
        if (Suspended(job))
        {
            if (JobConditions.Ensure(job.Status, JobConditions.Suspended, "True", "JobSuspended", "Job suspended", now))
            {
                _recorder.Event(job, EventTypes.Normal, "Suspended", "Job suspended");
                return true;
            }

            return false;
        }

        if (JobConditions.Ensure(job.Status, JobConditions.Suspended, "False", "JobResumed", "Job resumed", now))
        {
            _recorder.Event(job, EventTypes.Normal, "Resumed", "Job resumed");
            job.Status.StartTime = now;
            return true;
        }

        return false;
    }

    /// <summary>The interim failure condition: v1.32 (JobManagedBy and JobPodReplacementPolicy on) writes FailureTarget first, Failed once no pod is left terminating.</summary>
    private V1JobCondition FailureCondition(string reason, string message) =>
        JobConditions.New(JobConditions.FailureTarget, "True", reason, message, MetaTime.Now(Time));

    private static V1JobCondition? SuccessCriteriaMet(V1Job job) =>
        JobConditions.Find(job.Status?.Conditions, JobConditions.SuccessCriteriaMet) is { Status: "True" } met ? met : null;

    /// <summary>Upstream's <c>pastActiveDeadline</c>: never while suspended.</summary>
    private static bool PastActiveDeadline(V1Job job, DateTimeOffset now) =>
        job.Spec.ActiveDeadlineSeconds is { } deadline && job.Status.StartTime is { } started && !Suspended(job)
        && now - MetaTime.Utc(started) >= TimeSpan.FromSeconds(deadline);

    /// <summary>Upstream's <c>pastBackoffLimitOnFailure</c>: with restartPolicy OnFailure, container restarts of running and pending pods count as failures.</summary>
    private static bool PastBackoffLimitOnFailure(V1Job job, IEnumerable<V1Pod> pods)
    {
        if (job.Spec.Template?.Spec?.RestartPolicy != "OnFailure")
        {
            return false;
        }

        var restarts = 0;
        foreach (var pod in pods.Where(p => p.Status?.Phase is Pods.Running or Pods.Pending))
        {
            restarts += (pod.Status.InitContainerStatuses ?? []).Sum(s => s.RestartCount) + (pod.Status.ContainerStatuses ?? []).Sum(s => s.RestartCount);
        }

        var limit = job.Spec.BackoffLimit ?? 6;
        return limit == 0 ? restarts > 0 : restarts >= limit;
    }

    /// <summary>
    /// Upstream's <c>getNewFinishedPods</c>: pods that finished and are not counted yet: they carry the finalizer, are not in
    /// the uncounted lists, are not expected to lose their finalizer, and (Indexed) have a valid index.
    /// </summary>
    private static (List<V1Pod> Succeeded, List<V1Pod> Failed) NewFinishedPods(SyncContext ctx)
    {
        var onlyFailed = OnlyReplaceFailed(ctx.Job);
        var succeeded = new List<V1Pod>();
        var failed = new List<V1Pod>();
        foreach (var pod in ctx.Pods)
        {
            var uid = pod.Metadata.Uid ?? "";
            if (!JobPods.HasTrackingFinalizer(pod) || ctx.ExpectedRemovals.Contains(uid) || !ValidIndex(ctx.Job, pod))
            {
                continue;
            }

            if (pod.Status?.Phase == Pods.Succeeded && !ctx.UncountedSucceeded.Contains(uid))
            {
                succeeded.Add(pod);
            }
            else if (JobPods.IsFailed(pod, onlyFailed) && !ctx.UncountedFailed.Contains(uid))
            {
                failed.Add(pod);
            }
        }

        return (succeeded, failed);
    }

    private static bool ValidIndex(V1Job job, V1Pod pod)
    {
        if (!IndexedJobs.IsIndexed(job))
        {
            return true;
        }

        var index = JobPods.CompletionIndex(pod);
        return index != JobPods.UnknownIndex && index < (job.Spec.Completions ?? 0);
    }

    /// <summary>What one sync knows and decides (upstream's <c>syncJobCtx</c>).</summary>
    private sealed class SyncContext(V1Job job, string key, List<V1Pod> pods, List<V1Pod> active, IReadOnlySet<string> expectedRemovals)
    {
        public V1Job Job { get; set; } = job;

        public string Key { get; } = key;

        public List<V1Pod> Pods { get; } = pods;

        public List<V1Pod> Active { get; } = active;

        public IReadOnlySet<string> ExpectedRemovals { get; } = expectedRemovals;

        public HashSet<string> UncountedSucceeded { get; } = new(job.Status.UncountedTerminatedPods.Succeeded ?? [], StringComparer.Ordinal);

        public HashSet<string> UncountedFailed { get; } = new(job.Status.UncountedTerminatedPods.Failed ?? [], StringComparer.Ordinal);

        public int Ready { get; set; } = active.Count(Common.Pods.IsReady);

        public int Terminating { get; set; }

        public int Succeeded { get; set; }

        public int Failed { get; set; }

        public V1JobCondition? Finished { get; set; }

        public PodBackoffRecord NewBackoff { get; set; } = new(key, 0, null);

        public OrderedIntervals PreviousSucceededIndexes { get; set; } = OrderedIntervals.Empty;

        public OrderedIntervals SucceededIndexes { get; set; } = OrderedIntervals.Empty;
    }
}
