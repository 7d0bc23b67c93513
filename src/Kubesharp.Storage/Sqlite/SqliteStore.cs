using System.Threading.Channels;
using Kubesharp.Storage.Watch;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.Storage.Sqlite;

/// <summary>
/// The embedded store: one SQLite file, one writer, group commit, watch pushed from the writer.
/// </summary>
/// <remarks>
/// <para>Every write goes through a bounded queue to a single writer, which takes whatever is waiting
/// (up to <see cref="SqliteStoreOptions.MaxBatch"/>), decides each compare-and-swap against its own
/// in-memory index of live keys, writes the rows in one transaction, commits it (one fsync for the whole
/// group), and only then acknowledges the writes, publishes their events to watchers and updates the
/// index. The writer owns the index and the revision counter; nothing else mutates them.</para>
/// <para>Reads run on pooled reader connections (WAL lets them run beside the writer) at an explicit
/// revision: a read at "now" uses the last committed revision, so it sees every acknowledged write.</para>
/// <para>Compaction first records its revision (reads and watches before it fail from then on), then
/// deletes the superseded rows in small transactions interleaved with the write batches.</para>
/// <para>One process owns the file: a lock file beside it is held for the store's lifetime.</para>
/// </remarks>
public sealed partial class SqliteStore : IStore, IHistorySource
{
    private readonly SqliteStoreOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly FileStream _lockFile;
    private readonly string _readConnectionString;
    private readonly Channel<WriteOp> _queue;
    private readonly WatchHub _hub;
    private readonly TtlExpirer _expirer;
    private readonly CancellationTokenSource _stop = new();
    private readonly ITimer? _compactionTimer;
    private long _committedRevision;
    private long _compactedRevision;
    private int _disposed;

