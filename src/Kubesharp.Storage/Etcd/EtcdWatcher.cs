using System.Runtime.CompilerServices;
using Etcdserverpb;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Mvccpb;

namespace Kubesharp.Storage.Etcd;

/// <summary>
/// One store watch as one etcd watch stream (the raw bidirectional <c>Watch</c> RPC), read only as fast as
/// the consumer pulls.
/// </summary>
/// <remarks>
/// <para>Back-pressure: a response is read from the stream only when the consumer has taken every event of
/// the previous one, so nothing is buffered here. A reader that stops reading fills the HTTP/2 window; etcd
/// then parks the watcher and later catches it up from its history, so a slow reader loses nothing.</para>
/// <para>Resumption: the stream is re-created from the revision after the last delivered event when it
/// breaks (a member died, the connection dropped), with back-off, for at most
/// <see cref="EtcdStoreOptions.RetryTimeout"/> without a successful re-creation; then Unavailable. etcd never
/// splits one revision over two responses, so resuming after the last delivered revision neither skips nor
/// repeats an event. Progress notifications move the resume point forward on a quiet prefix, so that a
/// watch idle across a compaction does not fail needlessly when it reconnects.</para>
/// <para>One gRPC stream per watch, for simplicity; upstream's client multiplexes many watches on one stream.
/// Every member is thread-safe; one enumeration is used by one consumer at a time, as any enumerator.</para>
/// </remarks>
internal sealed class EtcdWatcher
{
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(1);

    private readonly Etcdserverpb.Watch.WatchClient _client;
    private readonly TimeSpan _retryTimeout;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationToken _closing;
    private readonly Action<long> _observeRevision;
    private readonly Action<long> _observeCompaction;

    public EtcdWatcher(
        Etcdserverpb.Watch.WatchClient client,
        EtcdStoreOptions options,
        TimeProvider time,
        ILogger logger,
        Action<long> observeRevision,
        Action<long> observeCompaction,
        CancellationToken closing)
    {
        _client = client;
        _retryTimeout = options.RetryTimeout;
        _time = time;
        _logger = logger;
        _closing = closing;
        _observeRevision = observeRevision;
        _observeCompaction = observeCompaction;
    }

