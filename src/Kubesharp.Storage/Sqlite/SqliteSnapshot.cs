using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Kubesharp.Storage.Sqlite;

/// <summary>How <see cref="SqliteSnapshot.Take"/> copies the live file.</summary>
public enum SnapshotMethod
{
    /// <summary>SQLite's online backup API, all pages in one step (one read transaction). The default: copies pages as they are.</summary>
    OnlineBackup,

    /// <summary><c>VACUUM INTO</c>: a rebuilt, defragmented copy (one read transaction); measured no cheaper (docs/operations.md).</summary>
    VacuumInto,
}

/// <summary>A verified snapshot file: where it is, its size, the store revision it holds and its live keys.</summary>
public sealed record SnapshotInfo(string Path, long SizeBytes, long Revision, long Keys);

/// <summary>The outcome of checking that a file is a Kubesharp store: its revision and keys, or what is wrong.</summary>
public sealed record SnapshotCheck(bool Ok, long Revision, long Keys, string? Problem)
{
    public static SnapshotCheck Bad(string problem) => new(false, 0, 0, problem);
}

/// <summary>What <see cref="SqliteSnapshot.Restore"/> did.</summary>
public enum RestoreStatus
{
    /// <summary>The snapshot is in place; the previous file (if any) was kept aside.</summary>
    Restored,

    /// <summary>A process holds the store (its lock file is locked): nothing was changed.</summary>
    InUse,

    /// <summary>The file is missing, damaged, or not a Kubesharp store: nothing was changed.</summary>
    NotAStore,
}

/// <summary>The result of a restore: the status, the revision restored, the previous file's new name, or the problem.</summary>
public sealed record RestoreResult(RestoreStatus Status, long Revision, string? KeptAside, string? Problem);

/// <summary>
/// Snapshots and restores of the embedded store's file (<c>&lt;data-dir&gt;/db/state.db</c>).
/// </summary>
/// <remarks>
/// <para><b>Consistency.</b> A snapshot is taken by a connection of its own, beside a running store: in WAL mode
/// it reads inside one read transaction, which sees exactly the group commits finished when it began and none
/// after, so the copy holds every row up to one revision and no row past it (a prefix of the revision log). It
/// never takes the store's lock and never blocks its writer; while it runs, the writer's checkpoints cannot reset
/// the WAL, which grows by the writes made meanwhile.</para>
/// <para><b>Atomicity.</b> The copy is written to a temporary file beside the target, switched to rollback-journal
/// mode (so that the snapshot is one self-contained file, with no <c>-wal</c> beside it), verified, fsynced, and
/// only then renamed to its name: a crash leaves the temporary file, never a partial snapshot under the name.</para>
/// <para><b>Restore</b> holds the store's lock file (the one <see cref="SqliteStore"/> holds for its lifetime, an
/// exclusive <c>flock</c>) for its whole run, so it refuses while a server has the store open and no server can open
/// it half-restored. The current file, with its <c>-wal</c> and <c>-shm</c>, is renamed aside together (so it stays
/// openable as it was) before the snapshot's copy is renamed into place.</para>
/// <para>All members are synchronous (SQLite calls are) and thread-safe across distinct paths.</para>
/// </remarks>
public static class SqliteSnapshot
{
    private const string TimestampFormat = "yyyyMMdd'T'HHmmss'Z'";

    /// <summary>The default snapshot file: <c>&lt;data-dir&gt;/snapshots/state-&lt;UTC timestamp&gt;.db</c>.</summary>
    public static string DefaultPath(string dataDir, DateTimeOffset now) =>
        System.IO.Path.Combine(dataDir, "snapshots", "state-" + now.UtcDateTime.ToString(TimestampFormat, CultureInfo.InvariantCulture) + ".db");

