using Microsoft.Extensions.Logging;

namespace Kubesharp.Storage;

/// <summary>
/// Deletes keys whose time-to-live ran out, for the in-process stores (etcd does this with leases).
/// </summary>
/// <remarks>
/// A time-to-live belongs to one write: it is tracked as (key, mod revision), and the expiry deletes the
/// key only if that write is still the latest (a compare-and-swap on the mod revision), so a key written
/// again in the meantime keeps living by its new write's rule. Checks run once a second on the injected
/// <see cref="TimeProvider"/>, as etcd's lease granularity is also about a second.
/// Thread-safe: <see cref="Track"/> may be called from any thread.
/// </remarks>
internal sealed class TtlExpirer : IAsyncDisposable
{
    private readonly TimeProvider _time;
    private readonly Func<string, long, CancellationToken, ValueTask> _delete;
    private readonly ILogger _logger;
    private readonly PriorityQueue<(string Key, long ModRevision), DateTimeOffset> _queue = new();
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _tick = new(0);
    // One pass at a time: a pass that returns has seen every deletion due by its start committed, even one that a
    // concurrent pass had already taken off the queue.
    private readonly SemaphoreSlim _pass = new(1, 1);
    private readonly ITimer _timer;
    private readonly Task _loop;

    public TtlExpirer(TimeProvider time, Func<string, long, CancellationToken, ValueTask> delete, ILogger logger)
    {
        _time = time;
        _delete = delete;
        _logger = logger;
        _timer = time.CreateTimer(_ => ReleaseTick(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        _loop = Task.Run(RunAsync);
    }

    public void Track(string key, long modRevision, DateTimeOffset expiresAt)
    {
        lock (_lock)
        {
            _queue.Enqueue((key, modRevision), expiresAt);
        }
    }

    /// <summary>Runs one pass now (tests call this after moving fake time).</summary>
    public Task ExpireDueAsync(CancellationToken cancellationToken) => ExpireDueCoreAsync(cancellationToken);

    private void ReleaseTick()
    {
        // Fold ticks: at most one pending pass.
        if (_tick.CurrentCount == 0)
        {
            _tick.Release();
        }
    }

    private async Task RunAsync()
    {
        try
        {
            while (true)
            {
                await _tick.WaitAsync(_stop.Token);
                await ExpireDueCoreAsync(_stop.Token);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    private async Task ExpireDueCoreAsync(CancellationToken cancellationToken)
    {
        await _pass.WaitAsync(cancellationToken);
        try
        {
            await ExpireDuePassAsync(cancellationToken);
        }
        finally
        {
            _pass.Release();
        }
    }

    private async Task ExpireDuePassAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        while (true)
        {
            (string Key, long ModRevision) due;
            lock (_lock)
            {
                if (!_queue.TryPeek(out due, out var at) || at > now)
                {
                    return;
                }

                _queue.Dequeue();
            }

            try
            {
                await _delete(due.Key, due.ModRevision, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e)
            {
                // Put it back and try again on the next tick; an expiry must not be lost to a transient fault.
                StorageLog.ExpiryFailed(_logger, e, due.Key, due.ModRevision);
                Track(due.Key, due.ModRevision, now);
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _timer.DisposeAsync();
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
        _tick.Dispose();
        _pass.Dispose();
    }
}
