using k8s.Models;
using Kubesharp.Api.Selectors;
using Kubesharp.Client.Cache;
using Kubesharp.Client.Controllers;
using Kubesharp.Client.Events;
using Kubesharp.Client.WorkQueue;
using Kubesharp.Controllers.Common;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Controllers.Job;

/// <summary>
/// Upstream's Job controller (v1.32, <c>pkg/controller/job</c>): runs a Job's pods to completion.
/// <list type="bullet">
/// <item>Pods come from <c>spec.template</c> with a controller ownerReference and the <c>batch.kubernetes.io/job-tracking</c>
/// finalizer; at most <c>parallelism</c> run, never more than the completions still missing (none counted for a work-queue
/// Job, <c>completions</c> unset, once one succeeded). Indexed Jobs give each pod an index (annotation, label, hostname).</item>
/// <item>Finished pods are counted through <c>status.uncountedTerminatedPods</c>: their UIDs are written there first, then
/// their finalizer is removed, then they move into <c>succeeded</c> / <c>failed</c>, so that no pod is counted twice or lost
/// across crashes.</item>
/// <item>Failures beyond <c>backoffLimit</c> or a passed <c>activeDeadlineSeconds</c> fail the Job (FailureTarget, then Failed
/// once no pod is left terminating); enough successes complete it (SuccessCriteriaMet, then Complete). Active pods are
/// deleted when it finishes, and all pods when it is suspended.</item>
/// <item>Re-creation after failures waits an exponential back-off; creates and deletes are tracked by
/// <see cref="ControllerExpectations"/> so nothing is created twice.</item>
/// <item>Pods whose Job is gone or finished lose the tracking finalizer (keys prefixed <c>orphan-pod:</c> on the same queue).</item>
/// </list>
/// Left out: <c>podFailurePolicy</c> rules, <c>successPolicy</c>, <c>backoffLimitPerIndex</c> (the fields are kept but not acted on).
/// Failures are thrown from the sync so that the queue retries with back-off (1 s doubling to 1 min, as upstream's job queue).
/// </summary>
internal sealed partial class JobController : QueueController
{
    public const string ControllerName = "job-controller";

    /// <summary>Upstream's <c>batch.JobControllerName</c>: the <c>spec.managedBy</c> value (or none) this controller acts on.</summary>
    public const string ManagedByValue = "kubernetes.io/job-controller";

    internal const string OrphanPodPrefix = "orphan-pod:";

    private readonly IBatchClient _client;
    private readonly IIndexReader<V1Job> _jobs;
    private readonly IIndexReader<V1Pod> _pods;
    private readonly IEventRecorder _recorder;
    private readonly IReadOnlyList<ISharedInformer> _informers;
    private readonly SelectorCache<V1Job> _selectors;

    internal JobController(
        IBatchClient client,
        IIndexReader<V1Job> jobs,
        IIndexReader<V1Pod> pods,
        IEventRecorder recorder,
        TimeProvider time,
        ILogger logger,
        JobControllerOptions? options = null,
        IReadOnlyList<ISharedInformer>? informers = null)
        : base(ControllerName, time, logger, new ItemExponentialFailureRateLimiter<string>((options ?? new()).ApiBackOff, (options ?? new()).MaxApiBackOff))
    {
        _client = client;
        _jobs = jobs;
        _pods = pods;
        _recorder = recorder;
        Options = options ?? new JobControllerOptions();
        _informers = informers ?? [];
        _selectors = new SelectorCache<V1Job>(j => Objects.Selector(j.Spec?.Selector), (j, error) => Log.InvalidSelector(Logger, j.Metadata.NamespaceProperty, j.Metadata.Name, error));
        Expectations = new ControllerExpectations(time);
    }

    /// <summary>Builds the controller on the manager's shared Job and pod informers and registers its handlers.</summary>
    public static JobController Create(ControllerContext context, JobControllerOptions? options = null)
    {
        var jobInformer = context.Informers.GetInformer<V1Job>();
        var podInformer = context.Informers.GetInformer<V1Pod>();
        WorkloadIndexes.Ensure(jobInformer);
        WorkloadIndexes.Ensure(podInformer);
        var controller = new JobController(
            new KubernetesBatchClient(context.Client),
            jobInformer.Indexer,
            podInformer.Indexer,
            context.Recorder(ControllerName),
            context.Time,
            context.Loggers.CreateLogger(ControllerName),
            options,
            [jobInformer, podInformer]);
        jobInformer.AddEventHandler(new ResourceEventHandlerFuncs<V1Job>
        {
            AddFunc = controller.OnJobAdded,
            UpdateFunc = controller.OnJobUpdated,
            DeleteFunc = (job, _) => controller.OnJobDeleted(job),
        });
        podInformer.AddEventHandler(new ResourceEventHandlerFuncs<V1Pod>
        {
            AddFunc = controller.OnPodAdded,
            UpdateFunc = controller.OnPodUpdated,
            DeleteFunc = (pod, _) => controller.OnPodDeleted(pod, final: true),
        });
        return controller;
    }

    internal JobControllerOptions Options { get; }

    internal ControllerExpectations Expectations { get; }

    internal FinalizerExpectations FinalizerExpectations { get; } = new();

    internal PodBackoffStore Backoff { get; } = new();

