using System.Collections.Concurrent;
using System.Text;
using Kubesharp.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Kubesharp.Storage.Tests.Sqlite;

/// <summary>Snapshots of a live store and restores into a stopped one (<c>kubesharp datastore snapshot|restore</c>).</summary>
public sealed class SqliteSnapshotTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 3, 4, 5, 6, 7, TimeSpan.Zero);

    private readonly TempDirectory _dir = new();

    private string DbPath => _dir.File("db/state.db");

    public void Dispose() => _dir.Dispose();

    private Task<SqliteStore> OpenAsync(string? path = null) =>
        SqliteStore.OpenAsync(new SqliteStoreOptions { Path = path ?? DbPath, Durability = SqliteDurability.Normal, CompactionInterval = TimeSpan.Zero });

    private static string Text(string v) => $$"""{"v":"{{v}}"}""";

    private static byte[] Json(string v) => Encoding.UTF8.GetBytes(Text(v));

    private static async Task<Dictionary<string, (string Value, long ModRevision)>> ContentAsync(IStore store)
    {
        var list = await store.ListAsync("/registry/");
        return list.Items.ToDictionary(i => i.Key, i => (Encoding.UTF8.GetString(i.Value), i.ModRevision));
    }

    [Theory]
    [InlineData(SnapshotMethod.OnlineBackup)]
    [InlineData(SnapshotMethod.VacuumInto)]
    public async Task A_snapshot_taken_while_writes_go_on_holds_exactly_the_writes_up_to_its_revision(SnapshotMethod method)
    {
        var acknowledged = new ConcurrentBag<(string Key, string Value, long Revision, bool Deleted)>();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        long revisionBefore;
        long revisionAfter;
        SnapshotInfo snapshot;
        await using (var store = await OpenAsync())
        {
            // Four writers create, update and delete their own keys; the snapshot is taken in the middle of it.
            var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
            {
                for (var i = 0; i < 300; i++)
                {
                    var key = $"/registry/configmaps/w{w}/k{i}";
                    var created = await store.CreateAsync(key, Json($"{w}-{i}"));
                    acknowledged.Add((key, $"{w}-{i}", created.Revision, false));
                    if (i % 3 == 1)
                    {
                        var updated = await store.UpdateAsync(key, Json($"{w}-{i}-u"), created.Revision);
                        acknowledged.Add((key, $"{w}-{i}-u", updated.Revision, false));
                    }
                    else if (i % 3 == 2)
                    {
                        var deleted = await store.DeleteAsync(key);
                        acknowledged.Add((key, "", deleted.Revision, true));
                    }

                    if (acknowledged.Count >= 200)
                    {
                        started.TrySetResult();
                    }
                }
            })).ToList();

            await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
            revisionBefore = acknowledged.Max(a => a.Revision);
            snapshot = SqliteSnapshot.Take(DbPath, _dir.File("snapshots/s.db"), method);
            await Task.WhenAll(writers).WaitAsync(TimeSpan.FromSeconds(60));
            revisionAfter = await store.GetCurrentRevisionAsync();
        }

        // Every write acknowledged before the snapshot began is in it; it holds no revision that did not exist.
        Assert.InRange(snapshot.Revision, revisionBefore, revisionAfter);
        Assert.False(File.Exists(snapshot.Path + "-wal"), "a snapshot is one file, with no WAL beside it");
        Assert.Equal(new FileInfo(snapshot.Path).Length, snapshot.SizeBytes);
        var expected = new Dictionary<string, (string, long)>();
        foreach (var write in acknowledged.Where(a => a.Revision <= snapshot.Revision).OrderBy(a => a.Revision))
        {
            if (write.Deleted)
            {
                expected.Remove(write.Key);
            }
            else
            {
                expected[write.Key] = (Text(write.Value), write.Revision);
            }
        }

        Assert.Equal(expected.Count, snapshot.Keys);
        await using var restored = await OpenAsync(snapshot.Path);
        Assert.Equal(snapshot.Revision, await restored.GetCurrentRevisionAsync());
        var content = await ContentAsync(restored);
        Assert.Equal(expected.OrderBy(e => e.Key), content.OrderBy(e => e.Key));
    }

    [Fact]
    public async Task A_restore_brings_back_the_snapshot_and_keeps_the_replaced_store_aside()
    {
        Dictionary<string, (string, long)> atSnapshot;
        Dictionary<string, (string, long)> later;
        long laterRevision;
        SnapshotInfo snapshot;
        await using (var store = await OpenAsync())
        {
            var a = await store.CreateAsync("/registry/configmaps/default/a", Json("a"));
            await store.CreateAsync("/registry/configmaps/default/b", Json("b"));
            await store.UpdateAsync("/registry/configmaps/default/a", Json("a2"), a.Revision);
            atSnapshot = await ContentAsync(store);
            snapshot = SqliteSnapshot.Take(DbPath, SqliteSnapshot.DefaultPath(_dir.Path, Now));
            Assert.Equal(await store.GetCurrentRevisionAsync(), snapshot.Revision);
            await store.CreateAsync("/registry/configmaps/default/c", Json("c"));
            await store.DeleteAsync("/registry/configmaps/default/b");
            later = await ContentAsync(store);
            laterRevision = await store.GetCurrentRevisionAsync();
        }

        Assert.Equal(_dir.File("snapshots/state-20260304T050607Z.db"), snapshot.Path);
        Assert.Equal(2, snapshot.Keys);

        var result = SqliteSnapshot.Restore(DbPath, snapshot.Path, Now.AddHours(1));

        Assert.Equal(RestoreStatus.Restored, result.Status);
        Assert.Equal(snapshot.Revision, result.Revision);
        Assert.Equal(DbPath + ".before-restore-20260304T060607Z", result.KeptAside);
        Assert.True(File.Exists(snapshot.Path), "the snapshot file itself stays");
        await using (var store = await OpenAsync())
        {
            Assert.Equal(atSnapshot, await ContentAsync(store));
            Assert.Equal(snapshot.Revision, await store.GetCurrentRevisionAsync());
            // The restored store goes on from the snapshot's revision.
            var next = await store.CreateAsync("/registry/configmaps/default/d", Json("d"));
            Assert.Equal(snapshot.Revision + 1, next.Revision);
        }

        // What was replaced is still a whole store.
        await using (var aside = await OpenAsync(result.KeptAside))
        {
            Assert.Equal(later, await ContentAsync(aside));
            Assert.Equal(laterRevision, await aside.GetCurrentRevisionAsync());
        }
    }

    [Fact]
    public async Task A_restore_into_an_empty_data_directory_creates_the_store()
    {
        await using (var store = await OpenAsync())
        {
            await store.CreateAsync("/registry/configmaps/default/a", Json("a"));
        }

        var snapshot = SqliteSnapshot.Take(DbPath, _dir.File("s.db"));
        var fresh = _dir.File("fresh/db/state.db");

        var result = SqliteSnapshot.Restore(fresh, snapshot.Path, Now);

        Assert.Equal(RestoreStatus.Restored, result.Status);
        Assert.Null(result.KeptAside);
        await using var restored = await OpenAsync(fresh);
        Assert.Equal(["/registry/configmaps/default/a"], (await ContentAsync(restored)).Keys);
    }

    [Fact]
    public async Task A_restore_is_refused_while_the_store_is_open_and_changes_nothing()
    {
        await using var store = await OpenAsync();
        await store.CreateAsync("/registry/configmaps/default/a", Json("a"));
        var snapshot = SqliteSnapshot.Take(DbPath, _dir.File("s.db"));
        await store.CreateAsync("/registry/configmaps/default/b", Json("b"));

        var result = SqliteSnapshot.Restore(DbPath, snapshot.Path, Now);

        Assert.Equal(RestoreStatus.InUse, result.Status);
        Assert.Contains("stop the server", result.Problem, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_dir.File("db"), "*before-restore*"));
        Assert.Equal(2, (await ContentAsync(store)).Count);
    }

    public static TheoryData<string, string, string> NotStores => new()
    {
        { "random bytes", "bytes", "not a readable SQLite store" },
        { "an empty file", "empty", "no table kv" },
        { "another SQLite database", "other", "no table kv" },
        { "a store whose kv table lacks a column", "columns", "table kv has columns" },
    };

    [Theory]
    [MemberData(nameof(NotStores))]
    public async Task A_restore_refuses_a_file_that_is_not_a_kubesharp_store(string name, string kind, string problem)
    {
        Assert.NotEmpty(name);
        await using (var store = await OpenAsync())
        {
            await store.CreateAsync("/registry/configmaps/default/a", Json("a"));
        }

        var before = await File.ReadAllBytesAsync(DbPath);
        var bad = _dir.File("bad.db");
        switch (kind)
        {
            case "bytes":
                await File.WriteAllBytesAsync(bad, Enumerable.Range(0, 8192).Select(i => (byte)(i * 7)).ToArray());
                break;
            case "empty":
                await File.WriteAllBytesAsync(bad, []);
                break;
            default:
                using (var connection = new SqliteConnection($"Data Source={bad};Pooling=False"))
                {
                    connection.Open();
                    using var command = connection.CreateCommand();
                    command.CommandText = kind == "other"
                        ? "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);"
                        : "CREATE TABLE kv (id INTEGER PRIMARY KEY, name TEXT, value BLOB); CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER);";
                    command.ExecuteNonQuery();
                }

                break;
        }

        var result = SqliteSnapshot.Restore(DbPath, bad, Now);

        Assert.Equal(RestoreStatus.NotAStore, result.Status);
        Assert.Contains(problem, result.Problem, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(DbPath));
        Assert.Empty(Directory.GetFiles(_dir.File("db"), "*before-restore*"));
        Assert.Empty(Directory.GetFiles(_dir.File("db"), "*.restore-*"));
    }

    [Fact]
    public async Task A_snapshot_never_replaces_an_existing_file_and_needs_a_store()
    {
        var output = _dir.File("s.db");
        Assert.Throws<FileNotFoundException>(() => SqliteSnapshot.Take(DbPath, output));

        await using (var store = await OpenAsync())
        {
            await store.CreateAsync("/registry/configmaps/default/a", Json("a"));
        }

        await File.WriteAllTextAsync(output, "mine");
        Assert.Throws<IOException>(() => SqliteSnapshot.Take(DbPath, output));
        Assert.Equal("mine", await File.ReadAllTextAsync(output));
        Assert.Equal([output], Directory.GetFiles(_dir.Path));
    }
}
