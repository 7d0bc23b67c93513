using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Client.Controllers;
using Kubesharp.Controllers.Common;
using Kubesharp.Controllers.Job;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Controllers.TtlAfterFinished;

/// <summary>
/// Upstream's TTL-after-finished controller (<c>pkg/controller/ttlafterfinished</c>): deletes a finished Job (Complete or
/// Failed) <c>spec.ttlSecondsAfterFinished</c> after its finish time (the terminal condition's lastTransitionTime).
/// <list type="bullet">
/// <item>Before the TTL: the Job is requeued for when it expires (injected clock).</item>
/// <item>At expiry: the Job is read fresh from the API and checked again (its TTL may have changed), then deleted with
/// Foreground propagation (upstream's choice: the Job stays, marked, until its pods are gone) and its UID as a precondition.</item>
/// <item>Jobs being deleted, unfinished, or without a TTL are ignored. A finish time in the future (clock skew) defers the deletion.</item>
/// </list>
/// No events. Failures are thrown so that the queue retries with back-off.
/// </summary>
internal sealed partial class TtlAfterFinishedController : QueueController
{
    public const string ControllerName = "ttl-after-finished-controller";

    private readonly IBatchClient _client;
    private readonly IIndexReader<V1Job> _jobs;
    private readonly IReadOnlyList<ISharedInformer> _informers;

    internal TtlAfterFinishedController(IBatchClient client, IIndexReader<V1Job> jobs, TimeProvider time, ILogger logger, IReadOnlyList<ISharedInformer>? informers = null)
        : base(ControllerName, time, logger)
    {
        _client = client;
        _jobs = jobs;
        _informers = informers ?? [];
    }

    public static TtlAfterFinishedController Create(ControllerContext context)
    {
        var jobInformer = context.Informers.GetInformer<V1Job>();
        var controller = new TtlAfterFinishedController(
            new KubernetesBatchClient(context.Client),
            jobInformer.Indexer,
            context.Time,
            context.Loggers.CreateLogger(ControllerName),
            [jobInformer]);
        jobInformer.AddEventHandler(new ResourceEventHandlerFuncs<V1Job>
        {
            AddFunc = controller.OnJob,
            UpdateFunc = (_, job) => controller.OnJob(job),
        });
        return controller;
    }

    protected override IEnumerable<ISharedInformer> Informers => _informers;

    internal void OnJob(V1Job job)
    {
        if (job.Metadata.DeletionTimestamp is null && NeedsCleanup(job))
        {
            Enqueue(job);
        }
    }

    protected override Task<ReconcileResult> ReconcileAsync(string key, CancellationToken cancellationToken) => SyncAsync(key, cancellationToken);

    /// <summary>Upstream's <c>processJob</c>.</summary>
    internal async Task<ReconcileResult> SyncAsync(string key, CancellationToken cancellationToken)
    {
        var cached = _jobs.Get(key);
        if (cached is null)
        {
            return ReconcileResult.Done;
        }

        var (expired, wait) = Expiry(cached);
        if (!expired)
        {
            return wait is { } delay ? ReconcileResult.RequeueAfter(delay) : ReconcileResult.Done;
        }

        // The cached TTL may be stale: decide again on the Job as it is now.
        V1Job fresh;
        try
        {
            fresh = await _client.GetJobAsync(cached.Metadata.NamespaceProperty, cached.Metadata.Name, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (ApiErrors.IsNotFound(e))
        {
            return ReconcileResult.Done;
        }

        (expired, wait) = Expiry(fresh);
        if (!expired)
        {
            return wait is { } delay ? ReconcileResult.RequeueAfter(delay) : ReconcileResult.Done;
        }

        Log.CleaningUp(Logger, fresh.Metadata.NamespaceProperty, fresh.Metadata.Name);
        try
        {
            await _client.DeleteJobAsync(fresh.Metadata.NamespaceProperty, fresh.Metadata.Name, "Foreground", fresh.Metadata.Uid, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (ApiErrors.IsNotFound(e))
        {
            // Deleted meanwhile: what we wanted.
        }

        return ReconcileResult.Done;
    }

    /// <summary>Upstream's <c>needsCleanup</c>: a TTL and a Complete or Failed condition.</summary>
    internal static bool NeedsCleanup(V1Job job) => job.Spec?.TtlSecondsAfterFinished is not null && JobConditions.IsFinished(job);

    /// <summary>
    /// Upstream's <c>processTTL</c>: whether the Job's TTL has expired, else how long until it does (null: nothing to do,
    /// the Job is being deleted or needs no cleanup).
    /// </summary>
    /// <exception cref="InvalidOperationException">The terminal condition has no transition time (upstream retries such a Job).</exception>
    private (bool Expired, TimeSpan? Wait) Expiry(V1Job job)
    {
        if (job.Metadata.DeletionTimestamp is not null || !NeedsCleanup(job))
        {
            return (false, null);
        }

        var finishedAt = JobConditions.FinishTime(job)
            ?? throw new InvalidOperationException($"unable to find the time when the Job {job.Metadata.NamespaceProperty}/{job.Metadata.Name} finished");
        var now = Time.GetUtcNow();
        if (finishedAt > now)
        {
            Log.FinishedInFuture(Logger, job.Metadata.NamespaceProperty, job.Metadata.Name);
        }

        var remaining = finishedAt + TimeSpan.FromSeconds(job.Spec.TtlSecondsAfterFinished!.Value) - now;
        return remaining <= TimeSpan.Zero ? (true, null) : (false, remaining);
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Debug, Message = "ttl-after-finished-controller: cleaning up Job {Ns}/{Name}")]
        public static partial void CleaningUp(ILogger logger, string ns, string name);

        [LoggerMessage(Level = LogLevel.Information, Message = "ttl-after-finished-controller: Job {Ns}/{Name} finished in the future, likely clock skew; cleanup deferred")]
        public static partial void FinishedInFuture(ILogger logger, string ns, string name);
    }
}
