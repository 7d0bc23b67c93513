using k8s.Models;

namespace Kubesharp.Controllers.Job;

/// <summary>
/// Upstream's <c>backoffRecord</c>: the pod failures a Job has had since its last success, and when the last one
/// finished. Immutable.
/// </summary>
internal sealed record PodBackoffRecord(string Key, int FailuresAfterLastSuccess, DateTimeOffset? LastFailureTime)
{
    /// <summary>
    /// Upstream's <c>getRemainingTime</c>: how long pod creation still waits: <paramref name="initial"/> doubled for each
    /// failure after the first, capped at <paramref name="max"/>, counted from the last failure. Zero without failures.
    /// </summary>
    public TimeSpan RemainingTime(DateTimeOffset now, TimeSpan initial, TimeSpan max)
    {
        if (FailuresAfterLastSuccess == 0 || LastFailureTime is not { } last)
        {
            return TimeSpan.Zero;
        }

        var backoff = initial;
        for (var i = 1; i < FailuresAfterLastSuccess; i++)
        {
            backoff *= 2;
            if (backoff >= max)
            {
                backoff = max;
                break;
            }
        }

        var elapsed = now - last;
        return backoff < elapsed ? TimeSpan.Zero : backoff - elapsed;
    }
}

/// <summary>
/// Upstream's <c>backoffStore</c>: the back-off record of each Job, by key, kept in memory (a restarted controller
/// starts without back-off, as upstream's). Thread-safe.
/// </summary>
internal sealed class PodBackoffStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, PodBackoffRecord> _records = new(StringComparer.Ordinal);

    public void Update(PodBackoffRecord record)
    {
        lock (_lock)
        {
            _records[record.Key] = record;
        }
    }

    public void Remove(string key)
    {
        lock (_lock)
        {
            _records.Remove(key);
        }
    }

    /// <summary>
    /// Upstream's <c>newBackoffRecord</c>: the stored record advanced by the pods that finished since the last count. New
    /// failures add up; a new success resets the count to the failures that finished after it.
    /// </summary>
    public PodBackoffRecord Next(string key, IReadOnlyList<V1Pod> newSucceeded, IReadOnlyList<V1Pod> newFailed)
    {
        PodBackoffRecord record;
        lock (_lock)
        {
            record = _records.GetValueOrDefault(key) ?? new PodBackoffRecord(key, 0, null);
        }

        var failedTimes = newFailed.Select(JobPods.FinishedTime).Order().ToList();
        if (newSucceeded.Count == 0)
        {
            return failedTimes.Count == 0 ? record : record with { FailuresAfterLastSuccess = record.FailuresAfterLastSuccess + failedTimes.Count, LastFailureTime = failedTimes[^1] };
        }

        var lastSuccess = newSucceeded.Select(JobPods.FinishedTime).Max();
        var after = failedTimes.Where(t => t > lastSuccess).ToList();
        return record with { FailuresAfterLastSuccess = after.Count, LastFailureTime = after.Count == 0 ? null : after[^1] };
    }
}
