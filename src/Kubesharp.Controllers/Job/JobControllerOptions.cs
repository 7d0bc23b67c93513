namespace Kubesharp.Controllers.Job;

/// <summary>Settings of the Job controller, with upstream's values (v1.32). Tests shorten the back-offs.</summary>
public sealed record JobControllerOptions
{
    /// <summary>Upstream's <c>syncJobBatchPeriod</c>: pod events and status-only updates sync the Job after this delay, so that bursts fold into one sync.</summary>
    public TimeSpan SyncBatchPeriod { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Upstream's <c>DefaultJobPodFailureBackOff</c>: the delay before re-creating pods after the first failure, doubled for each further one.</summary>
    public TimeSpan PodFailureBackOff { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Upstream's <c>MaxJobPodFailureBackOff</c> in v1.32 (10 min; the documentation still says six).</summary>
    public TimeSpan MaxPodFailureBackOff { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Upstream's <c>DefaultJobApiBackOff</c> and <c>MaxJobApiBackOff</c>: the per-key retry back-off after a failed sync.</summary>
    public TimeSpan ApiBackOff { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxApiBackOff { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Upstream's <c>MaxPodCreateDeletePerSync</c>.</summary>
    public int MaxPodCreateDeletePerSync { get; init; } = 500;

    /// <summary>Upstream's <c>MaxUncountedPods</c>: UIDs in <c>status.uncountedTerminatedPods</c> per sync (keeps the status under ~20 KB).</summary>
    public int MaxUncountedPods { get; init; } = 500;
}