    /// <summary>
    /// Copies the store file at <paramref name="databasePath"/> (open by a server or not) to <paramref name="outputPath"/>,
    /// consistently and atomically. Throws <see cref="FileNotFoundException"/> when there is no store,
    /// <see cref="IOException"/> when the output exists, <see cref="InvalidDataException"/> when the copy does not verify.
    /// </summary>
    public static SnapshotInfo Take(string databasePath, string outputPath, SnapshotMethod method = SnapshotMethod.OnlineBackup)
    {
        if (!File.Exists(databasePath))
        {
            throw new FileNotFoundException($"there is no store at {databasePath}", databasePath);
        }

        if (File.Exists(outputPath))
        {
            throw new IOException($"{outputPath} already exists");
        }

        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(outputPath))!;
        Directory.CreateDirectory(directory);
        var temporary = System.IO.Path.Combine(directory, $".{System.IO.Path.GetFileName(outputPath)}.tmp-{Environment.ProcessId}");
        try
        {
            // ReadWrite without Create: a read-only connection cannot open a WAL file whose -shm is missing
            // (no server running); this connection only reads.
            using (var source = Open(databasePath, SqliteOpenMode.ReadWrite))
            {
                if (method == SnapshotMethod.OnlineBackup)
                {
                    using var destination = Open(temporary, SqliteOpenMode.ReadWriteCreate);
                    // One step over every page: one read transaction, so the copy is one consistent revision.
                    source.BackupDatabase(destination);
                }
                else
                {
                    using var command = source.CreateCommand();
                    command.CommandText = "VACUUM INTO $path";
                    command.Parameters.AddWithValue("$path", temporary);
                    command.ExecuteNonQuery();
                }
            }

            using (var copy = Open(temporary, SqliteOpenMode.ReadWrite))
            {
                // The copy inherits WAL mode from the live file's header; a snapshot is one file.
                SqliteSchema.Exec(copy, "PRAGMA journal_mode = DELETE;");
            }

            var check = Verify(temporary);
            if (!check.Ok)
            {
                throw new InvalidDataException($"the snapshot of {databasePath} does not verify: {check.Problem}");
            }

            using (var file = new FileStream(temporary, FileMode.Open, FileAccess.ReadWrite))
            {
                file.Flush(flushToDisk: true);
            }

            // Never replaces: a snapshot that already exists under the name is the user's to keep.
            File.Move(temporary, outputPath, overwrite: false);
            return new SnapshotInfo(outputPath, new FileInfo(outputPath).Length, check.Revision, check.Keys);
        }
        finally
        {
            File.Delete(temporary);
            File.Delete(temporary + "-journal");
        }
    }

    /// <summary>
    /// Checks that <paramref name="path"/> is a sound Kubesharp store: SQLite's <c>integrity_check</c> passes and the
    /// <c>kv</c> and <c>meta</c> tables have the store's columns. Reads the revision (as the store recovers it) and
    /// the live keys. Opens the file read-write (SQLite may fold a <c>-wal</c> beside it into it) but changes no row.
    /// </summary>
    public static SnapshotCheck Verify(string path)
    {
        if (!File.Exists(path))
        {
            return SnapshotCheck.Bad($"{path} does not exist");
        }

        try
        {
            using var connection = Open(path, SqliteOpenMode.ReadWrite);
            var integrity = Strings(connection, "PRAGMA integrity_check;");
            if (integrity is not ["ok"])
            {
                return SnapshotCheck.Bad("integrity_check: " + string.Join("; ", integrity.Take(5)));
            }

            foreach (var (table, columns) in SqliteSchema.Columns)
            {
                var actual = Strings(connection, $"SELECT name FROM pragma_table_info('{table}') ORDER BY cid;");
                if (!actual.SequenceEqual(columns))
                {
                    return SnapshotCheck.Bad(actual.Count == 0
                        ? $"no table {table}: not a Kubesharp store"
                        : $"table {table} has columns ({string.Join(", ", actual)}), a Kubesharp store has ({string.Join(", ", columns)})");
                }
            }

            using var revision = connection.CreateCommand();
            revision.CommandText = "SELECT MAX((SELECT COALESCE(MAX(id), 0) FROM kv), COALESCE((SELECT value FROM meta WHERE key = $compact), 0))";
            revision.Parameters.AddWithValue("$compact", SqliteSchema.CompactRevisionKey);
            using var keys = connection.CreateCommand();
            keys.CommandText = "SELECT COUNT(*) FROM kv AS k JOIN (SELECT MAX(id) AS id FROM kv GROUP BY name) AS latest ON k.id = latest.id WHERE k.deleted = 0";
            return new SnapshotCheck(true, (long)revision.ExecuteScalar()!, (long)keys.ExecuteScalar()!, null);
        }
        catch (SqliteException e)
        {
            // SQLITE_NOTADB (26) for a file that is not a database at all, SQLITE_CORRUPT (11) for a damaged one.
            return SnapshotCheck.Bad($"not a readable SQLite store: {e.Message}");
        }
    }

    /// <summary>
    /// Puts the snapshot at <paramref name="snapshotPath"/> in place of the store at <paramref name="databasePath"/>,
    /// after verifying it; the current file (if any) is renamed to <c>state.db.before-restore-&lt;UTC timestamp&gt;</c>
    /// (with its <c>-wal</c>/<c>-shm</c>). The snapshot file itself is left untouched. Refuses, changing nothing, while
    /// the store is open (<see cref="RestoreStatus.InUse"/>) or when the file does not verify.
    /// </summary>
    public static RestoreResult Restore(string databasePath, string snapshotPath, DateTimeOffset now)
    {
        if (!File.Exists(snapshotPath))
        {
            return new RestoreResult(RestoreStatus.NotAStore, 0, null, $"{snapshotPath} does not exist");
        }

        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(databasePath))!;
        Directory.CreateDirectory(directory);
        FileStream lockFile;
        try
        {
            lockFile = SqliteStore.AcquireLock(databasePath);
        }
        catch (IOException)
        {
            return new RestoreResult(RestoreStatus.InUse, 0, null, $"{databasePath} is in use (its lock file {databasePath}.lock is held): stop the server first");
        }

        using (lockFile)
        {
            // Verify a private copy: the user's file stays as it was, and what is verified is what is put in place.
            var incoming = databasePath + ".restore-" + Environment.ProcessId;
            try
            {
                File.Copy(snapshotPath, incoming, overwrite: true);
                var check = Verify(incoming);
                if (!check.Ok)
                {
                    return new RestoreResult(RestoreStatus.NotAStore, 0, null, $"{snapshotPath}: {check.Problem}");
                }

                using (var copy = Open(incoming, SqliteOpenMode.ReadWrite))
                {
                    SqliteSchema.Exec(copy, "PRAGMA journal_mode = DELETE;");
                }

                using (var file = new FileStream(incoming, FileMode.Open, FileAccess.ReadWrite))
                {
                    file.Flush(flushToDisk: true);
                }

                string? aside = null;
                if (File.Exists(databasePath))
                {
                    // Fold the old file's WAL into it first (the last connection to close checkpoints it), so that
                    // what is kept aside is usually one file; a file too damaged to open is moved aside as it is.
                    try
                    {
                        using var old = Open(databasePath, SqliteOpenMode.ReadWrite);
                        SqliteSchema.Exec(old, "PRAGMA wal_checkpoint(TRUNCATE);");
                    }
                    catch (SqliteException)
                    {
                        // Damaged: moved aside below as it is.
                    }
                }

                // state.db first, then its -wal and -shm under the same new name: it stays openable as it was. A WAL
                // without its database (a crash between these renames) is moved aside too, never applied to the snapshot.
                var keep = databasePath + ".before-restore-" + now.UtcDateTime.ToString(TimestampFormat, CultureInfo.InvariantCulture);
                foreach (var suffix in (ReadOnlySpan<string>)["", "-wal", "-shm"])
                {
                    if (File.Exists(databasePath + suffix))
                    {
                        File.Move(databasePath + suffix, keep + suffix, overwrite: false);
                        aside = keep;
                    }
                }

                File.Move(incoming, databasePath, overwrite: false);
                return new RestoreResult(RestoreStatus.Restored, check.Revision, aside, null);
            }
            finally
            {
                File.Delete(incoming);
                File.Delete(incoming + "-journal");
                File.Delete(incoming + "-wal");
                File.Delete(incoming + "-shm");
            }
        }
    }

    private static SqliteConnection Open(string path, SqliteOpenMode mode)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = mode,
            Cache = SqliteCacheMode.Private,
            // Not pooled: the file is renamed right after, and a pooled connection would keep it open.
            Pooling = false,
            DefaultTimeout = 30,
        }.ToString());
        connection.Open();
        SqliteSchema.Exec(connection, "PRAGMA busy_timeout = 5000;");
        return connection;
    }

    private static List<string> Strings(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var values = new List<string>();
        while (reader.Read())
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }
}
