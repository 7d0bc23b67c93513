using System.Text;
using System.Text.Json;

namespace Kubesharp.Storage.Tests.Conformance;

/// <summary>
/// The one contract every backend passes. Each test works under its own prefix, so the suite also
/// runs against a shared etcd; revisions are compared relative to each other, never to constants.
/// </summary>
public abstract class StoreConformanceTests : IAsyncLifetime
{
    private IStore? _store;
    private string? _skipReason;

    /// <summary>
    /// The store under test. When the backend is not available on this machine (and the run does not
    /// require it), reading this skips the test visibly; so every test reads it before any assertion.
    /// </summary>
    protected IStore Store => _store ?? throw new SkipException(_skipReason ?? "store not created");

    /// <summary>A prefix of this test alone.</summary>
    protected string P { get; } = $"/registry/t{Guid.NewGuid():N}/";

    /// <summary>Creates an empty store (or a client of a shared backend) for one test.</summary>
    protected abstract Task<IStore> CreateStoreAsync();

    /// <summary>Moves the store's clock forward and runs its expiry (fake time), or waits (real time).</summary>
    protected abstract Task AdvanceTimeAsync(TimeSpan by);

    /// <summary>Waits until what a compaction to <paramref name="revision"/> removes in the background is gone (SQLite deletes rows after the mark).</summary>
    protected virtual Task CompactionFinishedAsync(long revision) => Task.CompletedTask;

    public virtual async Task InitializeAsync()
    {
        try
        {
            _store = await CreateStoreAsync();
        }
        catch (SkipException e)
        {
            _skipReason = e.Message;
        }
    }

