using System.CommandLine;
using System.Globalization;
using Kubesharp.Storage.Sqlite;

namespace Kubesharp.Commands;

/// <summary>
/// <c>kubesharp datastore snapshot|restore</c>: backups of the embedded SQLite store (<c>&lt;data-dir&gt;/db/state.db</c>).
/// A snapshot is consistent while the server runs (one read transaction beside it); a restore refuses while a server
/// holds the store and keeps the replaced file aside (<see cref="SqliteSnapshot"/>). An etcd datastore is backed up
/// with etcd's own <c>etcdctl snapshot save</c>.
/// </summary>
internal static class DatastoreCommand
{
    private const string EtcdHint = "(an etcd datastore is backed up with `etcdctl snapshot save`: see docs/operations.md)";

    public static Command Create()
    {
        var snapshotDataDir = DataDirOption();
        var output = new Option<string?>("--output", "-o") { Description = "The snapshot file to write (default: <data-dir>/snapshots/state-<UTC timestamp>.db); never replaces an existing file." };
        var snapshot = new Command("snapshot", "Write a consistent copy of the SQLite store, also while the server runs; prints its path, size and revision.")
        {
            snapshotDataDir,
            output,
        };
        snapshot.SetAction(parse => Snapshot(parse.GetValue(snapshotDataDir)!, parse.GetValue(output)));

        var restoreDataDir = DataDirOption();
        var file = new Argument<string>("file") { Description = "A snapshot written by `kubesharp datastore snapshot` (or the state.db of a server stopped by SIGTERM)." };
        var restore = new Command("restore", "Replace the SQLite store with a snapshot (the server must be stopped); the old store is kept as state.db.before-restore-<UTC timestamp>.")
        {
            restoreDataDir,
            file,
        };
        restore.SetAction(parse => Restore(parse.GetValue(restoreDataDir)!, parse.GetValue(file)!));

        return new Command("datastore", "Back up and restore the embedded SQLite datastore.") { snapshot, restore };
    }

    private static Option<string> DataDirOption() => new("--data-dir")
    {
        Description = "The server's data directory (default /var/lib/kubesharp as root, else ~/.kubesharp).",
        DefaultValueFactory = _ => ServerCommand.DefaultDataDir(),
    };

    private static string DatabasePath(string dataDir) => Path.Combine(dataDir, "db", "state.db");

    private static int Snapshot(string dataDir, string? output)
    {
        var path = output ?? SqliteSnapshot.DefaultPath(dataDir, DateTimeOffset.UtcNow);
        try
        {
            var info = SqliteSnapshot.Take(DatabasePath(dataDir), path);
            Console.Out.WriteLine($"snapshot: {info.Path}");
            Console.Out.WriteLine($"size: {info.SizeBytes.ToString(CultureInfo.InvariantCulture)} bytes");
            Console.Out.WriteLine($"revision: {info.Revision.ToString(CultureInfo.InvariantCulture)}");
            Console.Out.WriteLine($"keys: {info.Keys.ToString(CultureInfo.InvariantCulture)}");
            return 0;
        }
        catch (FileNotFoundException e)
        {
            Console.Error.WriteLine($"error: {e.Message} {EtcdHint}");
            return 1;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    private static int Restore(string dataDir, string file)
    {
        RestoreResult result;
        try
        {
            result = SqliteSnapshot.Restore(DatabasePath(dataDir), file, DateTimeOffset.UtcNow);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }

        if (result.Status != RestoreStatus.Restored)
        {
            Console.Error.WriteLine($"error: {result.Problem}");
            return 1;
        }

        Console.Out.WriteLine($"restored: {DatabasePath(dataDir)} from {file} (revision {result.Revision.ToString(CultureInfo.InvariantCulture)})");
        if (result.KeptAside is { } aside)
        {
            Console.Out.WriteLine($"previous store kept at: {aside}");
        }

        if (!File.Exists(Path.Combine(dataDir, "tls", "ca.crt")))
        {
            Console.Out.WriteLine($"warning: {Path.Combine(dataDir, "tls")} has no CA: restore the tls directory of the same cluster too, or its nodes and service account tokens will not be trusted");
        }

        Console.Out.WriteLine($"the next `kubesharp server --data-dir {dataDir}` serves it");
        return 0;
    }
}