    private SqliteStore(SqliteStoreOptions options, TimeProvider time, ILogger logger, FileStream lockFile)
    {
        _options = options;
        _time = time;
        _logger = logger;
        _lockFile = lockFile;
        _readConnectionString = SqliteSchema.ConnectionString(options.Path, pooling: true);
        _queue = Channel.CreateBounded<WriteOp>(new BoundedChannelOptions(options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _writer = SqliteSchema.OpenWriter(options.Path, options.CheckpointPages);
        _walSync = options.Durability == SqliteDurability.Full ? new WalSync(options.Path) : null;
        _insert = PrepareInsert();
        _selectRow = PrepareSelectRow();
        _hub = new WatchHub(options.WatchCacheEvents, 0);
        _expirer = new TtlExpirer(time, (key, rev, ct) => DeleteExpiredAsync(key, rev, ct), logger);
        if (options.CompactionInterval > TimeSpan.Zero)
        {
            _compactionTimer = time.CreateTimer(_ => _ = CompactInBackgroundAsync(), null, options.CompactionInterval, options.CompactionInterval);
        }
    }

    public string Name => "sqlite";

    /// <summary>The file this store writes.</summary>
    public string Path => _options.Path;

    long IHistorySource.CompactedRevision => Volatile.Read(ref _compactedRevision);

    /// <summary>
    /// Opens (or creates) the store file, recovers every key and the revision counter, and starts the
    /// writer. Throws Unavailable when another process holds the file.
    /// </summary>
    public static Task<SqliteStore> OpenAsync(SqliteStoreOptions options, TimeProvider? time = null, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(options.Path);
        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(options.Path))!;
        Directory.CreateDirectory(directory);
        FileStream lockFile;
        try
        {
            lockFile = AcquireLock(options.Path);
        }
        catch (IOException e)
        {
            throw StoreException.Unavailable($"the store file {options.Path} is in use by another process", e);
        }

        SqliteStore? store = null;
        try
        {
            store = new SqliteStore(options, time ?? TimeProvider.System, logger ?? NullLogger.Instance, lockFile);
            store.Recover();
            new Thread(store.RunWriter) { IsBackground = true, Name = "kubesharp-sqlite-writer" }.Start();

            return Task.FromResult(store);
        }
        catch
        {
            if (store is not null)
            {
                store._writer.Dispose();
            }

            lockFile.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Takes the lock file beside the store file (<c>state.db.lock</c>), which the owner holds for its lifetime.
    /// FileShare.None is an exclusive, non-blocking flock(2) on Linux, released by the kernel when the process
    /// dies, so a stale file from a killed server never blocks anyone. Throws <see cref="IOException"/> when held.
    /// </summary>
    internal static FileStream AcquireLock(string databasePath) =>
        new(databasePath + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);

    /// <summary>Runs the time-to-live check now, for tests on fake time.</summary>
    public Task ExpireDueAsync(CancellationToken cancellationToken = default) => _expirer.ExpireDueAsync(cancellationToken);

    public ValueTask<WriteResult> CreateAsync(string key, ReadOnlyMemory<byte> value, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        StoreLimits.ValidateKey(key);
        StoreLimits.ValidateValue(value.Span);
        StoreLimits.ValidateTtl(ttl);
        return SubmitAsync(new WriteOp(OpKind.Create, key, value.ToArray(), 0, ExpiresAt(ttl)), cancellationToken);
    }

    public ValueTask<WriteResult> UpdateAsync(string key, ReadOnlyMemory<byte> value, long expectedModRevision, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        StoreLimits.ValidateKey(key);
        StoreLimits.ValidateValue(value.Span);
        StoreLimits.ValidateTtl(ttl);
        StoreLimits.ValidateRevision(expectedModRevision, "expected mod revision");
        return SubmitAsync(new WriteOp(OpKind.Update, key, value.ToArray(), expectedModRevision, ExpiresAt(ttl)), cancellationToken);
    }

    public ValueTask<WriteResult> DeleteAsync(string key, long? expectedModRevision = null, CancellationToken cancellationToken = default)
    {
        StoreLimits.ValidateKey(key);
        if (expectedModRevision is { } expected)
        {
            StoreLimits.ValidateRevision(expected, "expected mod revision");
        }

        return SubmitAsync(new WriteOp(OpKind.Delete, key, null, expectedModRevision ?? -1, 0), cancellationToken);
    }

    public async ValueTask CompactAsync(long revision, CancellationToken cancellationToken = default)
    {
        StoreLimits.ValidateRevision(revision);
        await SubmitAsync(new WriteOp(OpKind.Compact, string.Empty, null, revision, 0), cancellationToken);
    }

    public ValueTask<long> GetCurrentRevisionAsync(CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Volatile.Read(ref _committedRevision));

    public ValueTask<long> GetCompactedRevisionAsync(CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Volatile.Read(ref _compactedRevision));

    public IAsyncEnumerable<WatchEvent> WatchAsync(string prefix, long afterRevision, CancellationToken cancellationToken = default)
    {
        StoreLimits.ValidatePrefix(prefix);
        StoreLimits.ValidateRevision(afterRevision);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var current = Volatile.Read(ref _committedRevision);
        if (afterRevision > current)
        {
            throw StoreException.FutureRevision(afterRevision, current);
        }

        return HubWatcher.Watch(_hub, this, prefix, afterRevision, cancellationToken);
    }

    private async ValueTask<WriteResult> SubmitAsync(WriteOp op, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        try
        {
            await _queue.Writer.WriteAsync(op, cancellationToken);
            _wake.Set();
        }
        catch (ChannelClosedException)
        {
            throw new ObjectDisposedException(nameof(SqliteStore));
        }

        // Once queued, a write is not cancelled: it may already be in a commit.
        return await op.Done.Task;
    }

    private long ExpiresAt(TimeSpan? ttl) => ttl is { } t ? (_time.GetUtcNow() + t).ToUnixTimeMilliseconds() : 0;

    private async ValueTask DeleteExpiredAsync(string key, long modRevision, CancellationToken cancellationToken) =>
        await DeleteAsync(key, modRevision, cancellationToken);

    private async Task CompactInBackgroundAsync()
    {
        try
        {
            var target = Volatile.Read(ref _committedRevision) - _options.KeepRevisions;
            if (target > Volatile.Read(ref _compactedRevision))
            {
                await CompactAsync(target, _stop.Token);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException and not ObjectDisposedException)
        {
            StorageLog.CompactionFailed(_logger, e, _options.Path);
        }
        catch (Exception)
        {
            // Shutting down.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_compactionTimer is not null)
        {
            await _compactionTimer.DisposeAsync();
        }

        await _expirer.DisposeAsync();
        _queue.Writer.TryComplete();
        _wake.Set();
        await _writerDone.Task;
        _wake.Dispose();
        await _stop.CancelAsync();
        // Leave a compact file behind: everything in the database, an empty WAL.
        SqliteSchema.Exec(_writer, "PRAGMA wal_checkpoint(TRUNCATE);");
        _hub.Close();
        _insert.Dispose();
        _selectRow.Dispose();
        _writer.Dispose();
        _walSync?.Dispose();
        SqliteConnection.ClearPool(new SqliteConnection(_readConnectionString));
        await _lockFile.DisposeAsync();
        _stop.Dispose();
    }

    private enum OpKind
    {
        Create,
        Update,
        Delete,
        Compact,
    }

    private sealed class WriteOp(OpKind kind, string key, byte[]? value, long expected, long expiresAt)
    {
        public OpKind Kind { get; } = kind;

        public string Key { get; } = key;

        public byte[]? Value { get; } = value;

        /// <summary>The expected mod revision (-1: none), or the compaction revision.</summary>
        public long Expected { get; } = expected;

        /// <summary>Unix milliseconds; 0 for no time-to-live.</summary>
        public long ExpiresAt { get; } = expiresAt;

        public TaskCompletionSource<WriteResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
