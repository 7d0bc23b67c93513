using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace Kubesharp.Storage.Sqlite;

public sealed partial class SqliteStore
{
    // Owned by the writer loop alone (and by Recover, before the loop starts).
    private readonly SqliteConnection _writer;
    private readonly WalSync? _walSync;
    private readonly SqliteCommand _insert;
    private readonly SqliteCommand _selectRow;
    private readonly Dictionary<string, Live> _index = new(StringComparer.Ordinal);
    private long _physicalCompactedRevision;
    private readonly ManualResetEventSlim _wake = new(false);
    private readonly TaskCompletionSource _writerDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private WriteOp? _held;
    private readonly WriterStats _stats = new();

    /// <summary>Group-commit figures since the store opened: batches, writes, time applying and committing.</summary>
    public WriterStats Stats => _stats;

    /// <summary>
    /// The writer's own thread. SQLite calls are synchronous, and a commit holds the thread for an fsync;
    /// on a dedicated thread neither the commit nor the wake-up after it waits behind thread-pool work,
    /// which is what keeps batches large when many writers are queued.
    /// </summary>
    private void RunWriter()
    {
        try
        {
            WriterLoop();
            _writerDone.TrySetResult();
        }
        catch (Exception e)
        {
            _writerDone.TrySetException(e);
        }
    }

    private void WriterLoop()
    {
        var reader = _queue.Reader;
        var batch = new List<WriteOp>(_options.MaxBatch);
        while (true)
        {
            try
            {
                FillBatch(batch);
                if (batch.Count == 0)
                {
                    if (_physicalCompactedRevision < Volatile.Read(ref _compactedRevision))
                    {
                        CompactChunk();
                        continue;
                    }

                    // Reset, then look again, then sleep: a write queued in between is never missed.
                    _wake.Reset();
                    if (reader.TryPeek(out _))
                    {
                        continue;
                    }

                    if (reader.Completion.IsCompleted)
                    {
                        return;
                    }

                    _wake.Wait();
                    continue;
                }

                if (batch[0].Kind == OpKind.Compact)
                {
                    MarkCompaction(batch[0]);
                }
                else
                {
                    CommitBatch(batch);
                }

                // One bounded chunk of physical compaction between write batches keeps writers moving.
                if (_physicalCompactedRevision < Volatile.Read(ref _compactedRevision))
                {
                    CompactChunk();
                }
            }
            catch (Exception e)
            {
                // The batch's callers were told; the loop itself must survive to serve the next writes.
                StorageLog.WriterFailed(_logger, e, _options.Path);
                foreach (var op in batch)
                {
                    op.Done.TrySetException(StoreException.Unavailable($"write to {_options.Path} failed: {e.Message}", e));
                }
            }
            finally
            {
                batch.Clear();
            }
        }
    }

    /// <summary>Takes what is waiting. A compaction travels alone so that it is ordered with the writes.</summary>
    private void FillBatch(List<WriteOp> batch)
    {
        if (_held is not null)
        {
            batch.Add(_held);
            _held = null;
            if (batch[0].Kind == OpKind.Compact)
            {
                return;
            }
        }

        while (batch.Count < _options.MaxBatch && _queue.Reader.TryRead(out var op))
        {
            if (op.Kind == OpKind.Compact)
            {
                if (batch.Count == 0)
                {
                    batch.Add(op);
                }
                else
                {
                    _held = op;
                }

                return;
            }

            batch.Add(op);
        }
    }

    private void CommitBatch(List<WriteOp> batch)
    {
        var started = Stopwatch.GetTimestamp();
        var pending = new Dictionary<string, Pending>(StringComparer.Ordinal);
        var results = new WriteResult[batch.Count];
        var events = new List<WatchEvent>(batch.Count);
        var revision = _committedRevision;
        using (var transaction = _writer.BeginTransaction())
        {
            _insert.Transaction = transaction;
            _selectRow.Transaction = transaction;
            for (var i = 0; i < batch.Count; i++)
            {
                results[i] = Apply(batch[i], pending, events, ref revision);
            }

            var applied = Stopwatch.GetTimestamp();
            transaction.Commit();
            _walSync?.Sync();
            _stats.Record(batch.Count, applied - started, Stopwatch.GetTimestamp() - applied);
        }

        // Durable from here on: the index, then what readers, watchers and callers see.
        foreach (var (key, p) in pending)
        {
            if (p.Kv is null)
            {
                _index.Remove(key);
            }
            else
            {
                _index[key] = new Live(p.Kv.CreateRevision, p.Kv.ModRevision);
            }
        }

        Volatile.Write(ref _committedRevision, revision);
        _hub.Publish(events);
        for (var i = 0; i < batch.Count; i++)
        {
            var op = batch[i];
            var result = results[i];
            if (result.Succeeded && op.ExpiresAt != 0 && op.Kind != OpKind.Delete)
            {
                _expirer.Track(op.Key, result.Revision, DateTimeOffset.FromUnixTimeMilliseconds(op.ExpiresAt));
            }

            op.Done.TrySetResult(result);
        }
    }

