using Microsoft.Data.Sqlite;

namespace Kubesharp.Storage.Sqlite;

public sealed partial class SqliteStore
{
    // The newest row of each key at or before $rev, in key order, skipping tombstones. The index on
    // (name, id) serves both the range scan and the correlated MAX, so a page stops after $limit rows.
    private const string ListSql = """
        SELECT o.name, o.value, o.create_revision, o.id FROM kv AS o
        WHERE o.name >= $start AND o.name < $end AND o.deleted = 0
          AND o.id = (SELECT MAX(i.id) FROM kv AS i WHERE i.name = o.name AND i.id <= $rev)
        ORDER BY o.name
        LIMIT $limit
        """;

    private const string CountSql = """
        SELECT COUNT(*) FROM kv AS o
        WHERE o.name >= $start AND o.name < $end AND o.deleted = 0
          AND o.id = (SELECT MAX(i.id) FROM kv AS i WHERE i.name = o.name AND i.id <= $rev)
        """;

    private const string GetSql = "SELECT value, create_revision, id, deleted FROM kv WHERE name = $name AND id <= $rev ORDER BY id DESC LIMIT 1";

    private const string HistorySql = """
        SELECT o.id, o.name, o.create_revision, o.deleted, o.value, p.id, p.create_revision, p.value
        FROM kv AS o LEFT JOIN kv AS p ON p.id = o.prev_revision
        WHERE o.id >= $from AND o.id <= $to
        ORDER BY o.id
        LIMIT $max
        """;

    public async ValueTask<KeyValue?> GetAsync(string key, long revision = 0, CancellationToken cancellationToken = default)
    {
        StoreLimits.ValidateKey(key);
        StoreLimits.ValidateRevision(revision);
        while (true)
        {
            var at = ReadRevision(revision);
            await using var connection = await OpenReaderAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = GetSql;
            command.Parameters.AddWithValue("$name", key);
            command.Parameters.AddWithValue("$rev", at);
            KeyValue? result = null;
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                if (await reader.ReadAsync(cancellationToken) && reader.GetInt64(3) == 0)
                {
                    result = new KeyValue(key, (byte[])reader.GetValue(0), reader.GetInt64(1), reader.GetInt64(2));
                }
            }

            if (StillReadable(revision, at))
            {
                return result;
            }
        }
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

        while (true)
        {
            var at = ReadRevision(revision);
            await using var connection = await OpenReaderAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = ListSql;
            command.Parameters.AddWithValue("$start", start);
            command.Parameters.AddWithValue("$end", StoreLimits.PrefixEnd(prefix));
            command.Parameters.AddWithValue("$rev", at);
            command.Parameters.AddWithValue("$limit", limit > 0 ? limit + 1 : -1);
            var items = new List<KeyValue>(limit > 0 ? (int)Math.Min(limit + 1, 10_000) : 64);
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    items.Add(new KeyValue(reader.GetString(0), (byte[])reader.GetValue(1), reader.GetInt64(2), reader.GetInt64(3)));
                }
            }

            if (!StillReadable(revision, at))
            {
                continue;
            }

            string? next = null;
            if (limit > 0 && items.Count > limit)
            {
                items.RemoveAt(items.Count - 1);
                next = ContinueToken.Encode(prefix, at, items[^1].Key + "\0");
            }

            return new ListResult(items, at, next, null);
        }
    }

    public async ValueTask<long> CountAsync(string prefix, CancellationToken cancellationToken = default)
    {
        StoreLimits.ValidatePrefix(prefix);
        while (true)
        {
            var at = ReadRevision(0);
            await using var connection = await OpenReaderAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = CountSql;
            command.Parameters.AddWithValue("$start", prefix);
            command.Parameters.AddWithValue("$end", StoreLimits.PrefixEnd(prefix));
            command.Parameters.AddWithValue("$rev", at);
            var count = (long)(await command.ExecuteScalarAsync(cancellationToken))!;
            if (StillReadable(0, at))
            {
                return count;
            }
        }
    }

    async ValueTask<IReadOnlyList<WatchEvent>> Watch.IHistorySource.ReadHistoryAsync(long from, long to, int max, CancellationToken cancellationToken)
    {
        var compacted = Volatile.Read(ref _compactedRevision);
        if (from <= compacted)
        {
            throw StoreException.Compacted(from, compacted);
        }

        var events = new List<WatchEvent>(max);
        await using (var connection = await OpenReaderAsync(cancellationToken))
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = HistorySql;
            command.Parameters.AddWithValue("$from", from);
            command.Parameters.AddWithValue("$to", to);
            command.Parameters.AddWithValue("$max", max);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var name = reader.GetString(1);
                var kv = new KeyValue(name, (byte[])reader.GetValue(4), reader.GetInt64(2), reader.GetInt64(0));
                var previous = reader.IsDBNull(5) ? null : new KeyValue(name, (byte[])reader.GetValue(7), reader.GetInt64(6), reader.GetInt64(5));
                events.Add(reader.GetInt64(3) != 0
                    ? new WatchEvent(WatchEventType.Delete, kv, previous)
                    : new WatchEvent(WatchEventType.Put, kv, previous));
            }
        }

        // A compaction that ran during the read may have removed rows we needed: report it as such.
        compacted = Volatile.Read(ref _compactedRevision);
        if (from <= compacted)
        {
            throw StoreException.Compacted(from, compacted);
        }

        return events;
    }

    private async ValueTask<SqliteConnection> OpenReaderAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var connection = new SqliteConnection(_readConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            return connection;
        }
        catch (SqliteException e)
        {
            await connection.DisposeAsync();
            throw StoreException.Unavailable($"cannot read {_options.Path}: {e.Message}", e);
        }
    }

    /// <summary>The revision a read runs at: the last committed one for "now", else the requested one if still kept.</summary>
    private long ReadRevision(long requested)
    {
        var committed = Volatile.Read(ref _committedRevision);
        if (requested == 0)
        {
            return committed;
        }

        if (requested > committed)
        {
            throw StoreException.FutureRevision(requested, committed);
        }

        var compacted = Volatile.Read(ref _compactedRevision);
        if (requested < compacted)
        {
            throw StoreException.Compacted(requested, compacted);
        }

        return requested;
    }

    /// <summary>
    /// After a read: true if no compaction passed the read's revision meanwhile. A read at "now" that lost
    /// that race is simply retried at a newer revision; a read at an explicit revision gets Compacted.
    /// </summary>
    private bool StillReadable(long requested, long at)
    {
        var compacted = Volatile.Read(ref _compactedRevision);
        if (at >= compacted)
        {
            return true;
        }

        return requested == 0 ? false : throw StoreException.Compacted(requested, compacted);
    }
}