    public virtual async Task DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }
    }

    protected static byte[] Json(string name, int n = 0) =>
        Encoding.UTF8.GetBytes($$$"""{"kind":"ConfigMap","metadata":{"name":"{{{name}}}"},"data":{"n":"{{{n}}}"}}""");

    protected static int N(KeyValue kv) =>
        int.Parse(JsonDocument.Parse(kv.Value).RootElement.GetProperty("data").GetProperty("n").GetString()!, System.Globalization.CultureInfo.InvariantCulture);

    protected async Task<long> PutAsync(string key, int n = 0)
    {
        var r = await Store.CreateAsync(key, Json(key, n));
        Assert.Equal(WriteStatus.Ok, r.Status);
        return r.Revision;
    }

    // ---- create / get -------------------------------------------------------------------------

    [SkippableFact]
    public async Task Create_then_get_returns_the_bytes_and_revisions()
    {
        var value = Json("a", 7);
        var r = await Store.CreateAsync(P + "a", value);

        Assert.Equal(WriteStatus.Ok, r.Status);
        Assert.True(r.Revision > 0);
        var kv = await Store.GetAsync(P + "a");
        Assert.NotNull(kv);
        Assert.Equal(value, kv.Value);
        Assert.Equal(r.Revision, kv.CreateRevision);
        Assert.Equal(r.Revision, kv.ModRevision);
        Assert.True(await Store.GetCurrentRevisionAsync() >= r.Revision);
    }

    [SkippableFact]
    public async Task Create_of_a_live_key_is_AlreadyExists_with_the_live_value()
    {
        var first = await PutAsync(P + "a", 1);

        var r = await Store.CreateAsync(P + "a", Json("a", 2));

        Assert.Equal(WriteStatus.AlreadyExists, r.Status);
        Assert.NotNull(r.Current);
        Assert.Equal(first, r.Current.ModRevision);
        Assert.Equal(1, N(r.Current));
        Assert.Equal(1, N((await Store.GetAsync(P + "a"))!));
    }

    [SkippableFact]
    public async Task Create_after_delete_starts_a_new_incarnation()
    {
        var first = await PutAsync(P + "a", 1);
        var del = await Store.DeleteAsync(P + "a");

        var again = await Store.CreateAsync(P + "a", Json("a", 2));

        Assert.Equal(WriteStatus.Ok, again.Status);
        Assert.True(first < del.Revision && del.Revision < again.Revision);
        var kv = (await Store.GetAsync(P + "a"))!;
        Assert.Equal(again.Revision, kv.CreateRevision);
    }

    [SkippableFact]
    public async Task Revisions_are_global_and_strictly_increasing()
    {
        var revs = new List<long>();
        for (var i = 0; i < 10; i++)
        {
            revs.Add(await PutAsync($"{P}k{i}"));
        }

        for (var i = 1; i < revs.Count; i++)
        {
            Assert.True(revs[i] > revs[i - 1], $"revision {revs[i]} after {revs[i - 1]}");
        }
    }

    [SkippableFact]
    public async Task Get_of_a_missing_key_is_null()
    {
        Assert.Null(await Store.GetAsync(P + "missing"));
    }

    [SkippableFact]
    public async Task Get_at_an_old_revision_sees_the_value_of_then()
    {
        var r1 = await PutAsync(P + "a", 1);
        var r2 = (await Store.UpdateAsync(P + "a", Json("a", 2), r1)).Revision;
        var r3 = (await Store.DeleteAsync(P + "a")).Revision;

        Assert.Equal(1, N((await Store.GetAsync(P + "a", r1))!));
        Assert.Equal(2, N((await Store.GetAsync(P + "a", r2))!));
        Assert.Equal(2, N((await Store.GetAsync(P + "a", r3 - 1))!));
        Assert.Null(await Store.GetAsync(P + "a", r3));
    }

    [SkippableFact]
    public async Task Get_before_creation_is_null()
    {
        var other = await PutAsync(P + "other");
        await PutAsync(P + "a");

        Assert.Null(await Store.GetAsync(P + "a", other));
    }

    [SkippableFact]
    public async Task Get_at_a_future_or_negative_revision_is_InvalidArgument()
    {
        var rev = await PutAsync(P + "a");

        var future = await Assert.ThrowsAsync<StoreException>(() => Store.GetAsync(P + "a", rev + 1_000_000).AsTask());
        var negative = await Assert.ThrowsAsync<StoreException>(() => Store.GetAsync(P + "a", -1).AsTask());

        Assert.Equal(StoreErrorCode.InvalidArgument, future.Code);
        Assert.Contains("future", future.Message, StringComparison.Ordinal);
        Assert.Equal(StoreErrorCode.InvalidArgument, negative.Code);
    }

    // ---- update / delete ----------------------------------------------------------------------

    [SkippableFact]
    public async Task Update_with_the_current_mod_revision_succeeds_and_keeps_create_revision()
    {
        var created = await PutAsync(P + "a", 1);

        var r = await Store.UpdateAsync(P + "a", Json("a", 2), created);

        Assert.Equal(WriteStatus.Ok, r.Status);
        Assert.True(r.Revision > created);
        var kv = (await Store.GetAsync(P + "a"))!;
        Assert.Equal(2, N(kv));
        Assert.Equal(created, kv.CreateRevision);
        Assert.Equal(r.Revision, kv.ModRevision);
    }

    [SkippableFact]
    public async Task Update_with_a_stale_mod_revision_is_Conflict_with_the_current_value()
    {
        var created = await PutAsync(P + "a", 1);
        var second = (await Store.UpdateAsync(P + "a", Json("a", 2), created)).Revision;

        var r = await Store.UpdateAsync(P + "a", Json("a", 3), created);

        Assert.Equal(WriteStatus.Conflict, r.Status);
        Assert.Equal(0, r.Revision);
        Assert.NotNull(r.Current);
        Assert.Equal(second, r.Current.ModRevision);
        Assert.Equal(2, N(r.Current));
    }

    [SkippableFact]
    public async Task Update_of_a_missing_key_is_NotFound()
    {
        var r = await Store.UpdateAsync(P + "missing", Json("x"), 1);

        Assert.Equal(WriteStatus.NotFound, r.Status);
        Assert.Null(r.Current);
    }

    [SkippableFact]
    public async Task Delete_returns_its_revision_and_the_deleted_value()
    {
        var created = await PutAsync(P + "a", 5);

        var r = await Store.DeleteAsync(P + "a");

        Assert.Equal(WriteStatus.Ok, r.Status);
        Assert.True(r.Revision > created);
        Assert.Equal(5, N(r.Current!));
        Assert.Equal(created, r.Current!.ModRevision);
        Assert.Null(await Store.GetAsync(P + "a"));
        Assert.Equal(WriteStatus.NotFound, (await Store.DeleteAsync(P + "a")).Status);
    }

    [SkippableFact]
    public async Task Delete_with_a_stale_mod_revision_is_Conflict_and_keeps_the_key()
    {
        var created = await PutAsync(P + "a", 1);
        var updated = (await Store.UpdateAsync(P + "a", Json("a", 2), created)).Revision;

        var stale = await Store.DeleteAsync(P + "a", created);
        var fresh = await Store.DeleteAsync(P + "a", updated);

        Assert.Equal(WriteStatus.Conflict, stale.Status);
        Assert.Equal(updated, stale.Current!.ModRevision);
        Assert.Equal(WriteStatus.Ok, fresh.Status);
    }

    [SkippableFact]
    public async Task Racing_compare_and_swaps_have_exactly_one_winner()
    {
        var created = await PutAsync(P + "a", 0);
        var racers = Enumerable.Range(1, 16)
            .Select(i => Task.Run(async () => await Store.UpdateAsync(P + "a", Json("a", i), created)))
            .ToArray();

        var results = await Task.WhenAll(racers);

        Assert.Single(results, r => r.Status == WriteStatus.Ok);
        Assert.Equal(15, results.Count(r => r.Status == WriteStatus.Conflict));
        var winner = results.Single(r => r.Succeeded);
        Assert.All(results.Where(r => !r.Succeeded), r => Assert.Equal(winner.Revision, r.Current!.ModRevision));
        Assert.Equal(N(winner.Current!), N((await Store.GetAsync(P + "a"))!));
    }

    [SkippableFact]
    public async Task Racing_creates_of_one_key_have_exactly_one_winner()
    {
        var racers = Enumerable.Range(1, 16)
            .Select(i => Task.Run(async () => await Store.CreateAsync(P + "a", Json("a", i))))
            .ToArray();

        var results = await Task.WhenAll(racers);

        Assert.Single(results, r => r.Status == WriteStatus.Ok);
        Assert.Equal(15, results.Count(r => r.Status == WriteStatus.AlreadyExists));
    }

    // ---- list ---------------------------------------------------------------------------------

    [SkippableFact]
    public async Task List_returns_live_keys_under_the_prefix_in_key_order()
    {
        await PutAsync(P + "b/2");
        await PutAsync(P + "a/1");
        await PutAsync(P + "b/1");
        await PutAsync(P + "b0");
        await PutAsync(P + "b/3");
        await Store.DeleteAsync(P + "b/3");
        var rev = await PutAsync(P + "c/1");

        var all = await Store.ListAsync(P);
        var b = await Store.ListAsync(P + "b/");

        Assert.Equal([P + "a/1", P + "b/1", P + "b/2", P + "b0", P + "c/1"], all.Items.Select(i => i.Key));
        Assert.Equal([P + "b/1", P + "b/2"], b.Items.Select(i => i.Key));
        Assert.True(all.Revision >= rev);
        Assert.Null(all.Continue);
        Assert.Equal(2, await Store.CountAsync(P + "b/"));
    }

    [SkippableFact]
    public async Task Paginated_list_stays_consistent_at_one_revision_while_writes_continue()
    {
        var revs = new Dictionary<string, long>();
        for (var i = 0; i < 10; i++)
        {
            revs[$"{P}k{i:D2}"] = await PutAsync($"{P}k{i:D2}", i);
        }

        var page1 = await Store.ListAsync(P, limit: 3);
        // Writes between pages: a new key inside the range, an update, a delete, all after the list's revision.
        await PutAsync(P + "k05a", 100);
        await Store.UpdateAsync(P + "k07", Json("k07", 700), revs[P + "k07"]);
        await Store.DeleteAsync(P + "k08");
        var seen = new List<KeyValue>(page1.Items);
        var token = page1.Continue;
        var pages = 1;
        while (token is not null)
        {
            var page = await Store.ListAsync(P, limit: 3, continueToken: token);
            Assert.Equal(page1.Revision, page.Revision);
            seen.AddRange(page.Items);
            token = page.Continue;
            pages++;
        }

        Assert.Equal(4, pages);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"{P}k{i:D2}"), seen.Select(i => i.Key));
        Assert.Equal(Enumerable.Range(0, 10), seen.Select(kv => N(kv)));
        Assert.Equal(3, page1.Items.Count);
        Assert.Equal(7, page1.RemainingItemCount ?? 7);
    }

    [SkippableFact]
    public async Task List_at_an_old_revision_sees_the_keys_of_then()
    {
        var r1 = await PutAsync(P + "a", 1);
        await PutAsync(P + "b", 1);
        await Store.UpdateAsync(P + "a", Json("a", 2), r1);
        await Store.DeleteAsync(P + "b");
        var r = await Store.ListAsync(P, revision: r1);

        Assert.Equal(r1, r.Revision);
        var only = Assert.Single(r.Items);
        Assert.Equal(1, N(only));
    }

    [SkippableFact]
    public async Task A_tampered_or_foreign_continue_token_is_InvalidArgument_and_the_store_stays_usable()
    {
        for (var i = 0; i < 4; i++)
        {
            await PutAsync($"{P}x/{i}");
            await PutAsync($"{P}y/{i}");
        }

        var token = (await Store.ListAsync(P + "x/", limit: 2)).Continue!;
        var chars = token.ToCharArray();
        chars[chars.Length / 2] = chars[chars.Length / 2] == 'A' ? 'B' : 'A';
        var tampered = new string(chars);

        foreach (var bad in new[] { tampered, "not-a-token!", "e30", token + "x" })
        {
            var e = await Record.ExceptionAsync(() => Store.ListAsync(P + "x/", limit: 2, continueToken: bad).AsTask());
            Assert.True(e is StoreException { Code: StoreErrorCode.InvalidArgument }, $"token \"{bad}\" (from \"{token}\"): {e?.ToString() ?? "accepted"}");
        }

        var foreign = await Assert.ThrowsAsync<StoreException>(() => Store.ListAsync(P + "y/", limit: 2, continueToken: token).AsTask());
        Assert.Equal(StoreErrorCode.InvalidArgument, foreign.Code);
        Assert.Equal(2, (await Store.ListAsync(P + "x/", limit: 2, continueToken: token)).Items.Count);
    }

    // ---- watch --------------------------------------------------------------------------------

    [SkippableFact]
    public async Task Watch_from_now_sees_later_changes_in_order_with_previous_values()
    {
        var start = await PutAsync(P + "a", 1);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var watch = Store.WatchAsync(P, start, cts.Token).GetAsyncEnumerator(cts.Token);

        var u = await Store.UpdateAsync(P + "a", Json("a", 2), start);
        var c = await Store.CreateAsync(P + "b", Json("b", 3));
        var d = await Store.DeleteAsync(P + "a");

        var events = await TakeAsync(watch, 3);
        Assert.Equal([u.Revision, c.Revision, d.Revision], events.Select(e => e.Revision));
        Assert.Equal(WatchEventType.Put, events[0].Type);
        Assert.Equal(1, N(events[0].Previous!));
        Assert.Equal(2, N(events[0].Kv));
        Assert.False(events[0].IsCreate);
        Assert.True(events[1].IsCreate);
        Assert.Null(events[1].Previous);
        Assert.Equal(WatchEventType.Delete, events[2].Type);
        Assert.Equal(P + "a", events[2].Kv.Key);
        Assert.Equal(2, N(events[2].Previous!));
    }

    [SkippableFact]
    public async Task Watch_from_an_old_revision_replays_history_then_follows()
    {
        await PutAsync(P + "first");
        var r1 = await PutAsync(P + "a", 1);
        var r2 = (await Store.UpdateAsync(P + "a", Json("a", 2), r1)).Revision;
        var r3 = (await Store.DeleteAsync(P + "a")).Revision;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var watch = Store.WatchAsync(P, r1 - 1, cts.Token).GetAsyncEnumerator(cts.Token);

        var history = await TakeAsync(watch, 3);
        var r4 = await PutAsync(P + "b", 4);
        var live = await TakeAsync(watch, 1);

        Assert.Equal([r1, r2, r3, r4], history.Concat(live).Select(e => e.Revision));
        Assert.Equal([WatchEventType.Put, WatchEventType.Put, WatchEventType.Delete, WatchEventType.Put], history.Concat(live).Select(e => e.Type));
    }

    [SkippableFact]
    public async Task Watch_sees_only_its_prefix()
    {
        var start = await Store.GetCurrentRevisionAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var watch = Store.WatchAsync(P + "in/", start, cts.Token).GetAsyncEnumerator(cts.Token);

        await PutAsync(P + "out/1");
        await PutAsync(P + "in0");
        var inside = await PutAsync(P + "in/1");

        var e = Assert.Single(await TakeAsync(watch, 1));
        Assert.Equal(inside, e.Revision);
        Assert.Equal(P + "in/1", e.Kv.Key);
    }

    [SkippableFact]
    public async Task Watch_under_concurrent_writers_has_no_gap_no_duplicate_and_keeps_order()
    {
        const int writers = 8, perWriter = 40;
        var start = await Store.GetCurrentRevisionAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var watch = Store.WatchAsync(P, start, cts.Token).GetAsyncEnumerator(cts.Token);

        var writes = await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            var revs = new List<long>();
            long mod = 0;
            for (var i = 0; i < perWriter; i++)
            {
                var key = $"{P}w{w}";
                var r = i == 0 ? await Store.CreateAsync(key, Json(key, i)) : await Store.UpdateAsync(key, Json(key, i), mod);
                Assert.Equal(WriteStatus.Ok, r.Status);
                mod = r.Revision;
                revs.Add(r.Revision);
            }

            return revs;
        })));

        var events = await TakeAsync(watch, writers * perWriter);
        var expected = writes.SelectMany(r => r).Order().ToList();
        Assert.Equal(expected, events.Select(e => e.Revision));
        // Per key, values arrive in the order they were written.
        foreach (var group in events.GroupBy(e => e.Kv.Key))
        {
            Assert.Equal(Enumerable.Range(0, perWriter), group.Select(e => N(e.Kv)));
        }
    }

    [SkippableFact]
    public async Task A_watcher_that_does_not_read_for_a_long_time_still_gets_every_event()
    {
        var start = await Store.GetCurrentRevisionAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await using var slow = Store.WatchAsync(P, start, cts.Token).GetAsyncEnumerator(cts.Token);
        var count = SlowWatcherWrites;
        for (var i = 0; i < count; i++)
        {
            await PutAsync($"{P}k{i:D5}", i);
        }

        var events = await TakeAsync(slow, count);

        Assert.Equal(Enumerable.Range(0, count), events.Select(e => N(e.Kv)));
    }

    /// <summary>Enough writes to overflow the in-memory ring of the backend under test.</summary>
    protected virtual int SlowWatcherWrites => 5000;

    [SkippableFact]
    public async Task Cancelling_a_watch_ends_it()
    {
        var start = await Store.GetCurrentRevisionAsync();
        using var cts = new CancellationTokenSource();
        await using var watch = Store.WatchAsync(P, start, cts.Token).GetAsyncEnumerator(cts.Token);
        var next = watch.MoveNextAsync().AsTask();

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => next);
    }

    // ---- compaction ---------------------------------------------------------------------------

    [SkippableFact]
    public async Task After_compaction_old_revisions_are_Compacted_and_current_values_stay()
    {
        var r1 = await PutAsync(P + "a", 1);
        var r2 = (await Store.UpdateAsync(P + "a", Json("a", 2), r1)).Revision;
        await PutAsync(P + "gone", 9);
        await Store.DeleteAsync(P + "gone");
        await PutAsync(P + "c", 0);
        var page = await Store.ListAsync(P, limit: 1);
        var r3 = await PutAsync(P + "b", 3);

        await Store.CompactAsync(r3);

        Assert.Equal(StoreErrorCode.Compacted, (await Assert.ThrowsAsync<StoreException>(() => Store.GetAsync(P + "a", r2).AsTask())).Code);
        Assert.Equal(StoreErrorCode.Compacted, (await Assert.ThrowsAsync<StoreException>(() => Store.ListAsync(P, revision: r1).AsTask())).Code);
        Assert.Equal(StoreErrorCode.Compacted, (await Assert.ThrowsAsync<StoreException>(() => Store.ListAsync(P, limit: 1, continueToken: page.Continue).AsTask())).Code);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var watchError = await Assert.ThrowsAsync<StoreException>(async () =>
        {
            await foreach (var e in Store.WatchAsync(P, r1, cts.Token))
            {
            }
        });
        Assert.Equal(StoreErrorCode.Compacted, watchError.Code);
        Assert.Equal(2, N((await Store.GetAsync(P + "a"))!));
        Assert.Equal(2, N((await Store.GetAsync(P + "a", r3))!));
        Assert.Equal([P + "a", P + "b", P + "c"], (await Store.ListAsync(P)).Items.Select(i => i.Key));
        Assert.True(await Store.GetCompactedRevisionAsync() >= r3);
        await Store.CompactAsync(r3); // idempotent
        await Store.CompactAsync(r1); // older: nothing to do
    }

    [SkippableFact]
    public async Task A_key_deleted_between_two_compactions_stays_deleted()
    {
        // The first compaction's mark falls between the key's last write and its delete; the second passes the delete.
        var r1 = await PutAsync(P + "a", 1);
        var r2 = (await Store.UpdateAsync(P + "a", Json("a", 2), r1)).Revision;
        var r3 = await PutAsync(P + "b", 3);
        await Store.CompactAsync(r3);
        await CompactionFinishedAsync(r3);
        await Store.UpdateAsync(P + "b", Json("b", 4), r3);
        var deleted = await Store.DeleteAsync(P + "a", r2);
        Assert.Equal(WriteStatus.Ok, deleted.Status);

        await Store.CompactAsync(deleted.Revision);
        await CompactionFinishedAsync(deleted.Revision);

        Assert.Null(await Store.GetAsync(P + "a"));
        Assert.Null(await Store.GetAsync(P + "a", deleted.Revision));
        Assert.Equal([P + "b"], (await Store.ListAsync(P)).Items.Select(i => i.Key));
        Assert.Equal([P + "b"], (await Store.ListAsync(P, limit: 1)).Items.Select(i => i.Key));
        Assert.Equal(1, await Store.CountAsync(P));
        Assert.Equal(4, N((await Store.GetAsync(P + "b"))!));
        Assert.Equal(WriteStatus.NotFound, (await Store.DeleteAsync(P + "a")).Status);
    }

    [SkippableFact]
    public async Task Watch_from_the_compacted_revision_itself_works()
    {
        var r1 = await PutAsync(P + "a", 1);
        await Store.CompactAsync(r1);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var watch = Store.WatchAsync(P, r1, cts.Token).GetAsyncEnumerator(cts.Token);

        var r2 = await PutAsync(P + "b", 2);

        Assert.Equal(r2, Assert.Single(await TakeAsync(watch, 1)).Revision);
    }

    [SkippableFact]
    public async Task Compacting_to_a_future_revision_is_InvalidArgument()
    {
        var rev = await PutAsync(P + "a");

        var e = await Assert.ThrowsAsync<StoreException>(() => Store.CompactAsync(rev + 1_000_000).AsTask());

        Assert.Equal(StoreErrorCode.InvalidArgument, e.Code);
    }

    // ---- time-to-live -------------------------------------------------------------------------

    [SkippableFact]
    public async Task A_key_with_a_time_to_live_is_deleted_when_it_runs_out_and_watchers_see_it()
    {
        var start = await Store.GetCurrentRevisionAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var watch = Store.WatchAsync(P, start, cts.Token).GetAsyncEnumerator(cts.Token);
        var created = await Store.CreateAsync(P + "event", Json("event"), TimeSpan.FromSeconds(1));
        await PutAsync(P + "keeper");

        await AdvanceTimeAsync(TimeSpan.FromSeconds(3));

        var events = await TakeAsync(watch, 3);
        Assert.Equal(created.Revision, events[0].Revision);
        var deleted = events[2];
        Assert.Equal(WatchEventType.Delete, deleted.Type);
        Assert.Equal(P + "event", deleted.Kv.Key);
        Assert.Null(await Store.GetAsync(P + "event"));
        Assert.NotNull(await Store.GetAsync(P + "keeper"));
    }

    [SkippableFact]
    public async Task A_key_rewritten_without_a_time_to_live_stays()
    {
        var created = await Store.CreateAsync(P + "a", Json("a", 1), TimeSpan.FromSeconds(1));
        var updated = await Store.UpdateAsync(P + "a", Json("a", 2), created.Revision);
        var start = await Store.GetCurrentRevisionAsync();
        var marker = P + "marker";
        await Store.CreateAsync(marker, Json("m"), TimeSpan.FromSeconds(1));

        await AdvanceTimeAsync(TimeSpan.FromSeconds(3));
        // The marker expiring shows the expiry pass has run; the rewritten key must have outlived it.
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var watch = Store.WatchAsync(P, start, cts.Token).GetAsyncEnumerator(cts.Token);
        var events = await TakeAsync(watch, 2);

        Assert.Equal(WatchEventType.Delete, events[1].Type);
        Assert.Equal(marker, events[1].Kv.Key);
        Assert.Equal(updated.Revision, (await Store.GetAsync(P + "a"))!.ModRevision);
    }

    // ---- bad input ----------------------------------------------------------------------------

    public static TheoryData<string, string> BadKeys => new()
    {
        { "empty", "" },
        { "outside the registry", "/pods/default/a" },
        { "relative", "registry/pods/a" },
        { "registry root itself", "/registry/" },
        { "trailing slash", "/registry/pods/a/" },
        { "empty segment", "/registry/pods//a" },
        { "dot-dot segment", "/registry/pods/../secrets/a" },
        { "control character", "/registry/pods/a\nb" },
        { "too long", "/registry/pods/" + new string('x', 1100) },
    };

    [SkippableTheory]
    [MemberData(nameof(BadKeys))]
    public async Task A_bad_key_is_InvalidArgument_everywhere(string why, string key)
    {
        _ = Store;
        var errors = new List<StoreException>
        {
            await Assert.ThrowsAsync<StoreException>(() => Store.CreateAsync(key, Json("x")).AsTask()),
            await Assert.ThrowsAsync<StoreException>(() => Store.GetAsync(key).AsTask()),
            await Assert.ThrowsAsync<StoreException>(() => Store.UpdateAsync(key, Json("x"), 1).AsTask()),
            await Assert.ThrowsAsync<StoreException>(() => Store.DeleteAsync(key).AsTask()),
        };

        Assert.All(errors, e => Assert.Equal(StoreErrorCode.InvalidArgument, e.Code));
        Assert.NotEmpty(why);
        await PutAsync(P + "still-usable");
    }

    [SkippableFact]
    public async Task A_key_with_a_lone_surrogate_is_InvalidArgument()
    {
        _ = Store;
        var key = P + "a" + (char)0xD800;

        var e = await Assert.ThrowsAsync<StoreException>(() => Store.CreateAsync(key, Json("x")).AsTask());

        Assert.Equal(StoreErrorCode.InvalidArgument, e.Code);
    }

    public static TheoryData<string, string> BadValues => new()
    {
        { "empty", "" },
        { "not json", "hello" },
        { "json array", "[1,2]" },
        { "json string", "\"x\"" },
        { "truncated", "{\"a\":" },
        { "two objects", "{}{}" },
        { "trailing garbage", "{\"a\":1} x" },
    };

    [SkippableTheory]
    [MemberData(nameof(BadValues))]
    public async Task A_value_that_is_not_a_json_object_is_InvalidArgument(string why, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        var created = await PutAsync(P + "a");

        var create = await Assert.ThrowsAsync<StoreException>(() => Store.CreateAsync(P + "b", bytes).AsTask());
        var update = await Assert.ThrowsAsync<StoreException>(() => Store.UpdateAsync(P + "a", bytes, created).AsTask());

        Assert.Equal(StoreErrorCode.InvalidArgument, create.Code);
        Assert.Equal(StoreErrorCode.InvalidArgument, update.Code);
        Assert.NotEmpty(why);
        Assert.Equal(created, (await Store.GetAsync(P + "a"))!.ModRevision);
        Assert.Null(await Store.GetAsync(P + "b"));
    }

    [SkippableFact]
    public async Task An_oversized_value_is_InvalidArgument()
    {
        _ = Store;
        var big = Encoding.UTF8.GetBytes("{\"data\":\"" + new string('x', StoreLimits.MaxValueBytes) + "\"}");

        var e = await Assert.ThrowsAsync<StoreException>(() => Store.CreateAsync(P + "big", big).AsTask());

        Assert.Equal(StoreErrorCode.InvalidArgument, e.Code);
        Assert.Contains("larger than", e.Message, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [InlineData("/registry/pods")]
    [InlineData("/pods/")]
    [InlineData("")]
    [InlineData("/registry/a/../")]
    public async Task A_bad_prefix_is_InvalidArgument_for_list_watch_and_count(string prefix)
    {
        _ = Store;
        var list = await Assert.ThrowsAsync<StoreException>(() => Store.ListAsync(prefix).AsTask());
        var count = await Assert.ThrowsAsync<StoreException>(() => Store.CountAsync(prefix).AsTask());
        var watch = Assert.Throws<StoreException>(() => Store.WatchAsync(prefix, 0));

        Assert.All([list, count, watch], e => Assert.Equal(StoreErrorCode.InvalidArgument, e.Code));
    }

    [SkippableFact]
    public async Task Negative_or_future_revisions_and_limits_are_InvalidArgument()
    {
        var rev = await PutAsync(P + "a");

        var errors = new List<StoreException>
        {
            await Assert.ThrowsAsync<StoreException>(() => Store.ListAsync(P, revision: -5).AsTask()),
            await Assert.ThrowsAsync<StoreException>(() => Store.ListAsync(P, revision: rev + 1_000_000).AsTask()),
            await Assert.ThrowsAsync<StoreException>(() => Store.ListAsync(P, limit: -1).AsTask()),
            await Assert.ThrowsAsync<StoreException>(() => Store.CompactAsync(-1).AsTask()),
            Assert.Throws<StoreException>(() => Store.WatchAsync(P, -1)),
            await WatchFailureAsync(P, rev + 1_000_000),
            await Assert.ThrowsAsync<StoreException>(() => Store.CreateAsync(P + "t", Json("t"), TimeSpan.FromMilliseconds(10)).AsTask()),
        };

        Assert.All(errors, e => Assert.Equal(StoreErrorCode.InvalidArgument, e.Code));
        Assert.NotNull(await Store.GetAsync(P + "a"));
    }

    /// <summary>A watch that must fail: when called, or at its first read (the contract allows both).</summary>
    protected async Task<StoreException> WatchFailureAsync(string prefix, long afterRevision)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return await Assert.ThrowsAsync<StoreException>(async () =>
        {
            await foreach (var e in Store.WatchAsync(prefix, afterRevision, cts.Token))
            {
                Assert.Fail($"watch from {afterRevision} delivered revision {e.Revision}");
            }
        });
    }

    protected static async Task<List<WatchEvent>> TakeAsync(IAsyncEnumerator<WatchEvent> watch, int count)
    {
        var events = new List<WatchEvent>(count);
        while (events.Count < count)
        {
            Assert.True(await watch.MoveNextAsync(), $"watch ended after {events.Count} of {count} events");
            events.Add(watch.Current);
        }

        return events;
    }
}
