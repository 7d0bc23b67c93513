using k8s;
using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Testing.Client;
using Microsoft.Extensions.Logging.Abstractions;
using static Kubesharp.Client.Tests.TestObjects;

namespace Kubesharp.Client.Tests.Cache;

public sealed class SharedIndexInformerTests : IAsyncLifetime
{
    private readonly FakeClock _clock = new();
    private readonly FakeListWatch<V1ConfigMap> _lw = new();
    private readonly CancellationTokenSource _stop = new();
    private SharedIndexInformer<V1ConfigMap> _informer = null!;
    private Task _run = Task.CompletedTask;

    public Task InitializeAsync()
    {
        _informer = NewInformer(TimeSpan.Zero);
        return Task.CompletedTask;
    }

    private SharedIndexInformer<V1ConfigMap> NewInformer(TimeSpan resync) =>
        new(_lw.ListWatch, new SharedInformerOptions { Name = "configmaps", ResyncPeriod = resync, Seed = 1 }, _clock, NullLoggerFactory.Instance);

    private void Start() => _run = _informer.RunAsync(_stop.Token);

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        await _run.WaitAsync(TimeSpan.FromSeconds(10));
        _stop.Dispose();
    }

    [Fact]
    public async Task Handlers_get_every_change_in_order_off_the_watch()
    {
        var first = new RecordingHandler();
        var second = new RecordingHandler();
        _informer.AddEventHandler(first);
        _informer.AddEventHandler(second);
        _lw.AddList("10", Cm("a", "5"), Cm("b", "6"));
        Start();
        var watch = await _lw.NextWatchAsync();

        watch.Send(WatchEventType.Modified, Cm("a", "11"));
        watch.Send(WatchEventType.Added, Cm("c", "12"));
        watch.Send(WatchEventType.Deleted, Cm("b", "13"));
        watch.Send(WatchEventType.Modified, Cm("a", "14"));

        string[] expected = ["add a 5", "add b 6", "update a 5->11", "add c 12", "delete b 13", "update a 11->14"];
        Assert.Equal(expected, await first.Lines.TakeAsync(6));
        Assert.Equal(expected, await second.Lines.TakeAsync(6));
        Assert.False(first.SawConcurrency || second.SawConcurrency);
        Assert.Equal(["a", "c"], _informer.Indexer.ListKeys().Select(k => ObjectKeys.Split(k).Name).Order());
    }

    [Fact]
    public async Task Has_synced_only_after_the_first_list()
    {
        var registration = _informer.AddEventHandler(new RecordingHandler());
        Start();
        var synced = _informer.WaitForSyncAsync(CancellationToken.None);
        Assert.False(_informer.HasSynced);
        Assert.False(synced.IsCompleted);

        _lw.AddList("10", Cm("a", "5"));

        await synced.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(_informer.HasSynced);
        await _lw.NextWatchAsync();
        await WaitUntil(() => registration.HasSynced);
    }

    [Fact]
    public async Task A_late_handler_gets_existing_objects_as_adds_then_later_changes()
    {
        _lw.AddList("10", Cm("a", "5"), Cm("b", "6"));
        Start();
        var watch = await _lw.NextWatchAsync();
        watch.Send(WatchEventType.Modified, Cm("a", "11"));
        await WaitUntil(() => _informer.Indexer.Get("default/a")?.Metadata.ResourceVersion == "11");

        var late = new RecordingHandler();
        var registration = _informer.AddEventHandler(late);
        watch.Send(WatchEventType.Deleted, Cm("b", "12"));

        var lines = await late.Lines.TakeAsync(3);
        Assert.Equal(["add a 11", "add b 6"], lines.Take(2).Order());
        Assert.Equal("delete b 12", lines[2]);
        await WaitUntil(() => registration.HasSynced);
    }

    [Fact]
    public async Task A_relist_turns_vanished_objects_into_tombstones_and_known_ones_into_updates()
    {
        var handler = new RecordingHandler();
        _informer.AddEventHandler(handler);
        _lw.AddList("10", Cm("a", "5"), Cm("b", "6"));
        _lw.AddList("30", Cm("a", "25"), Cm("c", "28"));
        Start();
        var watch = await _lw.NextWatchAsync();
        Assert.Equal(2, (await handler.Lines.TakeAsync(2)).Count);

        watch.SendError(new V1Status { Code = 410, Reason = "Expired" });
        await _clock.AdvanceWhenArmedAsync(TimeSpan.FromSeconds(2));

        Assert.Equal(["update a 5->25", "add c 28", "delete b 6 unknown"], await handler.Lines.TakeAsync(3));
        Assert.Null(_informer.Lister.Get("default", "b"));
    }

    [Fact]
    public async Task A_delete_of_an_unknown_object_is_not_delivered()
    {
        var handler = new RecordingHandler();
        _informer.AddEventHandler(handler);
        _lw.AddList("10");
        Start();
        var watch = await _lw.NextWatchAsync();

        watch.Send(WatchEventType.Deleted, Cm("ghost", "11"));
        watch.Send(WatchEventType.Added, Cm("a", "12"));

        Assert.Equal(["add a 12"], await handler.Lines.TakeAsync(1));
    }

    [Fact]
    public async Task A_throwing_handler_keeps_receiving_and_counts_failures()
    {
        var handler = new RecordingHandler(throwOn: "add a");
        var registration = _informer.AddEventHandler(handler);
        _lw.AddList("10", Cm("a", "5"));
        Start();
        var watch = await _lw.NextWatchAsync();

        watch.Send(WatchEventType.Modified, Cm("a", "6"));

        Assert.Equal(["add a 5", "update a 5->6"], await handler.Lines.TakeAsync(2));
        Assert.Equal(1, registration.Failures);
    }

    [Fact]
    public async Task Resync_delivers_updates_with_the_same_object()
    {
        _informer = NewInformer(TimeSpan.FromMinutes(1));
        var handler = new RecordingHandler();
        _informer.AddEventHandler(handler);
        _lw.AddList("10", Cm("a", "5"));
        Start();
        await _lw.NextWatchAsync();
        Assert.Equal(["add a 5"], await handler.Lines.TakeAsync(1));

        _clock.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal(["update a 5->5"], await handler.Lines.TakeAsync(1));
    }

    [Fact]
    public async Task A_removed_handler_gets_nothing_more()
    {
        var removed = new RecordingHandler();
        var kept = new RecordingHandler();
        var registration = _informer.AddEventHandler(removed);
        _informer.AddEventHandler(kept);
        _lw.AddList("10");
        Start();
        var watch = await _lw.NextWatchAsync();

        _informer.RemoveEventHandler(registration);
        watch.Send(WatchEventType.Added, Cm("a", "11"));

        Assert.Equal(["add a 11"], await kept.Lines.TakeAsync(1));
        Assert.False(removed.Lines.TryRead(out var line), $"a removed handler got: {line}");
    }

    [Fact]
    public void Indexers_cannot_be_added_twice_under_one_name()
    {
        Assert.Throws<InvalidOperationException>(() => _informer.AddIndexers(new Dictionary<string, IndexFunc<V1ConfigMap>> { [Indexers.Namespace] = Indexers.ByNamespace }));
    }

    [Fact]
    public async Task Starting_twice_is_refused()
    {
        _lw.AddList("10");
        Start();

        await Assert.ThrowsAsync<InvalidOperationException>(() => _informer.RunAsync(CancellationToken.None));
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached within 10 s");
            await Task.Delay(5);
        }
    }
}
