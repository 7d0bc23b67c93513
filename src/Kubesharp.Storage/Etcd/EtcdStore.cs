using System.Runtime.CompilerServices;
using dotnet_etcd;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using static Etcdserverpb.Compare.Types;

namespace Kubesharp.Storage.Etcd;

/// <summary>
/// The etcd v3 backend: keys map one to one to etcd keys, values are stored as given, revisions are
/// etcd's. Every write is one etcd transaction whose compare is the store's precondition, so a lost
/// compare-and-swap comes back in the same round trip with the current value.
/// </summary>
/// <remarks>
/// <para>Transient faults (no member reachable, leader change, timeouts) are retried with back-off for
/// <see cref="EtcdStoreOptions.RetryTimeout"/>, then reported as Unavailable. A write whose earlier attempt
/// may have reached etcd and whose retry then lost its compare is reported as Unavailable (outcome unknown),
/// never as a Conflict or AlreadyExists that our own first attempt may have caused.</para>
/// <para>Differences from the in-process stores, all from etcd itself: a new etcd starts at revision 1, not 0;
/// see also <see cref="GetCompactedRevisionAsync"/>. A watch after a compacted revision fails as in the
/// other backends (the watcher asks etcd for one revision more and drops it, because etcd accepts a start
/// at the compaction revision even when that revision's own delete was compacted away).</para>
/// </remarks>
public sealed partial class EtcdStore : IStore
{
    // Never a valid key (keys name something under the root), so reading it is cheap and returns nothing.
    private static readonly ByteString ProbeKey = ByteString.CopyFromUtf8(StoreLimits.RegistryRoot);

    private readonly EtcdClient _client;
    private readonly KV.KVClient _kv;
    private readonly Lease.LeaseClient _lease;
    private readonly EtcdCaller _caller;
    private readonly EtcdWatcher _watcher;
    private readonly ILogger _logger;
    private readonly ITimer? _compactionTimer;
    // Never disposed: enumerations started before DisposeAsync still link to its token. It holds no timer.
    private readonly CancellationTokenSource _closing = new();
    private long _seenRevision;
    private long _knownCompacted;
    private int _disposed;

