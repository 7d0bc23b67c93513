namespace Kubesharp.Proxy.Proxier;

/// <summary>
/// Upstream's <c>async.BoundedFrequencyRunner</c> as kube-proxy uses it: <see cref="Run"/> asks for a sync; requests
/// made while one is pending or running fold into one (a request during a sync causes exactly one more); syncs start
/// at most one per <c>minInterval</c> on average, with bursts of up to <c>burst</c> back to back (upstream's token
/// bucket: kube-proxy gives it a burst of 2; with 1, two syncs start at least <c>minInterval</c> apart); a sync also runs <c>maxInterval</c> after the last one without any request
/// (the periodic full resync); after a failed sync (the delegate returned false or threw) the next one runs at the
/// latest <c>retryAfter</c> later.
/// <para>
/// One loop task owns the schedule (<see cref="RunLoopAsync"/>); <see cref="Run"/> is thread-safe and never blocks.
/// Time comes from the injected <see cref="TimeProvider"/>.
/// </para>
/// </summary>
public sealed class SyncRunner(Func<CancellationToken, Task<bool>> sync, TimeSpan minInterval, TimeSpan maxInterval, TimeSpan retryAfter, TimeProvider time, int burst = 1)
{
    private readonly int _burst = burst >= 1 ? burst : throw new ArgumentOutOfRangeException(nameof(burst), burst, "at least 1");
    private TaskCompletionSource _kick = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _requested;
    private long _runs;
    private long _failures;

    /// <summary>Syncs run so far.</summary>
    public long Runs => Interlocked.Read(ref _runs);

    /// <summary>Syncs that failed so far.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>Asks for a sync as soon as the minimum interval allows.</summary>
    public void Run()
    {
        Volatile.Write(ref _requested, 1);
        Volatile.Read(ref _kick).TrySetResult();
    }

    /// <summary>Runs syncs until cancelled (then throws <see cref="OperationCanceledException"/>). The first sync waits for a <see cref="Run"/> or <c>maxInterval</c>.</summary>
    public async Task RunLoopAsync(CancellationToken cancellationToken)
    {
        // Upstream's limiter: a bucket of `burst` tokens, one spent per sync, refilled at one per minInterval.
        double tokens = _burst;
        var refilled = time.GetTimestamp();
        var nextForced = time.GetUtcNow() + maxInterval;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var untilForced = nextForced - time.GetUtcNow();
            if (Volatile.Read(ref _requested) == 0 && untilForced > TimeSpan.Zero)
            {
                var kick = Volatile.Read(ref _kick).Task;
                using var stopTimer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var timer = Task.Delay(untilForced, time, stopTimer.Token);
                await Task.WhenAny(kick, timer).ConfigureAwait(false);
                await stopTimer.CancelAsync().ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                if (!kick.IsCompleted && time.GetUtcNow() < nextForced)
                {
                    continue;
                }
            }

            tokens = Refill(tokens, ref refilled);
            if (tokens < 1)
            {
                await Task.Delay(minInterval * (1 - tokens), time, cancellationToken).ConfigureAwait(false);
                tokens = Math.Max(1, Refill(tokens, ref refilled));
            }

            tokens -= 1;

            // Reset before the sync reads the state: a request from now on causes one more sync.
            Volatile.Write(ref _requested, 0);
            if (_kick.Task.IsCompleted)
            {
                Volatile.Write(ref _kick, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            }

            bool ok;
            try
            {
                ok = await sync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
#pragma warning disable CA1031 // The loop outlives any one sync: the delegate logs its own failures.
            catch (Exception)
#pragma warning restore CA1031
            {
                ok = false;
            }

            Interlocked.Increment(ref _runs);
            if (!ok)
            {
                Interlocked.Increment(ref _failures);
            }

            nextForced = time.GetUtcNow() + (ok || retryAfter > maxInterval ? maxInterval : retryAfter);
        }
    }

    private double Refill(double tokens, ref long refilled)
    {
        var now = time.GetTimestamp();
        var earned = minInterval > TimeSpan.Zero ? time.GetElapsedTime(refilled, now) / minInterval : _burst;
        refilled = now;
        return Math.Min(_burst, tokens + earned);
    }
}