    private WriteResult Apply(WriteOp op, Dictionary<string, Pending> pending, List<WatchEvent> events, ref long revision)
    {
        KeyValue? current = pending.TryGetValue(op.Key, out var p) ? p.Kv : CurrentOf(op.Key);
        switch (op.Kind)
        {
            case OpKind.Create:
                {
                    if (current is not null)
                    {
                        return new WriteResult(WriteStatus.AlreadyExists, 0, current);
                    }

                    var rev = ++revision;
                    var kv = new KeyValue(op.Key, op.Value!, rev, rev);
                    Insert(kv, prevRevision: 0, deleted: false, op.ExpiresAt);
                    pending[op.Key] = new Pending(kv);
                    events.Add(new WatchEvent(WatchEventType.Put, kv, null));
                    return new WriteResult(WriteStatus.Ok, rev, kv);
                }

            case OpKind.Update:
                {
                    if (current is null)
                    {
                        return WriteResult.NotFound();
                    }

                    if (current.ModRevision != op.Expected)
                    {
                        return new WriteResult(WriteStatus.Conflict, 0, current);
                    }

                    var rev = ++revision;
                    var kv = new KeyValue(op.Key, op.Value!, current.CreateRevision, rev);
                    Insert(kv, current.ModRevision, deleted: false, op.ExpiresAt);
                    pending[op.Key] = new Pending(kv);
                    events.Add(new WatchEvent(WatchEventType.Put, kv, current));
                    return new WriteResult(WriteStatus.Ok, rev, kv);
                }

            case OpKind.Delete:
                {
                    if (current is null)
                    {
                        return WriteResult.NotFound();
                    }

                    if (op.Expected >= 0 && current.ModRevision != op.Expected)
                    {
                        return new WriteResult(WriteStatus.Conflict, 0, current);
                    }

                    var rev = ++revision;
                    var tombstone = current with { ModRevision = rev };
                    Insert(tombstone, current.ModRevision, deleted: true, 0);
                    pending[op.Key] = new Pending(null);
                    events.Add(new WatchEvent(WatchEventType.Delete, tombstone, current));
                    return new WriteResult(WriteStatus.Ok, rev, current);
                }

            default:
                throw new InvalidOperationException($"unexpected write kind {op.Kind}");
        }
    }

    /// <summary>The live value of a key, read by primary key inside the writer's transaction.</summary>
    private KeyValue? CurrentOf(string key)
    {
        if (!_index.TryGetValue(key, out var live))
        {
            return null;
        }

        _selectRow.Parameters[0].Value = live.ModRevision;
        using var reader = _selectRow.ExecuteReader();
        if (!reader.Read())
        {
            throw new InvalidOperationException($"index names revision {live.ModRevision} for {key} but the row is missing");
        }

        return new KeyValue(key, (byte[])reader.GetValue(0), live.CreateRevision, live.ModRevision);
    }

    private void Insert(KeyValue kv, long prevRevision, bool deleted, long expiresAt)
    {
        var parameters = _insert.Parameters;
        parameters[0].Value = kv.ModRevision;
        parameters[1].Value = kv.Key;
        parameters[2].Value = kv.CreateRevision;
        parameters[3].Value = prevRevision;
        parameters[4].Value = deleted ? 1 : 0;
        parameters[5].Value = expiresAt;
        parameters[6].Value = kv.Value;
        _insert.ExecuteNonQuery();
    }

    private SqliteCommand PrepareInsert()
    {
        var command = _writer.CreateCommand();
        command.CommandText = "INSERT INTO kv (id, name, create_revision, prev_revision, deleted, expires_at, value) VALUES ($id, $name, $create, $prev, $deleted, $expires, $value)";
        foreach (var name in new[] { "$id", "$name", "$create", "$prev", "$deleted", "$expires", "$value" })
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        return command;
    }

    private SqliteCommand PrepareSelectRow()
    {
        var command = _writer.CreateCommand();
        command.CommandText = "SELECT value FROM kv WHERE id = $id";
        command.Parameters.Add(new SqliteParameter { ParameterName = "$id" });
        return command;
    }

    /// <summary>
    /// Reads the file back: the revision counter, the compaction marks, every live key (with the
    /// time-to-live still owed), and resumes a physical compaction that a crash interrupted.
    /// </summary>
    private void Recover()
    {
        _compactedRevision = SqliteSchema.ReadMeta(_writer, SqliteSchema.CompactRevisionKey);
        _physicalCompactedRevision = SqliteSchema.ReadMeta(_writer, SqliteSchema.PhysicalCompactRevisionKey);
        RepairCompactedRows();
        using (var command = _writer.CreateCommand())
        {
            command.CommandText = "SELECT COALESCE(MAX(id), 0) FROM kv";
            _committedRevision = Math.Max((long)command.ExecuteScalar()!, _compactedRevision);
        }

        using (var command = _writer.CreateCommand())
        {
            command.CommandText = """
                SELECT k.name, k.create_revision, k.id, k.expires_at FROM kv AS k
                JOIN (SELECT MAX(id) AS id FROM kv GROUP BY name) AS latest ON k.id = latest.id
                WHERE k.deleted = 0
                """;
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var name = reader.GetString(0);
                var modRevision = reader.GetInt64(2);
                _index[name] = new Live(reader.GetInt64(1), modRevision);
                var expiresAt = reader.GetInt64(3);
                if (expiresAt != 0)
                {
                    _expirer.Track(name, modRevision, DateTimeOffset.FromUnixTimeMilliseconds(expiresAt));
                }
            }
        }

        _hub.Reset(_committedRevision);
        StorageLog.Opened(_logger, _options.Path, _committedRevision, _index.Count, _compactedRevision);
    }

    /// <summary>
    /// The live entry of a key: enough to decide a compare-and-swap without touching the file. Values
    /// stay on disk (the API server's watch cache holds the objects); an update reads the previous value
    /// by primary key, because watchers need it.
    /// </summary>
    private readonly record struct Live(long CreateRevision, long ModRevision);

    /// <summary>A key's state inside the batch being written; null when the batch deleted it.</summary>
    private readonly record struct Pending(KeyValue? Kv);
}
