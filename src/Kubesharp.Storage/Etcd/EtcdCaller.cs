using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Storage.Etcd;

/// <summary>The answer of a unary call, and whether an earlier failed attempt may have reached etcd.</summary>
/// <param name="InDoubt">True when a previous attempt failed after it may have been sent (a timeout, a
/// connection lost mid-request): for a write, that attempt may have been applied.</param>
internal readonly record struct Answer<T>(T Response, bool InDoubt);

/// <summary>
/// Runs unary etcd calls: a deadline per attempt, and retries with exponential back-off while the fault is
/// transient, for <see cref="EtcdStoreOptions.RetryTimeout"/> (plus the attempt running when it ends); then
/// Unavailable.
/// </summary>
/// <remarks>
/// gRPC's own retry policy is switched off on the channel: it would retry a write whose first attempt may
/// have been applied without telling us, and the caller must then report the outcome as unknown. Every call
/// is retried here, reads and writes alike; the store's writes are compare-and-swap transactions, so a
/// repeated one can never apply twice, and <see cref="Answer{T}.InDoubt"/> lets the store tell "lost the
/// compare" from "our own first attempt won". Thread-safe; holds no state per call.
/// </remarks>
internal sealed class EtcdCaller
{
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(1);

    private readonly TimeSpan _requestTimeout;
    private readonly TimeSpan _retryTimeout;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationToken _closing;

    public EtcdCaller(EtcdStoreOptions options, TimeProvider time, ILogger logger, CancellationToken closing)
    {
        _requestTimeout = options.RequestTimeout;
        _retryTimeout = options.RetryTimeout;
        _time = time;
        _logger = logger;
        _closing = closing;
    }

    /// <summary>
    /// Calls until an answer, a permanent failure or the retry budget runs out. OutOfRange (compacted or
    /// future revision) is rethrown as the <see cref="RpcException"/> for the caller to map, as only it knows
    /// the revision asked for; every other failure becomes a <see cref="StoreException"/>.
    /// </summary>
    public async Task<Answer<T>> CallAsync<T>(string operation, Func<CallOptions, AsyncUnaryCall<T>> call, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closing);
        var started = _time.GetTimestamp();
        var backoff = FirstBackoff;
        var inDoubt = false;
        var last = false;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var pending = call(new CallOptions(deadline: DateTime.UtcNow + _requestTimeout, cancellationToken: linked.Token));
                return new Answer<T>(await pending.ResponseAsync, inDoubt);
            }
            catch (Exception e) when (linked.IsCancellationRequested && e is OperationCanceledException or RpcException or ObjectDisposedException)
            {
                throw Cancelled(e, cancellationToken);
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.OutOfRange)
            {
                throw;
            }
            catch (RpcException e) when (EtcdErrors.IsTransient(e))
            {
                inDoubt |= !EtcdErrors.NeverSent(e);
                var elapsed = _time.GetElapsedTime(started);
                var left = _retryTimeout - elapsed;
                if (last || left <= TimeSpan.Zero)
                {
                    EtcdLog.GaveUp(_logger, operation, attempt, elapsed.TotalMilliseconds, e.StatusCode, e.Status.Detail);
                    throw StoreException.Unavailable(
                        $"etcd {operation} failed {attempt} times in {elapsed.TotalSeconds:0.0} s{(inDoubt ? " (its outcome is unknown)" : "")}: {e.StatusCode} {e.Status.Detail}",
                        e);
                }

                // The last attempt is made when the budget runs out, not one back-off before.
                last = backoff >= left;
                var delay = last ? left : backoff;
                EtcdLog.Retrying(_logger, operation, attempt, delay.TotalMilliseconds, e.StatusCode, e.Status.Detail);
                try
                {
                    await Task.Delay(delay, _time, linked.Token);
                }
                catch (OperationCanceledException oce)
                {
                    throw Cancelled(oce, cancellationToken);
                }

                backoff = backoff * 2 < MaxBackoff ? backoff * 2 : MaxBackoff;
            }
            catch (RpcException e)
            {
                throw EtcdErrors.Permanent(operation, e);
            }
        }
    }

    private static Exception Cancelled(Exception e, CancellationToken cancellationToken) =>
        cancellationToken.IsCancellationRequested
            ? new OperationCanceledException("the etcd request was cancelled", e, cancellationToken)
            : new ObjectDisposedException(nameof(EtcdStore), "the store was disposed while the request was in flight");
}
