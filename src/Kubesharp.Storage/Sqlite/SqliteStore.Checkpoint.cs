using Microsoft.Data.Sqlite;

namespace Kubesharp.Storage.Sqlite;

public sealed partial class SqliteStore
{
    /// <summary>
    /// Copies the WAL back into the database file from a connection of its own. SQLite's automatic
    /// checkpoint would run inside the writer's commit, holding every queued write behind a burst of
    /// page copies and an fsync of the database file; a PASSIVE checkpoint here never blocks the writer
    /// or the readers, and the writer restarts the WAL from the top once a checkpoint has caught up.
    /// </summary>
    private async Task CheckpointLoopAsync()
    {
        using var timer = new PeriodicTimer(_options.CheckpointInterval, _time);
        await using var connection = new SqliteConnection(SqliteSchema.ConnectionString(_options.Path, pooling: false));
        try
        {
            await connection.OpenAsync(_stop.Token);
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                await using var command = connection.CreateCommand();
                command.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
                await command.ExecuteNonQueryAsync(_stop.Token);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            StorageLog.CheckpointFailed(_logger, e, _options.Path);
        }
    }
}
