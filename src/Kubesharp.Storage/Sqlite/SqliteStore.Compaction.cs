namespace Kubesharp.Storage.Sqlite;

public sealed partial class SqliteStore
{
    /// <summary>
    /// Records a compaction. From the moment the mark is visible, reads and watches before it fail with
    /// Compacted; only then are rows deleted, so no reader can ever see a half-compacted history as whole.
    /// </summary>
    private void MarkCompaction(WriteOp op)
    {
        var revision = op.Expected;
        if (revision > _committedRevision)
        {
            op.Done.TrySetException(StoreException.FutureRevision(revision, _committedRevision));
            return;
        }

        if (revision > _compactedRevision)
        {
            using var transaction = _writer.BeginTransaction();
            SqliteSchema.WriteMeta(_writer, transaction, SqliteSchema.CompactRevisionKey, revision);
            transaction.Commit();
            // The mark must be on disk before any row it makes unreachable is deleted.
            _walSync?.Sync();
            Volatile.Write(ref _compactedRevision, revision);
        }

        op.Done.TrySetResult(new WriteResult(WriteStatus.Ok, 0, null));
    }

    /// <summary>
    /// Deletes, in one short transaction, the rows of one range of revisions that compaction made
    /// unreachable: rows superseded by a later row at or before the compaction revision, and tombstones
    /// at or before it. The newest row of each live key at the compaction revision stays.
    /// </summary>
    private void CompactChunk()
    {
        var target = Volatile.Read(ref _compactedRevision);
        var from = _physicalCompactedRevision;
        var to = Math.Min(target, from + _options.CompactionChunk);
        int deleted;
        using (var transaction = _writer.BeginTransaction())
        {
            using var command = _writer.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = """
                DELETE FROM kv WHERE id > $from AND id <= $to
                AND (deleted = 1 OR EXISTS (SELECT 1 FROM kv AS later WHERE later.name = kv.name AND later.id > kv.id AND later.id <= $target))
                """;
            command.Parameters.AddWithValue("$from", from);
            command.Parameters.AddWithValue("$to", to);
            command.Parameters.AddWithValue("$target", target);
            deleted = command.ExecuteNonQuery();
            SqliteSchema.WriteMeta(_writer, transaction, SqliteSchema.PhysicalCompactRevisionKey, to);
            transaction.Commit();
        }

        _physicalCompactedRevision = to;
        if (to == target)
        {
            // Hand freed pages back to the file system a bounded amount at a time.
            SqliteSchema.Exec(_writer, "PRAGMA incremental_vacuum(2048);");
        }

        StorageLog.CompactedChunk(_logger, deleted, from, to, target);
    }
}
