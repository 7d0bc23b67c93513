using Kubesharp.Scheduler.Queue;
using Prometheus;

namespace Kubesharp.Scheduler.Metrics;

/// <summary>How one scheduling attempt ended, as upstream's <c>result</c> label says it.</summary>
public enum AttemptResult
{
    Scheduled,
    Unschedulable,
    Error,
}

/// <summary>
/// kube-scheduler's Prometheus metrics with upstream's names, help, labels and buckets
/// (<c>pkg/scheduler/metrics/metrics.go</c>): attempts and their duration by result and profile, pending pods by
/// sub-queue, attempts per scheduled pod. One registry per instance (several schedulers in one process, as in
/// tests, keep apart); it outlives scheduler terms, and the pending-pods gauge reads the queue of the scheduler
/// currently running (<see cref="Track"/>) when scraped. Thread-safe.
/// </summary>
public sealed class SchedulerMetrics
{
    private static readonly string[] ResultLabels = ["result", "profile"];

    private readonly Counter _attempts;
    private readonly Histogram _attemptDuration;
    private readonly Gauge _pending;
    private readonly Histogram _podAttempts;
    private readonly Lock _lock = new();
    private SchedulingQueue? _queue;

    public SchedulerMetrics()
    {
        Registry = Prometheus.Metrics.NewCustomRegistry();
        var factory = Prometheus.Metrics.WithCustomRegistry(Registry);
        _attempts = factory.CreateCounter(
            "scheduler_schedule_attempts_total",
            "Number of attempts to schedule pods, by the result. 'unschedulable' means a pod could not be scheduled, while 'error' means an internal scheduler problem.",
            ResultLabels);
        _attemptDuration = factory.CreateHistogram(
            "scheduler_scheduling_attempt_duration_seconds",
            "Scheduling attempt latency in seconds (scheduling algorithm + binding)",
            new HistogramConfiguration { LabelNames = ResultLabels, Buckets = Histogram.ExponentialBuckets(0.001, 2, 15) });
        _pending = factory.CreateGauge(
            "scheduler_pending_pods",
            "Number of pending pods, by the queue type. 'active' means number of pods in activeQ; 'backoff' means number of pods in backoffQ; 'unschedulable' means number of pods in unschedulablePods that the scheduler attempted to schedule and failed.",
            "queue");
        _podAttempts = factory.CreateHistogram(
            "scheduler_pod_scheduling_attempts",
            "Number of attempts to successfully schedule a pod.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(1, 2, 5) });
        Registry.AddBeforeCollectCallback(UpdatePending);
        UpdatePending();
    }

    public CollectorRegistry Registry { get; }

    /// <summary>One attempt ended; <paramref name="elapsed"/> runs from the pod's pop to the end of its binding (or its failure).</summary>
    public void Attempted(AttemptResult result, string profile, TimeSpan elapsed)
    {
        var label = result switch
        {
            AttemptResult.Scheduled => "scheduled",
            AttemptResult.Unschedulable => "unschedulable",
            _ => "error",
        };
        _attempts.WithLabels(label, profile).Inc();
        _attemptDuration.WithLabels(label, profile).Observe(elapsed.TotalSeconds);
    }

    /// <summary>A pod was bound after <paramref name="attempts"/> attempts.</summary>
    public void PodScheduled(int attempts) => _podAttempts.Observe(attempts);

    /// <summary>The queue whose sizes <c>scheduler_pending_pods</c> reports (the scheduler of the current term).</summary>
    public void Track(SchedulingQueue queue)
    {
        lock (_lock)
        {
            _queue = queue;
        }
    }

    /// <summary>Stops reporting <paramref name="queue"/> (its term ended); a newer queue being tracked is left alone.</summary>
    public void Untrack(SchedulingQueue queue)
    {
        lock (_lock)
        {
            if (ReferenceEquals(_queue, queue))
            {
                _queue = null;
            }
        }
    }

    /// <summary>The Prometheus text exposition of every metric.</summary>
    public Task WriteAsync(Stream stream, CancellationToken cancellationToken) => Registry.CollectAndExportAsTextAsync(stream, cancellationToken);

    private void UpdatePending()
    {
        SchedulingQueue? queue;
        lock (_lock)
        {
            queue = _queue;
        }

        // Not leading (or not started): nothing is pending here, as for a follower upstream.
        var (active, backoff, unschedulable) = queue?.Pending ?? (0, 0, 0);
        _pending.WithLabels("active").Set(active);
        _pending.WithLabels("backoff").Set(backoff);
        _pending.WithLabels("unschedulable").Set(unschedulable);
    }
}