    protected override IEnumerable<ISharedInformer> Informers => _informers;

    protected override async Task<ReconcileResult> ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        if (key.StartsWith(OrphanPodPrefix, StringComparison.Ordinal))
        {
            await SyncOrphanPodAsync(key[OrphanPodPrefix.Length..], cancellationToken).ConfigureAwait(false);
            return ReconcileResult.Done;
        }

        await SyncJobAsync(key, cancellationToken).ConfigureAwait(false);
        return ReconcileResult.Done;
    }

    /// <summary>Upstream's <c>managedByExternalController</c>: a Job whose <c>spec.managedBy</c> names another controller is left alone.</summary>
    internal static bool ManagedByOther(V1Job job) => job.Spec?.ManagedBy is { } managedBy && managedBy != ManagedByValue;

    /// <summary>Upstream's <c>onlyReplaceFailedPods</c>: with podReplacementPolicy Failed (or a pod failure policy), a pod being deleted is neither failed nor replaced until it is gone.</summary>
    internal static bool OnlyReplaceFailed(V1Job job) => job.Spec?.PodReplacementPolicy == "Failed" || job.Spec?.PodFailurePolicy is not null;

    internal static bool Suspended(V1Job job) => job.Spec?.Suspend == true;

    /// <summary>
    /// Upstream's <c>syncOrphanPod</c>: removes the tracking finalizer from a pod no unfinished Job of ours controls
    /// (its Job was deleted, finished, or released it). A pod controlled by anything other than a batch/v1 Job is left alone.
    /// </summary>
    internal async Task SyncOrphanPodAsync(string podKey, CancellationToken cancellationToken)
    {
        var pod = _pods.Get(podKey);
        if (pod is null)
        {
            return;
        }

        if (Objects.ControllerOf(pod) is { } controllerRef)
        {
            if (controllerRef.Kind != "Job" || controllerRef.ApiVersion != "batch/v1")
            {
                return;
            }

            var job = Resolve(pod.Metadata.NamespaceProperty, controllerRef);
            if (job is not null && (ManagedByOther(job) || !JobConditions.IsFinished(job)))
            {
                // Adopted meanwhile, or another controller's to clean.
                return;
            }
        }

        if (JobPods.RemoveTrackingFinalizerPatch(pod) is { } patch)
        {
            try
            {
                await _client.PatchPodAsync(pod.Metadata.NamespaceProperty, pod.Metadata.Name, patch, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (ApiErrors.IsNotFound(e))
            {
                // Gone already: nothing to clean.
            }
        }
    }

    /// <summary>
    /// Upstream's <c>getPodsForJob</c>: the pods the Job controls (all of them, finished ones included) after adopting
    /// matching orphans (with the tracking finalizer) and releasing owned pods that stopped matching. Adopted pods read as
    /// carrying the finalizer for the rest of the sync.
    /// </summary>
    private async Task<List<V1Pod>> GetPodsForJobAsync(V1Job job, LabelSelector selector, CancellationToken cancellationToken)
    {
        var ns = job.Metadata.NamespaceProperty;
        var name = job.Metadata.Name;
        var manager = new ControllerRefManager<V1Pod>(
            job,
            "batch/v1",
            "Job",
            selector,
            AdoptionChecks.RecheckDeletionTimestamp(job, "Job", ct => _client.GetJobAsync(ns, name, ct)),
            (pod, patch, ct) => _client.PatchPodAsync(pod.Metadata.NamespaceProperty, pod.Metadata.Name, patch, ct))
        {
            AdoptFinalizers = [JobPods.TrackingFinalizer],
        };
        var claimed = await manager.ClaimAsync(WorkloadIndexes.OwnedAndOrphans(_pods, ns, job.Metadata.Uid), cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < claimed.Count; i++)
        {
            var pod = claimed[i];
            var adopted = pod.Metadata.OwnerReferences?.Any(r => r.Uid == job.Metadata.Uid) != true;
            if (adopted && !JobPods.HasTrackingFinalizer(pod))
            {
                var copy = Objects.DeepCopy(pod);
                copy.Metadata.Finalizers = [.. copy.Metadata.Finalizers ?? [], JobPods.TrackingFinalizer];
                claimed[i] = copy;
            }
        }

        return claimed;
    }

    /// <summary>The Job's selector, parsed once per cached object; null when invalid.</summary>
    private LabelSelector? SelectorOf(V1Job job) =>
        _selectors.Get(job);

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "job-controller: Job {Ns}/{Name} has an invalid selector: {Error}")]
        public static partial void InvalidSelector(ILogger logger, string ns, string name, string error);

        [LoggerMessage(Level = LogLevel.Debug, Message = "job-controller: too few pods for Job {Key}: want {Want}, creating {Count}")]
        public static partial void TooFew(ILogger logger, string key, int want, int count);

        [LoggerMessage(Level = LogLevel.Debug, Message = "job-controller: slow-start failure for Job {Key}: skipping {Count} pod creations")]
        public static partial void SlowStartSkipped(ILogger logger, string key, int count);

        [LoggerMessage(Level = LogLevel.Debug, Message = "job-controller: Job {Key} waits {Delay} before re-creating failed pods")]
        public static partial void BackingOff(ILogger logger, string key, TimeSpan delay);
    }
}
