using k8s.Models;
using Kubesharp.Client.Events;
using Kubesharp.Controllers.Common;
using Kubesharp.Controllers.Job;

namespace Kubesharp.Controllers.CronJob;

/// <summary>Upstream's <c>syncCronJob</c> and the history cleanup.</summary>
internal sealed partial class CronJobController
{
    /// <summary>
    /// Reconciles <c>status.active</c> with the Jobs, then runs the most recent unmet scheduled time if the policies allow.
    /// The CronJob is a private copy; its status changes are written by the caller.
    /// </summary>
    private async Task<SyncOutcome> SyncCronJobAsync(V1CronJob cronJob, List<V1Job> jobs, CancellationToken cancellationToken)
    {
        var now = Time.GetUtcNow();
        var updateStatus = false;
        var children = new HashSet<string>(StringComparer.Ordinal);
        foreach (var job in jobs)
        {
            children.Add(job.Metadata.Uid ?? "");
            var found = InActiveList(cronJob, job.Metadata.Uid);
            var finished = JobConditions.Finished(job);
            if (!found && finished is null)
            {
                V1CronJob fresh;
                try
                {
                    fresh = await _client.GetCronJobAsync(cronJob.Metadata.NamespaceProperty, cronJob.Metadata.Name, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    return new SyncOutcome(cronJob, null, updateStatus, e);
                }

                if (InActiveList(fresh, job.Metadata.Uid))
                {
                    // Our cache of the CronJob was behind its own status write.
                    cronJob = fresh;
                    continue;
                }

                // Created by us just before a crash, or by someone who wanted it adopted.
                _recorder.Event(cronJob, EventTypes.Warning, "UnexpectedJob", "Saw a job that the controller did not create or forgot: " + job.Metadata.Name);
            }
            else if (finished is not null)
            {
                if (found)
                {
                    DeleteFromActiveList(cronJob, job.Metadata.Uid);
                    _recorder.Event(cronJob, EventTypes.Normal, "SawCompletedJob", $"Saw completed job: {job.Metadata.Name}, condition: {finished.Type}");
                    updateStatus = true;
                }

                if (finished.Type == JobConditions.Complete && job.Status?.CompletionTime is { } completed
                    && (cronJob.Status.LastSuccessfulTime is not { } lastSuccess || MetaTime.Utc(completed) > MetaTime.Utc(lastSuccess)))
                {
                    cronJob.Status.LastSuccessfulTime = completed;
                    updateStatus = true;
                }
            }
        }

        // An active reference whose Job is gone would keep the CronJob "active" for ever.
        foreach (var reference in (cronJob.Status.Active ?? []).ToList())
        {
            if (children.Contains(reference.Uid ?? ""))
            {
                continue;
            }

            try
            {
                // Read from the API: the Job cache may just be slow.
                await _client.GetJobAsync(reference.NamespaceProperty ?? cronJob.Metadata.NamespaceProperty, reference.Name, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (ApiErrors.IsNotFound(e))
            {
                _recorder.Event(cronJob, EventTypes.Normal, "MissingJob", "Active job went missing: " + reference.Name);
                DeleteFromActiveList(cronJob, reference.Uid);
                updateStatus = true;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return new SyncOutcome(cronJob, null, updateStatus, e);
            }
        }

        if (cronJob.Metadata.DeletionTimestamp is not null)
        {
            return new SyncOutcome(cronJob, null, updateStatus);
        }

        if (cronJob.Spec.TimeZone is { } timeZone && CronSchedule.LoadZone(timeZone) is null)
        {
            _recorder.Event(cronJob, EventTypes.Warning, "UnknownTimeZone", $"invalid timeZone: \"{timeZone}\": unknown time zone {timeZone}");
            return new SyncOutcome(cronJob, null, updateStatus);
        }

        if (cronJob.Spec.Suspend == true)
        {
            return new SyncOutcome(cronJob, null, updateStatus);
        }

        if (ParseSchedule(cronJob, _recorder) is not { } schedule)
        {
            return new SyncOutcome(cronJob, null, updateStatus);
        }

        var (_, mostRecent, missed, scheduleError) = ScheduleMath.MostRecent(cronJob, now, schedule, includeStartingDeadline: true);
        if (scheduleError is not null)
        {
            _recorder.Event(cronJob, EventTypes.Warning, "InvalidSchedule", $"invalid schedule: {cronJob.Spec.Schedule} : {scheduleError}");
            return new SyncOutcome(cronJob, null, updateStatus);
        }

        if (mostRecent is not { } scheduledTime || scheduledTime > now)
        {
            // Only after a restart: otherwise the queue brings the CronJob back at a scheduled time.
            return new SyncOutcome(cronJob, ScheduleMath.NextScheduleDuration(cronJob, now, schedule), updateStatus);
        }

        if (missed == MissedSchedules.Many)
        {
            _recorder.Event(cronJob, EventTypes.Warning, "TooManyMissedTimes", "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew");
        }

        if (cronJob.Spec.StartingDeadlineSeconds is { } deadline && scheduledTime + TimeSpan.FromSeconds(deadline) < now)
        {
            _recorder.Event(cronJob, EventTypes.Warning, "MissSchedule", "Missed scheduled time to start a job: " + scheduledTime.ToUniversalTime().ToString("ddd, dd MMM yyyy HH:mm:ss +0000", System.Globalization.CultureInfo.InvariantCulture));
            return new SyncOutcome(cronJob, ScheduleMath.NextScheduleDuration(cronJob, now, schedule), updateStatus);
        }

        var jobName = JobName(cronJob, scheduledTime);
        if ((cronJob.Status.Active ?? []).Any(r => r.Name == jobName && (r.NamespaceProperty ?? cronJob.Metadata.NamespaceProperty) == cronJob.Metadata.NamespaceProperty)
            || (cronJob.Status.LastScheduleTime is { } lastScheduled && MetaTime.Utc(lastScheduled) == scheduledTime))
        {
            // This time was run already.
            return new SyncOutcome(cronJob, ScheduleMath.NextScheduleDuration(cronJob, now, schedule), updateStatus);
        }

        if (cronJob.Spec.ConcurrencyPolicy == "Forbid" && cronJob.Status.Active is { Count: > 0 })
        {
            // A Job the controller has not seen yet can still slip through; runs far enough apart make that unlikely.
            _recorder.Event(cronJob, EventTypes.Normal, "JobAlreadyActive", "Not starting job because prior execution is running and concurrency policy is Forbid");
            return new SyncOutcome(cronJob, ScheduleMath.NextScheduleDuration(cronJob, now, schedule), updateStatus);
        }

        if (cronJob.Spec.ConcurrencyPolicy == "Replace")
        {
            foreach (var reference in (cronJob.Status.Active ?? []).ToList())
            {
                V1Job running;
                try
                {
                    running = await _client.GetJobAsync(reference.NamespaceProperty ?? cronJob.Metadata.NamespaceProperty, reference.Name, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    _recorder.Event(cronJob, EventTypes.Warning, "FailedGet", "Get job: " + ApiErrors.Message(e));
                    return new SyncOutcome(cronJob, null, updateStatus, e);
                }

                if (!await DeleteJobAsync(cronJob, running, cancellationToken).ConfigureAwait(false))
                {
                    return new SyncOutcome(cronJob, null, updateStatus, new InvalidOperationException($"could not replace job {running.Metadata.NamespaceProperty}/{running.Metadata.Name}"));
                }

                updateStatus = true;
            }
        }

        var request = JobFromTemplate(cronJob, scheduledTime);
        V1Job created;
        var alreadyExisted = false;
        try
        {
            created = await _client.CreateJobAsync(cronJob.Metadata.NamespaceProperty, request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (ApiErrors.HasStatusCause(e, ApiErrors.NamespaceTerminatingCause))
        {
            return new SyncOutcome(cronJob, null, updateStatus, e);
        }
        catch (Exception e) when (ApiErrors.IsAlreadyExists(e))
        {
            // Created earlier by us (and the status write lost), or by someone else.
            alreadyExisted = true;
            try
            {
                created = await _client.GetJobAsync(request.Metadata.NamespaceProperty, request.Metadata.Name, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception getError) when (getError is not OperationCanceledException)
            {
                return new SyncOutcome(cronJob, null, updateStatus, getError);
            }

            if (Objects.ControllerOf(created)?.Uid != cronJob.Metadata.Uid || InActiveList(cronJob, created.Metadata.Uid))
            {
                return new SyncOutcome(cronJob, null, updateStatus);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _recorder.Event(cronJob, EventTypes.Warning, "FailedCreate", "Error creating job: " + ApiErrors.Message(e));
            return new SyncOutcome(cronJob, null, updateStatus, e);
        }

        if (!alreadyExisted)
        {
            _recorder.Event(cronJob, EventTypes.Normal, "SuccessfulCreate", "Created job " + created.Metadata.Name);
        }

        // The name is the lock against running this time twice if the process dies before the status write.
        cronJob.Status.Active ??= [];
        cronJob.Status.Active.Add(new V1ObjectReference
        {
            ApiVersion = "batch/v1",
            Kind = "Job",
            Name = created.Metadata.Name,
            NamespaceProperty = created.Metadata.NamespaceProperty,
            Uid = created.Metadata.Uid,
            ResourceVersion = created.Metadata.ResourceVersion,
        });
        cronJob.Status.LastScheduleTime = scheduledTime.UtcDateTime;
        return new SyncOutcome(cronJob, ScheduleMath.NextScheduleDuration(cronJob, now, schedule), true);
    }

    /// <summary>
    /// Upstream's <c>formatSchedule</c> and parse: a TZ in the schedule itself is used but warned about; otherwise
    /// <c>spec.timeZone</c>, else the default zone. Null (and an UnparseableSchedule warning) when it does not parse.
    /// </summary>
    private CronSchedule? ParseSchedule(V1CronJob cronJob, IEventRecorder? recorder)
    {
        var spec = cronJob.Spec.Schedule ?? "";
        var zone = _defaultZone;
        if (spec.Contains("TZ", StringComparison.Ordinal))
        {
            recorder?.Event(cronJob, EventTypes.Warning, "UnsupportedSchedule", $"CRON_TZ or TZ used in schedule \"{spec}\" is not officially supported, see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details");
        }
        else if (cronJob.Spec.TimeZone is { } timeZone && CronSchedule.LoadZone(timeZone) is { } loaded)
        {
            zone = loaded;
        }

        var schedule = CronSchedule.TryParse(spec, zone, out var error);
        if (schedule is null && recorder is not null)
        {
            recorder.Event(cronJob, EventTypes.Warning, "UnparseableSchedule", $"unparseable schedule: \"{spec}\" : {error}");
        }

        return schedule;
    }

    /// <summary>Upstream's <c>cleanupFinishedJobs</c>: finished Jobs beyond each history limit go, oldest start first. Returns whether the status changed.</summary>
    private async Task<bool> CleanupFinishedJobsAsync(V1CronJob cronJob, List<V1Job> jobs, CancellationToken cancellationToken)
    {
        if (cronJob.Spec.SuccessfulJobsHistoryLimit is null && cronJob.Spec.FailedJobsHistoryLimit is null)
        {
            return false;
        }

        var successful = jobs.Where(j => JobConditions.Finished(j)?.Type == JobConditions.Complete).ToList();
        var failed = jobs.Where(j => JobConditions.Finished(j)?.Type == JobConditions.Failed).ToList();
        var updated = false;
        if (cronJob.Spec.SuccessfulJobsHistoryLimit is { } keepSuccessful)
        {
            updated |= await RemoveOldestAsync(cronJob, successful, keepSuccessful, cancellationToken).ConfigureAwait(false);
        }

        if (cronJob.Spec.FailedJobsHistoryLimit is { } keepFailed)
        {
            updated |= await RemoveOldestAsync(cronJob, failed, keepFailed, cancellationToken).ConfigureAwait(false);
        }

        return updated;
    }

    private async Task<bool> RemoveOldestAsync(V1CronJob cronJob, List<V1Job> jobs, int keep, CancellationToken cancellationToken)
    {
        var excess = jobs.Count - keep;
        if (excess <= 0)
        {
            return false;
        }

        var updated = false;
        foreach (var job in ByStartTime(jobs).Take(excess))
        {
            updated |= await DeleteJobAsync(cronJob, job, cancellationToken).ConfigureAwait(false);
        }

        return updated;
    }

    /// <summary>Upstream's <c>byJobStartTime</c>: by status.startTime (Jobs without one last), then by name.</summary>
    internal static IEnumerable<V1Job> ByStartTime(IEnumerable<V1Job> jobs) =>
        jobs.OrderBy(j => j.Status?.StartTime is null ? 1 : 0)
            .ThenBy(j => j.Status?.StartTime is { } t ? MetaTime.Utc(t) : DateTimeOffset.MaxValue)
            .ThenBy(j => j.Metadata.Name, StringComparer.Ordinal);

    /// <summary>Upstream's <c>deleteJob</c>: deletes the Job (its pods in the background) and its active reference; false when the delete failed.</summary>
    private async Task<bool> DeleteJobAsync(V1CronJob cronJob, V1Job job, CancellationToken cancellationToken)
    {
        try
        {
            await _client.DeleteJobAsync(job.Metadata.NamespaceProperty, job.Metadata.Name, "Background", null, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _recorder.Event(cronJob, EventTypes.Warning, "FailedDelete", "Deleted job: " + ApiErrors.Message(e));
            return false;
        }

        DeleteFromActiveList(cronJob, job.Metadata.Uid);
        _recorder.Event(cronJob, EventTypes.Normal, "SuccessfulDelete", "Deleted job " + job.Metadata.Name);
        return true;
    }

    private static bool InActiveList(V1CronJob cronJob, string? uid) => cronJob.Status?.Active?.Any(r => r.Uid == uid) == true;

    private static void DeleteFromActiveList(V1CronJob cronJob, string? uid) =>
        cronJob.Status.Active = [.. (cronJob.Status.Active ?? []).Where(r => r.Uid != uid)];
}
