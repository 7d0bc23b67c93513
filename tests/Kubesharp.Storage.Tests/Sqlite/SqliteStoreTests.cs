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

    [Fact]
    public async Task A_key_deleted_after_one_compaction_stays_deleted_when_the_next_compaction_passes_its_tombstone()
    {
        // The rig's lost pods: a pod's last update lies at or before one compaction mark, its deletion after it; when
        // a later compaction reached the tombstone, the tombstone went and the last update came back to life in the
        // file, while the writer's index and the API server's watch cache (which had seen the delete) did not have it.
        const string Pod = "/registry/pods/default/p";
        await using (var store = await OpenAsync())
        {
            var updated = (await store.UpdateAsync(Pod, Json(2), (await store.CreateAsync(Pod, Json(1))).Revision)).Revision;
            var other = (await store.CreateAsync("/registry/pods/default/q", Json(3))).Revision;
            await store.CompactAsync(other);
            await WaitForPhysicalCompactionAsync(store, other);

            var deleted = await store.DeleteAsync(Pod, updated);
            Assert.Equal(WriteStatus.Ok, deleted.Status);
            await store.CompactAsync(deleted.Revision);
            await WaitForPhysicalCompactionAsync(store, deleted.Revision);

            Assert.Null(await store.GetAsync(Pod));
            Assert.Equal(["/registry/pods/default/q"], (await store.ListAsync("/registry/pods/")).Items.Select(i => i.Key));
            Assert.Equal(1, await store.CountAsync("/registry/pods/"));
        }

        // Nothing of the pod is left in the file, so a reopened store does not bring it back either.
        Assert.Equal(["/registry/pods/default/q"], RowNames());
        await using (var store = await OpenAsync())
        {
            Assert.Null(await store.GetAsync(Pod));
            Assert.Equal(WriteStatus.NotFound, (await store.DeleteAsync(Pod)).Status);
        }
    }

    [Fact]
    public async Task A_row_superseded_after_one_compaction_is_removed_by_the_next()
    {
        await using var store = await OpenAsync();
        var first = (await store.CreateAsync("/registry/c/a", Json(1))).Revision;
        await store.CompactAsync(first);
        await WaitForPhysicalCompactionAsync(store, first);

        var second = (await store.UpdateAsync("/registry/c/a", Json(2), first)).Revision;
        await store.CompactAsync(second);
        await WaitForPhysicalCompactionAsync(store, second);

        Assert.Equal(1, CountRows());
        Assert.Equal("""{"n":2}""", Encoding.UTF8.GetString((await store.GetAsync("/registry/c/a"))!.Value));
    }

    [Fact]
    public async Task Opening_a_file_that_the_first_compaction_left_rows_in_removes_them_once()
    {
        // The shape the first compaction left: a key with two rows at or before the physical mark.
        const string Key = "/registry/c/a";
        long second;
        await using (var store = await OpenAsync())
        {
            var first = (await store.CreateAsync(Key, Json(1))).Revision;
            second = (await store.UpdateAsync(Key, Json(2), first)).Revision;
            await store.CreateAsync("/registry/c/b", Json(3));
        }

        Execute($"""
            INSERT INTO meta (key, value) VALUES ('compact_revision', {second}), ('physical_compact_revision', {second})
            ON CONFLICT (key) DO UPDATE SET value = excluded.value;
            DELETE FROM meta WHERE key = 'single_row_below_mark';
            """);

        await using (var store = await OpenAsync())
        {
            Assert.Equal([Key, "/registry/c/b"], RowNames());

            var deleted = await store.DeleteAsync(Key, second);
            await store.CompactAsync(deleted.Revision);
            await WaitForPhysicalCompactionAsync(store, deleted.Revision);

            // Without the repair, the first row (n=1) would be the key's newest row now.
            Assert.Null(await store.GetAsync(Key));
            Assert.Equal(["/registry/c/b"], RowNames());
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Random_writes_and_compactions_leave_what_the_memory_store_has(int seed)
    {
        // Seeded, so a failure replays: writes on a few keys, with compactions to random past revisions in between.
        var random = new Random(seed);
        await using var memory = new Kubesharp.Storage.Memory.MemoryStore(_time);
        var keys = Enumerable.Range(0, 6).Select(i => $"/registry/r/{i}").ToArray();
        await using (var store = await OpenAsync())
        {
            for (var step = 0; step < 300; step++)
            {
                var key = keys[random.Next(keys.Length)];
                var current = await memory.GetAsync(key);
                var n = random.Next(1000);
                var (expected, actual) = current is null
                    ? (await memory.CreateAsync(key, Json(n)), await store.CreateAsync(key, Json(n)))
                    : random.Next(3) == 0
                        ? (await memory.DeleteAsync(key, current.ModRevision), await store.DeleteAsync(key, current.ModRevision))
                        : (await memory.UpdateAsync(key, Json(n), current.ModRevision), await store.UpdateAsync(key, Json(n), current.ModRevision));
                Assert.Equal((expected.Status, expected.Revision), (actual.Status, actual.Revision));

                if (random.Next(10) == 0)
                {
                    var revision = await store.GetCurrentRevisionAsync();
                    var compacted = await store.GetCompactedRevisionAsync();
                    var target = compacted + random.NextInt64(revision - compacted + 1);
                    await memory.CompactAsync(target);
                    await store.CompactAsync(target);
                    await WaitForPhysicalCompactionAsync(store, target);
                    await AssertSameAsync(memory, store, $"seed {seed}, step {step}, compacted at {target}");
                }
            }
        }

        await using (var reopened = await OpenAsync())
        {
            await AssertSameAsync(memory, reopened, $"seed {seed}, reopened");
        }
    }

    private static async Task AssertSameAsync(IStore expected, IStore actual, string when)
    {
        static async Task<string[]> StateAsync(IStore store) =>
            [.. (await store.ListAsync("/registry/r/")).Items.Select(i => $"{i.Key}@{i.ModRevision}={Encoding.UTF8.GetString(i.Value)}")];

        var want = await StateAsync(expected);
        var got = await StateAsync(actual);
        Assert.True(want.SequenceEqual(got), $"{when}: expected [{string.Join(", ", want)}], got [{string.Join(", ", got)}]");
    }

    private void Execute(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={DbPath};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private string[] RowNames()
    {
        using var connection = new SqliteConnection($"Data Source={DbPath};Pooling=False;Mode=ReadOnly");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT name FROM kv ORDER BY id";
        using var reader = command.ExecuteReader();
        var names = new List<string>();
        while (reader.Read())
        {
            names.Add(reader.GetString(0));
        }

        return [.. names];
    }

    private long CountRows()
    {
        using var connection = new SqliteConnection($"Data Source={DbPath};Pooling=False;Mode=ReadOnly");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM kv";
        return (long)command.ExecuteScalar()!;
    }

    private Task WaitForPhysicalCompactionAsync(SqliteStore store, long target) => PhysicalCompaction.WaitAsync(DbPath, store, target);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }
}
