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
    /// Deletes, in one short transaction, what one range of revisions (from, to] makes unreachable: the
    /// row each row of the range replaced (its <c>prev_revision</c>, wherever that row lies), and the
    /// range's tombstones. The newest row of each live key at the compaction revision stays.
    /// </summary>
    /// <remarks>
    /// The invariant, for the physical mark P: every key has at most one row at or before P, and it is not
    /// a tombstone. A range keeps it because a key's rows form a chain through <c>prev_revision</c> (a create
    /// starts a new chain at 0, after a tombstone): deleting the predecessor of every row in the range and
    /// the range's tombstones leaves only the key's last row in the range, if it is live, and nothing older.
    /// A row and the tombstone that ends it go in the same transaction, so no reader sees the row come back.
    /// Deciding a row by what supersedes it "at or before the target" instead (the first version) is wrong
    /// across compactions: a row kept because its successor lay beyond one target was never looked at again,
    /// while that successor, a tombstone, was deleted by a later compaction, and the deleted key reappeared.
    /// </remarks>
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
                DELETE FROM kv WHERE id IN (
                    SELECT prev_revision FROM kv WHERE id > $from AND id <= $to AND prev_revision != 0
                    UNION ALL
                    SELECT id FROM kv WHERE id > $from AND id <= $to AND deleted = 1)
                """;
            command.Parameters.AddWithValue("$from", from);
            command.Parameters.AddWithValue("$to", to);
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

    /// <summary>
    /// Brings a file that the first version of <see cref="CompactChunk"/> compacted to its invariant, once per
    /// file: that version left a row behind whenever the row replacing it lay beyond the target of the time,
    /// so a key can have several rows at or before the mark. Left there, the next compaction that deleted the
    /// key's tombstone would bring back its older rows. Reads are all at or after the compaction revision,
    /// so removing every row that a later row at or before the mark replaced changes none of them. A key
    /// whose tombstone the first version already deleted cannot be told apart from a live one: it stays.
    /// </summary>
    private void RepairCompactedRows()
    {
        if (SqliteSchema.ReadMeta(_writer, SqliteSchema.SingleRowBelowMarkKey) == 1)
        {
            return;
        }

        var mark = _physicalCompactedRevision;
        using var transaction = _writer.BeginTransaction();
        long keys;
        using (var count = _writer.CreateCommand())
        {
            count.Transaction = transaction;
            count.CommandText = """
                SELECT COUNT(DISTINCT name) FROM kv WHERE id <= $mark
                AND EXISTS (SELECT 1 FROM kv AS later WHERE later.name = kv.name AND later.id > kv.id AND later.id <= $mark)
                """;
            count.Parameters.AddWithValue("$mark", mark);
            keys = (long)count.ExecuteScalar()!;
        }

        var rows = 0;
        if (keys > 0)
        {
            using var command = _writer.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = """
                DELETE FROM kv WHERE id <= $mark
                AND EXISTS (SELECT 1 FROM kv AS later WHERE later.name = kv.name AND later.id > kv.id AND later.id <= $mark)
                """;
            command.Parameters.AddWithValue("$mark", mark);
            rows = command.ExecuteNonQuery();
        }

        SqliteSchema.WriteMeta(_writer, transaction, SqliteSchema.SingleRowBelowMarkKey, 1);
        transaction.Commit();
        if (rows > 0)
        {
            StorageLog.RepairedCompaction(_logger, _options.Path, rows, keys, mark);
        }
    }
}
