using System.Globalization;
using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Client.Controllers;
using Kubesharp.Client.Events;
using Kubesharp.Controllers.Common;
using Kubesharp.Controllers.Job;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Controllers.CronJob;

/// <summary>
/// Upstream's CronJob controller (v1.32, <c>cronjob_controllerv2.go</c>): creates a Job for each scheduled time of a
/// CronJob, named <c>&lt;cronjob&gt;-&lt;minutes since the epoch&gt;</c> so that a time is never run twice, and keeps
/// <c>status.active</c>, <c>lastScheduleTime</c> and <c>lastSuccessfulTime</c>.
/// <list type="bullet">
/// <item>Each sync runs the most recent unmet scheduled time only (more than 100 missed: a TooManyMissedTimes warning),
/// unless it is later than startingDeadlineSeconds (MissSchedule); then requeues itself for the next scheduled time
/// (+100 ms), read from the injected clock.</item>
/// <item>concurrencyPolicy Forbid skips a time while a Job is active (JobAlreadyActive); Replace deletes the active Jobs
/// first; Allow runs them side by side. A suspended CronJob creates nothing.</item>
/// <item>Finished Jobs beyond successfulJobsHistoryLimit / failedJobsHistoryLimit are deleted, oldest start first.</item>
/// </list>
/// Failures are thrown from the sync so that the work queue retries with back-off; spec errors are events, not retries.
/// </summary>
internal sealed partial class CronJobController : QueueController
{
    public const string ControllerName = "cronjob-controller";

    /// <summary>Upstream's <c>batch.CronJobScheduledTimestampAnnotation</c>.</summary>
    public const string ScheduledTimestampAnnotation = "batch.kubernetes.io/cronjob-scheduled-timestamp";

    private readonly IBatchClient _client;
    private readonly IIndexReader<V1CronJob> _cronJobs;
    private readonly IIndexReader<V1Job> _jobs;
    private readonly IEventRecorder _recorder;
    private readonly TimeZoneInfo _defaultZone;
    private readonly IReadOnlyList<ISharedInformer> _informers;

    internal CronJobController(
        IBatchClient client,
        IIndexReader<V1CronJob> cronJobs,
        IIndexReader<V1Job> jobs,
        IEventRecorder recorder,
        TimeProvider time,
        ILogger logger,
        TimeZoneInfo? defaultZone = null,
        IReadOnlyList<ISharedInformer>? informers = null)
        : base(ControllerName, time, logger)
    {
        _client = client;
        _cronJobs = cronJobs;
        _jobs = jobs;
        _recorder = recorder;
        _defaultZone = defaultZone ?? TimeZoneInfo.Local;
        _informers = informers ?? [];
    }

    /// <summary>
    /// Builds the controller on the manager's shared CronJob and Job informers. <paramref name="defaultZone"/> is the zone of
    /// schedules without one (upstream: the controller manager's local zone).
    /// </summary>
    public static CronJobController Create(ControllerContext context, TimeZoneInfo? defaultZone = null)
    {
        var cronJobInformer = context.Informers.GetInformer<V1CronJob>();
        var jobInformer = context.Informers.GetInformer<V1Job>();
        WorkloadIndexes.Ensure(jobInformer);
        var controller = new CronJobController(
            new KubernetesBatchClient(context.Client),
            cronJobInformer.Indexer,
            jobInformer.Indexer,
            context.Recorder(ControllerName),
            context.Time,
            context.Loggers.CreateLogger(ControllerName),
            defaultZone,
            [cronJobInformer, jobInformer]);
        cronJobInformer.AddEventHandler(new ResourceEventHandlerFuncs<V1CronJob>
        {
            AddFunc = controller.Enqueue,
            UpdateFunc = controller.OnCronJobUpdated,
            DeleteFunc = (cj, _) => controller.Enqueue(cj),
        });
        jobInformer.AddEventHandler(new ResourceEventHandlerFuncs<V1Job>
        {
            AddFunc = controller.OnJobAdded,
            UpdateFunc = controller.OnJobUpdated,
            DeleteFunc = (job, _) => controller.OnJobDeleted(job),
        });
        return controller;
    }

    protected override IEnumerable<ISharedInformer> Informers => _informers;

    protected override Task<ReconcileResult> ReconcileAsync(string key, CancellationToken cancellationToken) => SyncAsync(key, cancellationToken);

