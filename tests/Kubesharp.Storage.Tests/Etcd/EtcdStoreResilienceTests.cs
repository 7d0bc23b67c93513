using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Kubesharp.Storage.Etcd;
using Kubesharp.Testing;

namespace Kubesharp.Storage.Tests.Etcd;

/// <summary>
/// etcd-only behaviour: several endpoints, members that die and come back, limits that depend on etcd's
/// flags. Each test has its own etcd, since some kill it.
/// </summary>
public sealed class EtcdStoreResilienceTests : IAsyncLifetime
{
    private const string P = "/registry/resilience/";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private EtcdProcess? _etcd;
    private string? _skipReason;

    private EtcdProcess Etcd => _etcd ?? throw new SkipException(_skipReason ?? "etcd was not started");

    public async Task InitializeAsync()
    {
        string binary;
        try
        {
            binary = EtcdFixture.RequireBinary();
        }
        catch (SkipException e)
        {
            _skipReason = e.Message;
            return;
        }

        _etcd = await EtcdProcess.StartNewAsync(binary);
    }

    public async Task DisposeAsync()
    {
        if (_etcd is not null)
        {
            await _etcd.DisposeAsync();
        }
    }

    [SkippableTheory]
    [InlineData("dead endpoint first", true)]
    [InlineData("dead endpoint last", false)]
    public async Task Several_endpoints_where_one_is_dead_still_work(string why, bool deadFirst)
    {
        var dead = $"http://127.0.0.1:{UnusedPort()}";
        var endpoints = deadFirst ? $"{dead},{Etcd.Endpoint}" : $"{Etcd.Endpoint},{dead}";
        await using var store = new EtcdStore(new EtcdStoreOptions { Endpoints = endpoints, RetryTimeout = TimeSpan.FromSeconds(5) });
        var stopwatch = Stopwatch.StartNew();

        var start = await store.GetCurrentRevisionAsync();
        using var cts = new CancellationTokenSource(Bound);
        await using var watch = store.WatchAsync(P, start, cts.Token).GetAsyncEnumerator(cts.Token);
        var revisions = new List<long>();
        for (var i = 0; i < 20; i++)
        {
            var r = await store.CreateAsync($"{P}k{i:D2}", Json(i));
            Assert.Equal(WriteStatus.Ok, r.Status);
            revisions.Add(r.Revision);
            Assert.Equal(r.Revision, (await store.GetAsync($"{P}k{i:D2}"))!.ModRevision);
        }

        Assert.Equal(20, (await store.ListAsync(P)).Items.Count);
        Assert.Equal(revisions, (await TakeAsync(watch, 20)).Select(e => e.Revision));
        // Every request went to the live member at once: no time was spent on the dead one.
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(20), $"{why}: took {stopwatch.Elapsed}");
    }

    [SkippableFact]
    public async Task With_a_compaction_interval_the_store_compacts_to_the_revision_one_interval_old()
    {
        await using var store = new EtcdStore(new EtcdStoreOptions { Endpoints = Etcd.Endpoint, CompactionInterval = TimeSpan.FromMilliseconds(500) });
        var first = await store.CreateAsync(P + "first", Json(1));
        await store.UpdateAsync(P + "first", Json(2), first.Revision);

        // Ticks go on as writes do; a compaction never passes the revision one tick old, so what was just written
        // stays readable at its revision, and the latest value of every key stays.
        var deadline = Stopwatch.StartNew();
        long compacted = 0;
        var last = first.Revision;
        while (compacted <= first.Revision && deadline.Elapsed < Bound)
        {
            last = (await store.CreateAsync(P + "k" + last, Json(3))).Revision;
            await Task.Delay(100);
            compacted = await store.GetCompactedRevisionAsync();
        }

        Assert.True(compacted > first.Revision, $"no compaction past rev {first.Revision} within {Bound}: compacted {compacted}");
        Assert.True(compacted < last, $"compacted to {compacted}, the latest write's revision {last}: the last interval's history must stay");
        var old = await Assert.ThrowsAsync<StoreException>(() => store.GetAsync(P + "first", first.Revision).AsTask());
        Assert.Equal(StoreErrorCode.Compacted, old.Code);
        Assert.NotNull(await store.GetAsync(P + "first"));
    }

    [SkippableFact]
    public async Task A_watch_resumes_across_an_etcd_restart_with_no_gap_and_no_duplicate()
    {
        await using var store = new EtcdStore(new EtcdStoreOptions { Endpoints = Etcd.Endpoint, RequestTimeout = TimeSpan.FromSeconds(2), RetryTimeout = TimeSpan.FromSeconds(30) });
        var start = await store.GetCurrentRevisionAsync();
        using var cts = new CancellationTokenSource(Bound);
        await using var watch = store.WatchAsync(P, start, cts.Token).GetAsyncEnumerator(cts.Token);
        var a = await store.CreateAsync(P + "a", Json(1));
        var b = await store.CreateAsync(P + "b", Json(2));
        var before = await TakeAsync(watch, 2);
        Assert.Equal([a.Revision, b.Revision], before.Select(e => e.Revision));
        // The watcher is now waiting on its stream when the member dies under it.
        var pending = watch.MoveNextAsync().AsTask();

        await Etcd.KillAsync();
        Assert.False(pending.IsCompleted, "the watch produced an event while etcd was down");
        await Etcd.StartAsync();
        var update = await store.UpdateAsync(P + "a", Json(3), a.Revision);
        var create = await store.CreateAsync(P + "c", Json(4));
        var delete = await store.DeleteAsync(P + "b");

        Assert.True(await pending, "the watch ended instead of resuming");
        var after = new List<WatchEvent> { watch.Current };
        after.AddRange(await TakeAsync(watch, 2));
        Assert.Equal([update.Revision, create.Revision, delete.Revision], after.Select(e => e.Revision));
        Assert.Equal([WatchEventType.Put, WatchEventType.Put, WatchEventType.Delete], after.Select(e => e.Type));
        Assert.Equal(b.Revision, after[2].Previous!.ModRevision);
    }

    [SkippableFact]
    public async Task A_write_while_etcd_is_down_fails_with_Unavailable_in_bounded_time_and_the_store_recovers()
    {
        var options = new EtcdStoreOptions { Endpoints = Etcd.Endpoint, RequestTimeout = TimeSpan.FromSeconds(1), RetryTimeout = TimeSpan.FromSeconds(2) };
        await using var store = new EtcdStore(options);
        Assert.Equal(WriteStatus.Ok, (await store.CreateAsync(P + "before", Json(0))).Status);

        await Etcd.KillAsync();
        var stopwatch = Stopwatch.StartNew();
        var write = await Assert.ThrowsAsync<StoreException>(() => store.CreateAsync(P + "during", Json(1)).AsTask());
        var writeTook = stopwatch.Elapsed;
        var read = await Assert.ThrowsAsync<StoreException>(() => store.GetAsync(P + "before").AsTask());

        Assert.Equal(StoreErrorCode.Unavailable, write.Code);
        Assert.Equal(StoreErrorCode.Unavailable, read.Code);
        // The retry budget is 2 s; the bound leaves room for one attempt's timeout and a slow machine.
        Assert.True(writeTook < TimeSpan.FromSeconds(10), $"the failing write took {writeTook}");
        Assert.True(writeTook >= TimeSpan.FromSeconds(1), $"the write gave up after {writeTook}, without retrying for the budget");

        await Etcd.StartAsync();
        // The first write after the restart succeeds: the connection's reconnect back-off is shorter than the retry budget.
        var after = await store.CreateAsync(P + "after", Json(2));
        Assert.Equal(WriteStatus.Ok, after.Status);
        Assert.NotNull(await store.GetAsync(P + "before"));
        Assert.Null(await store.GetAsync(P + "during"));
    }

    [SkippableFact]
    public async Task A_watch_gives_up_with_Unavailable_when_etcd_stays_down()
    {
        await using var store = new EtcdStore(new EtcdStoreOptions { Endpoints = Etcd.Endpoint, RequestTimeout = TimeSpan.FromSeconds(1), RetryTimeout = TimeSpan.FromSeconds(2) });
        var start = await store.GetCurrentRevisionAsync();
        using var cts = new CancellationTokenSource(Bound);
        await using var watch = store.WatchAsync(P, start, cts.Token).GetAsyncEnumerator(cts.Token);
        await store.CreateAsync(P + "a", Json(1));
        Assert.Single(await TakeAsync(watch, 1));

        await Etcd.KillAsync();
        var stopwatch = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<StoreException>(async () => await watch.MoveNextAsync());

        Assert.Equal(StoreErrorCode.Unavailable, e.Code);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(10), $"the watch gave up after {stopwatch.Elapsed}");
    }

    [SkippableFact]
    public async Task Disposing_the_store_ends_its_watches()
    {
        var store = new EtcdStore(new EtcdStoreOptions { Endpoints = Etcd.Endpoint });
        var start = await store.GetCurrentRevisionAsync();
        using var cts = new CancellationTokenSource(Bound);
        await using var watch = store.WatchAsync(P, start, cts.Token).GetAsyncEnumerator(cts.Token);
        await store.CreateAsync(P + "a", Json(1));
        Assert.Single(await TakeAsync(watch, 1));
        var pending = watch.MoveNextAsync().AsTask();

        await store.DisposeAsync();

        Assert.False(await pending.WaitAsync(cts.Token));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.GetAsync(P + "a").AsTask());
    }

    [SkippableFact]
    public async Task Another_client_learns_the_exact_compacted_revision()
    {
        await using var compactor = new EtcdStore(new EtcdStoreOptions { Endpoints = Etcd.Endpoint });
        var revisions = new List<long>();
        for (var i = 0; i < 37; i++)
        {
            revisions.Add((await compactor.CreateAsync($"{P}k{i}", Json(i))).Revision);
        }

        await compactor.CompactAsync(revisions[20]);
        await using var other = new EtcdStore(new EtcdStoreOptions { Endpoints = Etcd.Endpoint });

        Assert.Equal(revisions[20], await other.GetCompactedRevisionAsync());
        var e = await Assert.ThrowsAsync<StoreException>(() => other.GetAsync($"{P}k3", revisions[19]).AsTask());
        Assert.Equal(StoreErrorCode.Compacted, e.Code);
        Assert.Equal(revisions[20], e.CompactedRevision);
        await compactor.CompactAsync(revisions[30]);
        Assert.Equal(revisions[30], await other.GetCompactedRevisionAsync());
        Assert.Equal(3, N((await other.GetAsync($"{P}k3", revisions[30]))!));
    }

    [SkippableFact]
    public async Task A_value_of_the_largest_accepted_size_under_the_longest_key_is_stored()
    {
        await using var store = new EtcdStore(new EtcdStoreOptions { Endpoints = Etcd.Endpoint });
        var key = P + new string('k', StoreLimits.MaxKeyBytes - P.Length);
        var filler = StoreLimits.MaxValueBytes - "{\"data\":\"\"}".Length;
        var value = Encoding.UTF8.GetBytes("{\"data\":\"" + new string('x', filler) + "\"}");
        Assert.Equal(StoreLimits.MaxValueBytes, value.Length);

        var r = await store.CreateAsync(key, value);

        Assert.Equal(WriteStatus.Ok, r.Status);
        Assert.Equal(value, (await store.GetAsync(key))!.Value);
    }

    private static byte[] Json(int n) => Encoding.UTF8.GetBytes($$$"""{"data":{"n":"{{{n}}}"}}""");

    private static int N(KeyValue kv) =>
        int.Parse(System.Text.Json.JsonDocument.Parse(kv.Value).RootElement.GetProperty("data").GetProperty("n").GetString()!, System.Globalization.CultureInfo.InvariantCulture);

    private static int UnusedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<List<WatchEvent>> TakeAsync(IAsyncEnumerator<WatchEvent> watch, int count)
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