    /// <summary>Every change under <paramref name="prefix"/> after <paramref name="afterRevision"/> (0: from the first revision).</summary>
    public async IAsyncEnumerable<WatchEvent> WatchAsync(string prefix, long afterRevision, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closing);
        var token = linked.Token;
        var next = afterRevision + 1;
        long? failingSince = null;
        var last = false;
        var backoff = FirstBackoff;
        AsyncDuplexStreamingCall<WatchRequest, WatchResponse>? call = null;
        try
        {
            while (true)
            {
                WatchResponse? response = null;
                RpcException? fault = null;
                var ended = false;
                try
                {
                    if (call is null)
                    {
                        call = _client.Watch(cancellationToken: token);
                        // Start one revision early and drop it: etcd accepts a start AT the compaction
                        // revision but may have compacted that revision's own delete away, so a watch after
                        // revision R must fail when R itself is compacted, as in the other backends.
                        await call.RequestStream.WriteAsync(CreateRequest(prefix, Math.Max(1, next - 1)), token);
                    }

                    if (await call.ResponseStream.MoveNext(token))
                    {
                        response = call.ResponseStream.Current;
                    }
                    else
                    {
                        fault = new RpcException(new Status(StatusCode.Unavailable, "etcd ended the watch stream"));
                    }
                }
                catch (Exception e) when (token.IsCancellationRequested && e is OperationCanceledException or RpcException or ObjectDisposedException)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    ended = true; // the store is closing
                }
                catch (RpcException e) when (EtcdErrors.IsTransient(e) || e.StatusCode == StatusCode.Cancelled)
                {
                    fault = e;
                }
                catch (RpcException e)
                {
                    throw EtcdErrors.Permanent("watch", e);
                }

                if (ended)
                {
                    yield break;
                }

                if (fault is null && response!.CompactRevision != 0)
                {
                    _observeCompaction(response.CompactRevision);
                    throw StoreException.Compacted(next - 1, response.CompactRevision);
                }

                if (fault is null && response!.Canceled)
                {
                    // Not for compaction (handled above): treat as a broken stream, so that a lasting cause
                    // ends in Unavailable after the retry budget.
                    fault = new RpcException(new Status(StatusCode.Unavailable, $"etcd cancelled the watch: {response.CancelReason}"));
                }

                if (fault is not null)
                {
                    call?.Dispose();
                    call = null;
                    failingSince ??= _time.GetTimestamp();
                    var elapsed = _time.GetElapsedTime(failingSince.Value);
                    var left = _retryTimeout - elapsed;
                    if (last || left <= TimeSpan.Zero)
                    {
                        EtcdLog.WatchGaveUp(_logger, prefix, next - 1, elapsed.TotalMilliseconds);
                        throw StoreException.Unavailable(
                            $"etcd watch on {prefix} could not be resumed after revision {next - 1} for {elapsed.TotalSeconds:0.0} s: {fault.StatusCode} {fault.Status.Detail}",
                            fault);
                    }

                    last = backoff >= left;
                    var delay = last ? left : backoff;
                    EtcdLog.WatchReconnecting(_logger, prefix, next - 1, delay.TotalMilliseconds, fault.Status.Detail);
                    if (!await DelayAsync(delay, cancellationToken, token))
                    {
                        yield break;
                    }

                    backoff = backoff * 2 < MaxBackoff ? backoff * 2 : MaxBackoff;
                    continue;
                }

                if (response!.Created)
                {
                    failingSince = null;
                    last = false;
                    backoff = FirstBackoff;
                }

                if (response.Header is { } header)
                {
                    _observeRevision(header.Revision);
                    // An event-less response that is neither the creation nor a cancellation is a progress
                    // notification: every change up to the header revision has been sent.
                    if (response.Events.Count == 0 && !response.Created && header.Revision >= next)
                    {
                        next = header.Revision + 1;
                    }
                }

                foreach (var e in response.Events)
                {
                    if (e.Kv.ModRevision < next)
                    {
                        continue;
                    }

                    var mapped = Map(e);
                    next = mapped.Revision + 1;
                    yield return mapped;
                }
            }
        }
        finally
        {
            // Disposing the call cancels it, which ends the etcd watch on the server as well.
            call?.Dispose();
        }
    }

    internal static WatchEvent Map(Event e)
    {
        var previous = e.PrevKv is { } p ? EtcdStore.ToKeyValue(p) : null;
        if (e.Type == Event.Types.EventType.Put)
        {
            return new WatchEvent(WatchEventType.Put, EtcdStore.ToKeyValue(e.Kv), previous);
        }

        // etcd's delete event carries only the key and the deletion's revision; the store's carries the
        // deleted value too. etcd leaves prev_kv out only if the history before the delete is compacted.
        var deleted = previous is not null
            ? previous with { ModRevision = e.Kv.ModRevision }
            : new KeyValue(e.Kv.Key.ToStringUtf8(), [], 0, e.Kv.ModRevision);
        return new WatchEvent(WatchEventType.Delete, deleted, previous);
    }

    private static WatchRequest CreateRequest(string prefix, long startRevision) => new()
    {
        CreateRequest = new WatchCreateRequest
        {
            Key = EtcdStore.ToBytes(prefix),
            RangeEnd = EtcdStore.ToBytes(StoreLimits.PrefixEnd(prefix)),
            StartRevision = startRevision,
            PrevKv = true,
            ProgressNotify = true,
        },
    };

    /// <summary>False when the store closed during the wait; throws when the consumer cancelled.</summary>
    private async Task<bool> DelayAsync(TimeSpan delay, CancellationToken consumer, CancellationToken either)
    {
        try
        {
            await Task.Delay(delay, _time, either);
            return true;
        }
        catch (OperationCanceledException)
        {
            consumer.ThrowIfCancellationRequested();
            return false;
        }
    }
}