    /// <summary>Upstream's <c>sync</c>: history cleanup, then the schedule, then one status write for both.</summary>
    internal async Task<ReconcileResult> SyncAsync(string key, CancellationToken cancellationToken)
    {
        var cached = _cronJobs.Get(key);
        if (cached is null)
        {
            return ReconcileResult.Done;
        }

        var jobs = JobsOf(cached);
        var cronJob = Objects.DeepCopy(cached);
        cronJob.Status ??= new V1CronJobStatus();
        var updateAfterCleanup = await CleanupFinishedJobsAsync(cronJob, jobs, cancellationToken).ConfigureAwait(false);

        var outcome = await SyncCronJobAsync(cronJob, jobs, cancellationToken).ConfigureAwait(false);
        cronJob = outcome.CronJob;
        var (requeue, updateAfterSync, syncError) = (outcome.Requeue, outcome.UpdateStatus, outcome.Error);

        if (updateAfterCleanup || updateAfterSync)
        {
            await _client.UpdateCronJobStatusAsync(cronJob, cancellationToken).ConfigureAwait(false);
        }

        if (requeue is { } delay)
        {
            return ReconcileResult.RequeueAfter(delay < TimeSpan.Zero ? TimeSpan.Zero : delay);
        }

        if (syncError is not null)
        {
            throw syncError;
        }

        return ReconcileResult.Done;
    }

    /// <summary>
    /// The Jobs whose controller reference names this CronJob (upstream's <c>getJobsToBeReconciled</c> matches on the name
    /// alone, so that Jobs of an earlier CronJob of the same name are reconciled too).
    /// </summary>
    private List<V1Job> JobsOf(V1CronJob cronJob) =>
        [.. _jobs.ByIndex(Indexers.Namespace, cronJob.Metadata.NamespaceProperty ?? "")
            .Where(j => Objects.ControllerOf(j) is { Kind: "CronJob" } r && r.Name == cronJob.Metadata.Name)];

    /// <summary>Upstream's <c>getJobFromTemplate2</c>: the template's labels, annotations and spec, the scheduled time annotation, a deterministic name.</summary>
    internal static V1Job JobFromTemplate(V1CronJob cronJob, DateTimeOffset scheduledTime)
    {
        var template = Objects.DeepCopy(cronJob.Spec.JobTemplate) ?? new V1JobTemplateSpec();
        var annotations = new Dictionary<string, string>(template.Metadata?.Annotations ?? new Dictionary<string, string>());
        var zone = CronSchedule.LoadZone(cronJob.Spec.TimeZone) ?? TimeZoneInfo.Utc;
        annotations[ScheduledTimestampAnnotation] = Rfc3339(TimeZoneInfo.ConvertTime(scheduledTime, zone));
        return new V1Job
        {
            ApiVersion = "batch/v1",
            Kind = "Job",
            Metadata = new V1ObjectMeta
            {
                Name = JobName(cronJob, scheduledTime),
                NamespaceProperty = cronJob.Metadata.NamespaceProperty,
                Labels = new Dictionary<string, string>(template.Metadata?.Labels ?? new Dictionary<string, string>()),
                Annotations = annotations,
                OwnerReferences = [Objects.ControllerRef(cronJob, "batch/v1", "CronJob")],
            },
            Spec = template.Spec ?? new V1JobSpec(),
        };
    }

    /// <summary>Upstream's <c>getJobName</c>: the CronJob's name and the scheduled time in minutes since the epoch.</summary>
    internal static string JobName(V1CronJob cronJob, DateTimeOffset scheduledTime) =>
        cronJob.Metadata.Name + "-" + (scheduledTime.ToUnixTimeSeconds() / 60).ToString(CultureInfo.InvariantCulture);

    /// <summary>Go's <c>time.RFC3339</c>: whole seconds, <c>Z</c> for UTC, else the offset.</summary>
    private static string Rfc3339(DateTimeOffset t) =>
        t.Offset == TimeSpan.Zero
            ? t.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)
            : t.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

    /// <summary>
    /// What one pass over the schedule did: the CronJob as changed (status), when to come back (null: only on a change),
    /// whether the status must be written, and the failure to retry with back-off (after the status is written).
    /// </summary>
    private sealed record SyncOutcome(V1CronJob CronJob, TimeSpan? Requeue, bool UpdateStatus, Exception? Error = null);
}
