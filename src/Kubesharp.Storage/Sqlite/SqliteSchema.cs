using Microsoft.Data.Sqlite;

namespace Kubesharp.Storage.Sqlite;

/// <summary>
/// The file layout: a revision log in the spirit of kine. One row per write; the row id is the revision.
/// A delete writes a tombstone row (deleted = 1) that keeps the deleted value for watchers.
/// <c>prev_revision</c> points at the row this one replaced (0 for a create), which gives watchers the
/// previous value by a primary-key lookup. <c>meta</c> keeps the compaction marks, so that the revision
/// counter never goes back even when compaction removed the newest rows.
/// </summary>
internal static class SqliteSchema
{
    public const string CompactRevisionKey = "compact_revision";
    public const string PhysicalCompactRevisionKey = "physical_compact_revision";

    /// <summary>1 once the file holds compaction's invariant: at most one row per key at or before the physical mark.</summary>
    public const string SingleRowBelowMarkKey = "single_row_below_mark";

    /// <summary>The columns of each table, in order: what a file must have to be read as a store (snapshots are checked against it).</summary>
    public static readonly IReadOnlyList<(string Table, string[] Columns)> Columns =
    [
        ("kv", ["id", "name", "create_revision", "prev_revision", "deleted", "expires_at", "value"]),
        ("meta", ["key", "value"]),
    ];

    private const string CreateTables = """
        CREATE TABLE IF NOT EXISTS kv (
            id              INTEGER PRIMARY KEY,
            name            TEXT    NOT NULL,
            create_revision INTEGER NOT NULL,
            prev_revision   INTEGER NOT NULL,
            deleted         INTEGER NOT NULL,
            expires_at      INTEGER NOT NULL,
            value           BLOB    NOT NULL
        );
        CREATE INDEX IF NOT EXISTS kv_name_id ON kv (name, id);
        CREATE TABLE IF NOT EXISTS meta (
            key   TEXT PRIMARY KEY,
            value INTEGER NOT NULL
        );
        """;

    /// <summary>Opens the writer's connection and brings the file to the current schema.</summary>
    public static SqliteConnection OpenWriter(string path, int checkpointPages)
    {
        var connection = new SqliteConnection(ConnectionString(path, pooling: false));
        connection.Open();
        // auto_vacuum must be chosen before the first table exists; on an existing file it is a no-op.
        Exec(connection, "PRAGMA auto_vacuum = INCREMENTAL;");
        Exec(connection, "PRAGMA journal_mode = WAL;");
        // NORMAL in both modes: for Full, the store fdatasyncs the WAL itself after each commit (WalSync).
        Exec(connection, "PRAGMA synchronous = NORMAL;");
        // A WAL that a burst made large is truncated back after checkpoints.
        Exec(connection, "PRAGMA journal_size_limit = 67108864;");
        // The writer checkpoints every few thousand pages, inside a commit. Checkpointing from
        // a connection of its own was tried: under steady writes it rarely caught up, the WAL kept
        // growing, and each fdatasync of a growing file also journals its size (measured 5x slower than
        // an fdatasync of a WAL rewritten in place). A small WAL reused from the top is what keeps syncs cheap.
        Exec(connection, $"PRAGMA wal_autocheckpoint = {checkpointPages};");
        Exec(connection, "PRAGMA cache_size = -32768;");
        Exec(connection, "PRAGMA temp_store = MEMORY;");
        Exec(connection, "PRAGMA busy_timeout = 5000;");
        Exec(connection, CreateTables);
        return connection;
    }

    public static string ConnectionString(string path, bool pooling) => new SqliteConnectionStringBuilder
    {
        DataSource = path,
        Mode = SqliteOpenMode.ReadWriteCreate,
        Cache = SqliteCacheMode.Private,
        Pooling = pooling,
        DefaultTimeout = 30,
    }.ToString();

    public static void Exec(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        command.ExecuteNonQuery();
    }

    public static long ReadMeta(SqliteConnection connection, string key)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT value FROM meta WHERE key = $key";
        command.Parameters.AddWithValue("$key", key);
        return command.ExecuteScalar() is long value ? value : 0;
    }

    public static void WriteMeta(SqliteConnection connection, SqliteTransaction transaction, string key, long value)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "INSERT INTO meta (key, value) VALUES ($key, $value) ON CONFLICT (key) DO UPDATE SET value = excluded.value";
        command.Parameters.AddWithValue("$key", key);
        command.Parameters.AddWithValue("$value", value);
        command.ExecuteNonQuery();
    }
}
