using System.Text;
using Kubesharp.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Kubesharp.Storage.Tests.Sqlite;

/// <summary>What only the file-backed store promises: reopening, ownership of the file, compaction on disk.</summary>
public sealed class SqliteStoreTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-01-02T03:04:05Z", System.Globalization.CultureInfo.InvariantCulture));

    private string DbPath => _dir.File("db/state.db");

    private Task<SqliteStore> OpenAsync(long keep = 10_000, TimeSpan? compactionInterval = null) =>
        SqliteStore.OpenAsync(new SqliteStoreOptions
        {
            Path = DbPath,
            KeepRevisions = keep,
            CompactionInterval = compactionInterval ?? TimeSpan.Zero,
            CompactionChunk = 7,
        }, _time);

    private static byte[] Json(int n) => Encoding.UTF8.GetBytes($$"""{"n":{{n}}}""");

    [Fact]
    public async Task Reopening_recovers_every_key_and_the_revision_counter()
    {
        long lastRevision;
        WriteResult b;
        await using (var store = await OpenAsync())
        {
            await store.CreateAsync("/registry/a/1", Json(1));
            b = await store.CreateAsync("/registry/a/2", Json(2));
            await store.UpdateAsync("/registry/a/2", Json(22), b.Revision);
            await store.CreateAsync("/registry/a/3", Json(3));
            lastRevision = (await store.DeleteAsync("/registry/a/3")).Revision;
        }

        await using (var store = await OpenAsync())
        {
            Assert.Equal(lastRevision, await store.GetCurrentRevisionAsync());
            var list = await store.ListAsync("/registry/a/");
            Assert.Equal(["/registry/a/1", "/registry/a/2"], list.Items.Select(i => i.Key));
            Assert.Equal("""{"n":22}""", Encoding.UTF8.GetString(list.Items[1].Value));
            // The writer's index came back too: compare-and-swap decisions are right after reopening.
            var stale = await store.UpdateAsync("/registry/a/2", Json(0), b.Revision);
            Assert.Equal(WriteStatus.Conflict, stale.Status);
            Assert.Equal(WriteStatus.AlreadyExists, (await store.CreateAsync("/registry/a/1", Json(0))).Status);
            var next = await store.CreateAsync("/registry/a/3", Json(33));
            Assert.Equal(lastRevision + 1, next.Revision);
        }
    }

    [Fact]
    public async Task The_revision_counter_never_goes_back_even_when_compaction_removed_the_newest_rows()
    {
        long deleted;
        await using (var store = await OpenAsync())
        {
            await store.CreateAsync("/registry/a/1", Json(1));
            deleted = (await store.DeleteAsync("/registry/a/1")).Revision;
            await store.CompactAsync(deleted);
            await WaitForPhysicalCompactionAsync(store, deleted);
        }

        Assert.Equal(0, CountRows());
        await using (var store = await OpenAsync())
        {
            Assert.Equal(deleted, await store.GetCurrentRevisionAsync());
            Assert.Equal(deleted + 1, (await store.CreateAsync("/registry/a/1", Json(2))).Revision);
        }
    }

    [Fact]
    public async Task A_second_opener_of_the_same_file_is_refused_while_the_first_holds_it()
    {
        await using var first = await OpenAsync();

        var e = await Assert.ThrowsAsync<StoreException>(() => OpenAsync());

        Assert.Equal(StoreErrorCode.Unavailable, e.Code);
        Assert.Contains("in use", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_time_to_live_still_runs_out_after_reopening()
    {
        await using (var store = await OpenAsync())
        {
            await store.CreateAsync("/registry/events/e1", Json(1), TimeSpan.FromSeconds(30));
        }

        await using (var store = await OpenAsync())
        {
            await store.ExpireDueAsync();
            Assert.NotNull(await store.GetAsync("/registry/events/e1"));

            _time.Advance(TimeSpan.FromSeconds(31));
            await store.ExpireDueAsync();

            Assert.Null(await store.GetAsync("/registry/events/e1"));
        }
    }

    [Fact]
    public async Task Background_compaction_keeps_the_last_revisions_and_bounds_the_rows()
    {
        await using var store = await OpenAsync(keep: 20, compactionInterval: TimeSpan.FromMinutes(1));
        var mod = (await store.CreateAsync("/registry/c/hot", Json(0))).Revision;
        for (var i = 1; i <= 200; i++)
        {
            mod = (await store.UpdateAsync("/registry/c/hot", Json(i), mod)).Revision;
        }

        _time.Advance(TimeSpan.FromMinutes(1));
        var target = mod - 20;
        await WaitForPhysicalCompactionAsync(store, target);

        Assert.Equal(target, await store.GetCompactedRevisionAsync());
        Assert.Equal(200, int.Parse(Encoding.UTF8.GetString((await store.GetAsync("/registry/c/hot"))!.Value)[5..^1], System.Globalization.CultureInfo.InvariantCulture));
        Assert.NotNull(await store.GetAsync("/registry/c/hot", target));
        // One row at the compaction point, and the 20 after it.
        Assert.Equal(21, CountRows());
    }

    [Fact]
    public async Task Compaction_runs_in_chunks_between_writes_and_loses_none_of_them()
    {
        await using var store = await OpenAsync();
        var mods = new long[10];
        for (var k = 0; k < 10; k++)
        {
            mods[k] = (await store.CreateAsync($"/registry/c/{k}", Json(0))).Revision;
        }

        for (var i = 1; i <= 30; i++)
        {
            for (var k = 0; k < 10; k++)
            {
                mods[k] = (await store.UpdateAsync($"/registry/c/{k}", Json(i), mods[k])).Revision;
            }
        }

        var target = await store.GetCurrentRevisionAsync();
        await store.CompactAsync(target);
        // Writes racing with the chunked compaction (7 revisions per chunk here).
        var writes = await Task.WhenAll(Enumerable.Range(0, 10).Select(k => store.UpdateAsync($"/registry/c/{k}", Json(100), mods[k]).AsTask()));
        await WaitForPhysicalCompactionAsync(store, target);

        Assert.All(writes, w => Assert.Equal(WriteStatus.Ok, w.Status));
        var list = await store.ListAsync("/registry/c/");
        Assert.Equal(10, list.Items.Count);
        Assert.All(list.Items, i => Assert.Equal("""{"n":100}""", Encoding.UTF8.GetString(i.Value)));
        Assert.Equal(20, CountRows());
    }

    private long CountRows()
    {
        using var connection = new SqliteConnection($"Data Source={DbPath};Pooling=False;Mode=ReadOnly");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM kv";
        return (long)command.ExecuteScalar()!;
    }

    private long PhysicalCompaction()
    {
        using var connection = new SqliteConnection($"Data Source={DbPath};Pooling=False;Mode=ReadOnly");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COALESCE((SELECT value FROM meta WHERE key = 'physical_compact_revision'), 0)";
        return (long)command.ExecuteScalar()!;
    }

    /// <summary>Physical compaction is asynchronous by design; wait for its progress mark, bounded.</summary>
    private async Task WaitForPhysicalCompactionAsync(SqliteStore store, long target)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (PhysicalCompaction() < target)
        {
            // Each write gives the writer a turn; an idle writer also compacts by itself.
            await Task.Delay(10, timeout.Token);
        }

        Assert.True(await store.GetCompactedRevisionAsync() >= target);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }
}
