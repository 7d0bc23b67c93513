using Etcdserverpb;
using Grpc.Core;

namespace Kubesharp.Storage.Etcd;

/// <summary>Compaction, and finding out where etcd's kept history begins.</summary>
public sealed partial class EtcdStore
{
    private long _compactionCandidate;
    private int _compacting;

    /// <summary>
    /// One tick of the periodic compaction (upstream's compactor): compacts to the revision the previous tick saw, then
    /// remembers the current one for the next. Failures are logged and the next tick tries again.
    /// </summary>
    private async Task CompactPeriodicallyAsync()
    {
        if (Interlocked.Exchange(ref _compacting, 1) == 1 || Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        try
        {
            var current = await GetCurrentRevisionAsync(_closing.Token);
            var target = Interlocked.Exchange(ref _compactionCandidate, current);
            if (target > 0 && target > Volatile.Read(ref _knownCompacted))
            {
                await CompactAsync(target, _closing.Token);
                EtcdLog.Compacted(_logger, target);
            }
        }
        catch (Exception e) when (e is StoreException or RpcException or OperationCanceledException or ObjectDisposedException)
        {
            if (Volatile.Read(ref _disposed) == 0)
            {
                EtcdLog.CompactionFailed(_logger, e.Message);
            }
        }
        finally
        {
            Volatile.Write(ref _compacting, 0);
        }
    }

    public async ValueTask CompactAsync(long revision, CancellationToken cancellationToken = default)
    {
        StoreLimits.ValidateRevision(revision);
        ThrowIfDisposed();
        if (revision == 0 || revision <= Volatile.Read(ref _knownCompacted))
        {
            return;
        }

        try
        {
            // physical=false: the compaction is in force (old revisions unreadable) once this returns; etcd
            // frees the space in the background.
            var (response, _) = await _caller.CallAsync("compact", o => _kv.CompactAsync(new CompactionRequest { Revision = revision }, o), cancellationToken);
            Observe(response.Header.Revision);
        }
        catch (RpcException e) when (EtcdErrors.IsCompacted(e))
        {
            // Someone compacted to this revision or beyond already: nothing to do, as the contract says.
        }
        catch (RpcException e) when (EtcdErrors.IsFutureRevision(e))
        {
            throw StoreException.FutureRevision(revision, await CurrentRevisionForErrorAsync(cancellationToken));
        }
        catch (RpcException e)
        {
            throw EtcdErrors.Permanent("compact", e);
        }

        ObserveCompaction(revision);
    }

    /// <summary>
    /// The revision of the last compaction, as etcd enforces it: the oldest revision a read at which succeeds.
    /// </summary>
    /// <remarks>
    /// etcd has no call that returns it. It is found by reading the probe key at chosen revisions (a read
    /// below the compaction fails with Compacted, one at or above succeeds): one read when nothing was
    /// compacted since the last answer or this client's last compaction, else a binary search of about
    /// log2(revisions since) reads. A compaction running at the same time may or may not be seen. A
    /// compaction to revision 1 forgets nothing and is reported as 0.
    /// </remarks>
    public async ValueTask<long> GetCompactedRevisionAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        var known = Volatile.Read(ref _knownCompacted);
        var low = Math.Max(known, 1);
        if (await IsReadableAsync(low, cancellationToken))
        {
            return known;
        }

        // Invariant: low is not readable, high is (the current revision always is).
        var high = await GetCurrentRevisionAsync(cancellationToken);
        while (high - low > 1)
        {
            var mid = low + ((high - low) / 2);
            if (await IsReadableAsync(mid, cancellationToken))
            {
                high = mid;
            }
            else
            {
                low = mid;
            }
        }

        ObserveCompaction(high);
        return high;
    }

    private async Task<bool> IsReadableAsync(long revision, CancellationToken cancellationToken)
    {
        try
        {
            var (response, _) = await _caller.CallAsync(
                "find compacted revision",
                o => _kv.RangeAsync(new RangeRequest { Key = ProbeKey, Revision = revision, CountOnly = true }, o),
                cancellationToken);
            Observe(response.Header.Revision);
            return true;
        }
        catch (RpcException e) when (EtcdErrors.IsCompacted(e))
        {
            return false;
        }
        catch (RpcException e) when (EtcdErrors.IsFutureRevision(e))
        {
            return true;
        }
        catch (RpcException e)
        {
            throw EtcdErrors.Permanent("find compacted revision", e);
        }
    }

    private void ObserveCompaction(long revision)
    {
        var known = Volatile.Read(ref _knownCompacted);
        while (revision > known)
        {
            var was = Interlocked.CompareExchange(ref _knownCompacted, revision, known);
            if (was == known)
            {
                break;
            }

            known = was;
        }
    }
}
