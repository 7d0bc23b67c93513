using Microsoft.Data.Sqlite;

namespace Kubesharp.Storage.Tests.Sqlite;

/// <summary>The SQLite store's physical compaction mark, read from the file, for tests that need its rows gone.</summary>
internal static class PhysicalCompaction
{
    public static long Read(string dbPath)
    {
        using var connection = new SqliteConnection($"Data Source={dbPath};Pooling=False;Mode=ReadOnly");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COALESCE((SELECT value FROM meta WHERE key = 'physical_compact_revision'), 0)";
        return (long)command.ExecuteScalar()!;
    }

    /// <summary>Physical compaction is asynchronous by design (an idle writer runs it by itself); waits for its mark, bounded.</summary>
    public static async Task WaitAsync(string dbPath, IStore store, long target)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (Read(dbPath) < target)
        {
            await Task.Delay(10, timeout.Token);
        }

        Assert.True(await store.GetCompactedRevisionAsync() >= target);
    }
}