    public EtcdStore(EtcdStoreOptions options, ILogger? logger = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Endpoints);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.RequestTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.RetryTimeout, TimeSpan.Zero);
        _logger = logger ?? NullLogger.Instance;
        time ??= TimeProvider.System;
        _client = new EtcdClient(options.Endpoints, configureChannelOptions: o => EtcdChannel.Configure(o, options));
        var connection = _client.GetConnection();
        _kv = connection.KVClient;
        _lease = connection.LeaseClient;
        _caller = new EtcdCaller(options, time, _logger, _closing.Token);
        _watcher = new EtcdWatcher(connection.WatchClient, options, time, _logger, r => Observe(r), ObserveCompaction, _closing.Token);
        if (options.CompactionInterval > TimeSpan.Zero)
        {
            _compactionTimer = time.CreateTimer(_ => _ = CompactPeriodicallyAsync(), null, options.CompactionInterval, options.CompactionInterval);
        }
    }

    public string Name => "etcd";

    public async ValueTask<WriteResult> CreateAsync(string key, ReadOnlyMemory<byte> value, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        StoreLimits.ValidateKey(key);
        StoreLimits.ValidateValue(value.Span);
        StoreLimits.ValidateTtl(ttl);
        ThrowIfDisposed();
        var k = ToBytes(key);
        var bytes = value.ToArray();
        var lease = ttl is { } t ? await GrantLeaseAsync(t, cancellationToken) : 0;
        var txn = new TxnRequest
        {
            Compare = { new Compare { Key = k, Target = CompareTarget.Create, Result = CompareResult.Equal, CreateRevision = 0 } },
            Success = { new RequestOp { RequestPut = new PutRequest { Key = k, Value = UnsafeByteOperations.UnsafeWrap(bytes), Lease = lease } } },
            Failure = { new RequestOp { RequestRange = new RangeRequest { Key = k } } },
        };
        var (response, inDoubt) = await _caller.CallAsync("create", o => _kv.TxnAsync(txn, o), cancellationToken);
        var rev = Observe(response.Header.Revision);
        if (response.Succeeded)
        {
            return new WriteResult(WriteStatus.Ok, rev, new KeyValue(key, bytes, rev, rev));
        }

        ThrowIfInDoubt(inDoubt, "create", key);
        await RevokeQuietlyAsync(lease);
        var current = FirstOrDefault(response.Responses[0].ResponseRange)
            ?? throw new InvalidOperationException($"etcd refused the create of {key} but returned no current value");
        return new WriteResult(WriteStatus.AlreadyExists, 0, current);
    }

    public async ValueTask<WriteResult> UpdateAsync(string key, ReadOnlyMemory<byte> value, long expectedModRevision, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        StoreLimits.ValidateKey(key);
        StoreLimits.ValidateValue(value.Span);
        StoreLimits.ValidateTtl(ttl);
        StoreLimits.ValidateRevision(expectedModRevision, "expected mod revision");
        ThrowIfDisposed();
        var k = ToBytes(key);
        var bytes = value.ToArray();
        // A put with lease 0 detaches the key from its old lease: an update without a time-to-live removes it.
        var lease = ttl is { } t ? await GrantLeaseAsync(t, cancellationToken) : 0;
        var txn = new TxnRequest
        {
            Compare =
            {
                new Compare { Key = k, Target = CompareTarget.Mod, Result = CompareResult.Equal, ModRevision = expectedModRevision },
                // etcd sees an absent key as mod revision 0: without this, an update expecting 0 would create it.
                new Compare { Key = k, Target = CompareTarget.Version, Result = CompareResult.Greater, Version = 0 },
            },
            Success = { new RequestOp { RequestPut = new PutRequest { Key = k, Value = UnsafeByteOperations.UnsafeWrap(bytes), Lease = lease, PrevKv = true } } },
            Failure = { new RequestOp { RequestRange = new RangeRequest { Key = k } } },
        };
        var (response, inDoubt) = await _caller.CallAsync("update", o => _kv.TxnAsync(txn, o), cancellationToken);
        var rev = Observe(response.Header.Revision);
        if (response.Succeeded)
        {
            var previous = response.Responses[0].ResponsePut.PrevKv;
            return new WriteResult(WriteStatus.Ok, rev, new KeyValue(key, bytes, previous.CreateRevision, rev));
        }

        ThrowIfInDoubt(inDoubt, "update", key);
        await RevokeQuietlyAsync(lease);
        var current = FirstOrDefault(response.Responses[0].ResponseRange);
        return current is null ? WriteResult.NotFound() : new WriteResult(WriteStatus.Conflict, 0, current);
    }

    public async ValueTask<WriteResult> DeleteAsync(string key, long? expectedModRevision = null, CancellationToken cancellationToken = default)
    {
        StoreLimits.ValidateKey(key);
        if (expectedModRevision is { } expected)
        {
            StoreLimits.ValidateRevision(expected, "expected mod revision");
        }

        ThrowIfDisposed();
        var k = ToBytes(key);
        var txn = new TxnRequest
        {
            Compare = { new Compare { Key = k, Target = CompareTarget.Version, Result = CompareResult.Greater, Version = 0 } },
            Success = { new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = k, PrevKv = true } } },
            Failure = { new RequestOp { RequestRange = new RangeRequest { Key = k } } },
        };
        if (expectedModRevision is { } e)
        {
            txn.Compare.Add(new Compare { Key = k, Target = CompareTarget.Mod, Result = CompareResult.Equal, ModRevision = e });
        }

        var (response, inDoubt) = await _caller.CallAsync("delete", o => _kv.TxnAsync(txn, o), cancellationToken);
        var rev = Observe(response.Header.Revision);
        if (response.Succeeded)
        {
            var deleted = response.Responses[0].ResponseDeleteRange.PrevKvs;
            return new WriteResult(WriteStatus.Ok, rev, deleted.Count > 0 ? ToKeyValue(deleted[0]) : null);
        }

        ThrowIfInDoubt(inDoubt, "delete", key);
        var current = FirstOrDefault(response.Responses[0].ResponseRange);
        return current is null ? WriteResult.NotFound() : new WriteResult(WriteStatus.Conflict, 0, current);
    }

    public async ValueTask<KeyValue?> GetAsync(string key, long revision = 0, CancellationToken cancellationToken = default)
    {
        StoreLimits.ValidateKey(key);
        StoreLimits.ValidateRevision(revision);
        ThrowIfDisposed();
        var response = await RangeAsync("get", new RangeRequest { Key = ToBytes(key), Revision = revision }, cancellationToken);
        return FirstOrDefault(response);
    }

    public async ValueTask<ListResult> ListAsync(string prefix, long limit = 0, string? continueToken = null, long revision = 0, CancellationToken cancellationToken = default)
    {
        StoreLimits.ValidatePrefix(prefix);
        StoreLimits.ValidateLimit(limit);
        StoreLimits.ValidateRevision(revision);
        var start = prefix;
        if (continueToken is not null)
        {
            (revision, start) = ContinueToken.Decode(prefix, continueToken);
        }

        ThrowIfDisposed();
        var request = new RangeRequest
        {
            Key = ToBytes(start),
            RangeEnd = ToBytes(StoreLimits.PrefixEnd(prefix)),
            Revision = revision,
            Limit = limit,
        };
        var response = await RangeAsync("list", request, cancellationToken);
        // etcd reads a range with revision 0 at the current revision and reports that in the header.
        var at = revision != 0 ? revision : response.Header.Revision;
        var items = new List<KeyValue>(response.Kvs.Count);
        foreach (var kv in response.Kvs)
        {
            items.Add(ToKeyValue(kv));
        }

        if (!response.More || items.Count == 0)
        {
            return new ListResult(items, at, null, null);
        }

        // Count is every key in [start, end) at the revision, regardless of the limit.
        return new ListResult(items, at, ContinueToken.Encode(prefix, at, items[^1].Key + "\0"), response.Count - items.Count);
    }

    public async ValueTask<long> CountAsync(string prefix, CancellationToken cancellationToken = default)
    {
        StoreLimits.ValidatePrefix(prefix);
        ThrowIfDisposed();
        var request = new RangeRequest { Key = ToBytes(prefix), RangeEnd = ToBytes(StoreLimits.PrefixEnd(prefix)), CountOnly = true };
        return (await RangeAsync("count", request, cancellationToken)).Count;
    }

    public IAsyncEnumerable<WatchEvent> WatchAsync(string prefix, long afterRevision, CancellationToken cancellationToken = default)
    {
        StoreLimits.ValidatePrefix(prefix);
        StoreLimits.ValidateRevision(afterRevision);
        ThrowIfDisposed();
        // Revisions never go back, so a start at or below one already seen needs no round trip; a later
        // one is checked against etcd at the first read, as the contract allows.
        return afterRevision > Volatile.Read(ref _seenRevision)
            ? CheckedWatchAsync(prefix, afterRevision, cancellationToken)
            : _watcher.WatchAsync(prefix, afterRevision, cancellationToken);
    }

    private async IAsyncEnumerable<WatchEvent> CheckedWatchAsync(string prefix, long afterRevision, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var current = await GetCurrentRevisionAsync(cancellationToken);
        if (afterRevision > current)
        {
            throw StoreException.FutureRevision(afterRevision, current);
        }

        await foreach (var e in _watcher.WatchAsync(prefix, afterRevision, cancellationToken).WithCancellation(cancellationToken))
        {
            yield return e;
        }
    }

    public async ValueTask<long> GetCurrentRevisionAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        var response = await RangeAsync("get current revision", new RangeRequest { Key = ProbeKey, CountOnly = true }, cancellationToken);
        return response.Header.Revision;
    }

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            // Watches see the closing token and end their enumeration; calls in flight are cancelled.
            _compactionTimer?.Dispose();
            _closing.Cancel();
            _client.Dispose();
        }

        return ValueTask.CompletedTask;
    }

    internal static ByteString ToBytes(string s) => ByteString.CopyFromUtf8(s);

    internal static KeyValue ToKeyValue(Mvccpb.KeyValue kv) =>
        new(kv.Key.ToStringUtf8(), kv.Value.ToByteArray(), kv.CreateRevision, kv.ModRevision);

    private static KeyValue? FirstOrDefault(RangeResponse response) => response.Kvs.Count > 0 ? ToKeyValue(response.Kvs[0]) : null;

    private async Task<RangeResponse> RangeAsync(string operation, RangeRequest request, CancellationToken cancellationToken)
    {
        try
        {
            var (response, _) = await _caller.CallAsync(operation, o => _kv.RangeAsync(request, o), cancellationToken);
            Observe(response.Header.Revision);
            return response;
        }
        catch (RpcException e) when (EtcdErrors.IsCompacted(e))
        {
            long compacted;
            try
            {
                compacted = await GetCompactedRevisionAsync(cancellationToken);
            }
            catch (StoreException)
            {
                compacted = Volatile.Read(ref _knownCompacted);
            }

            throw StoreException.Compacted(request.Revision, compacted);
        }
        catch (RpcException e) when (EtcdErrors.IsFutureRevision(e))
        {
            throw StoreException.FutureRevision(request.Revision, await CurrentRevisionForErrorAsync(cancellationToken));
        }
        catch (RpcException e)
        {
            throw EtcdErrors.Permanent(operation, e);
        }
    }

    private async Task<long> CurrentRevisionForErrorAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await GetCurrentRevisionAsync(cancellationToken);
        }
        catch (StoreException)
        {
            return Volatile.Read(ref _seenRevision);
        }
    }

    private async Task<long> GrantLeaseAsync(TimeSpan ttl, CancellationToken cancellationToken)
    {
        // One lease per write with a time-to-live: simple and exact (the key dies exactly ttl after its last
        // write), at the cost of one more round trip and one lease per write. Sharing leases among writes
        // that expire within the same second, as upstream's apiserver does, would remove both.
        var request = new LeaseGrantRequest { TTL = (long)Math.Ceiling(ttl.TotalSeconds) };
        var (response, _) = await _caller.CallAsync("grant lease", o => _lease.LeaseGrantAsync(request, o), cancellationToken);
        if (!string.IsNullOrEmpty(response.Error))
        {
            throw StoreException.Unavailable($"etcd refused a lease of {request.TTL} s: {response.Error}");
        }

        return response.ID;
    }

    /// <summary>Frees the lease of a write that was refused; if this fails the lease only expires later, unused.</summary>
    private async Task RevokeQuietlyAsync(long lease)
    {
        if (lease == 0)
        {
            return;
        }

        try
        {
            await _caller.CallAsync("revoke lease", o => _lease.LeaseRevokeAsync(new LeaseRevokeRequest { ID = lease }, o), CancellationToken.None);
        }
        catch (Exception e) when (e is StoreException or RpcException or ObjectDisposedException)
        {
            EtcdLog.LeaseRevokeFailed(_logger, lease, e);
        }
    }

    private static void ThrowIfInDoubt(bool inDoubt, string operation, string key)
    {
        // An earlier attempt may have been applied; if so, the compare we just lost is our own doing.
        if (inDoubt)
        {
            throw StoreException.Unavailable($"etcd {operation} of {key}: the connection failed while a first attempt was in flight, and a retry found the key changed; the outcome is unknown, re-read it");
        }
    }

    private long Observe(long revision)
    {
        var seen = Volatile.Read(ref _seenRevision);
        while (revision > seen)
        {
            var was = Interlocked.CompareExchange(ref _seenRevision, revision, seen);
            if (was == seen)
            {
                break;
            }

            seen = was;
        }

        return revision;
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
}
