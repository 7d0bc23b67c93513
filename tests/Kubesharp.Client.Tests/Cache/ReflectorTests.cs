using k8s;
using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Testing.Client;
using Microsoft.Extensions.Logging.Abstractions;
using static Kubesharp.Client.Tests.TestObjects;

namespace Kubesharp.Client.Tests.Cache;

public sealed class ReflectorTests : IAsyncLifetime
{
    // Longer than the largest first back-off (0.8 s + 100% jitter).
    private static readonly TimeSpan PastFirstBackoff = TimeSpan.FromSeconds(2);

    private readonly FakeClock _clock = new();
    private readonly FakeListWatch<V1ConfigMap> _lw = new();
    private readonly RecordingStore _store = new();
    private readonly CancellationTokenSource _stop = new();
    private Reflector<V1ConfigMap> _reflector = null!;
    private Task _run = Task.CompletedTask;

    private void Start(TimeSpan? resync = null)
    {
        _reflector = new Reflector<V1ConfigMap>(_lw.ListWatch, _store, new ReflectorOptions { Name = "test", ResyncPeriod = resync ?? TimeSpan.Zero }, _clock, new Random(7), NullLogger.Instance);
        _run = _reflector.RunAsync(_stop.Token);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        await _run.WaitAsync(TimeSpan.FromSeconds(10));
        _stop.Dispose();
    }

    [Fact]
    public async Task Lists_then_watches_from_the_list_version_with_bookmarks_and_resumes_from_the_last_bookmark()
    {
        _lw.AddList("10", Cm("a", "5"));
        Start();

        var first = await _lw.NextWatchAsync();
        Assert.Equal("10", first.Request.ResourceVersion);
        Assert.True(first.Request.AllowBookmarks);
        Assert.InRange(first.Request.Timeout!.Value, TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(10));

        first.Send(WatchEventType.Added, Cm("b", "11"));
        first.Send(WatchEventType.Modified, Cm("a", "12"));
        first.Send(WatchEventType.Deleted, Cm("b", "13"));
        first.Send(WatchEventType.Bookmark, Bookmark("20"));
        first.End();

        var second = await _lw.NextWatchAsync();
        Assert.Equal("20", second.Request.ResourceVersion);
        Assert.Equal(["replace 10 [a]", "add b 11", "update a 12", "delete b 13"], await _store.Ops.TakeAsync(4));
        Assert.Equal("20", _reflector.LastSyncResourceVersion);
        Assert.Equal(1, _lw.ListCalls);
    }

    [Fact]
    public async Task An_error_event_with_410_relists_after_a_backoff()
    {
        _lw.AddList("10", Cm("a", "5"));
        _lw.AddList("30", Cm("a", "25"), Cm("c", "28"));
        Start();
        var first = await _lw.NextWatchAsync();
        first.Send(WatchEventType.Added, Cm("b", "11"));

        first.SendError(new V1Status { Code = 410, Reason = "Expired", Message = "too old resource version: 11 (20)" });

        await _clock.AdvanceWhenArmedAsync(PastFirstBackoff);
        var second = await _lw.NextWatchAsync();
        Assert.Equal("30", second.Request.ResourceVersion);
        Assert.Equal(["replace 10 [a]", "add b 11", "replace 30 [a,c]"], await _store.Ops.TakeAsync(3));
        Assert.Equal((2, 1L, 0L), (_lw.ListCalls, _reflector.Expired, _reflector.Failures));
    }

    [Fact]
    public async Task An_http_410_on_the_watch_call_relists()
    {
        _lw.AddList("10");
        _lw.AddList("40");
        _lw.RefuseNextWatch(new ApiStatusException(new V1Status { Code = 410, Reason = "Gone", Message = "gone" }));
        Start();

        var refused = await _lw.NextWatchAsync();
        Assert.NotNull(refused.RefusedWith);
        await _clock.AdvanceWhenArmedAsync(PastFirstBackoff);

        var second = await _lw.NextWatchAsync();
        Assert.Equal("40", second.Request.ResourceVersion);
        Assert.Equal((2, 1L), (_lw.ListCalls, _reflector.Expired));
    }

    [Fact]
    public async Task Another_error_event_relists_and_counts_a_failure()
    {
        _lw.AddList("10");
        _lw.AddList("11");
        Start();
        var first = await _lw.NextWatchAsync();

        first.SendError(new V1Status { Code = 500, Reason = "InternalError", Message = "boom" });

        await _clock.AdvanceWhenArmedAsync(PastFirstBackoff);
        Assert.Equal("11", (await _lw.NextWatchAsync()).Request.ResourceVersion);
        Assert.Equal((2, 0L, 1L), (_lw.ListCalls, _reflector.Expired, _reflector.Failures));
    }

    [Fact]
    public async Task A_broken_watch_stream_is_resumed_from_the_last_version_without_a_relist()
    {
        _lw.AddList("10");
        Start();
        var first = await _lw.NextWatchAsync();
        first.Send(WatchEventType.Added, Cm("a", "12"));

        first.Fail(new IOException("connection reset"));

        await _clock.AdvanceWhenArmedAsync(PastFirstBackoff);
        Assert.Equal("12", (await _lw.NextWatchAsync()).Request.ResourceVersion);
        Assert.Equal((1, 1L), (_lw.ListCalls, _reflector.Failures));
    }

    [Fact]
    public async Task A_failed_list_is_retried_after_a_backoff()
    {
        _lw.AddListFailure(new HttpRequestException("connection refused"));
        _lw.AddList("10", Cm("a", "5"));
        Start();

        await _clock.AdvanceWhenArmedAsync(PastFirstBackoff);

        Assert.Equal("10", (await _lw.NextWatchAsync()).Request.ResourceVersion);
        Assert.Equal(["replace 10 [a]"], await _store.Ops.TakeAsync(1));
        Assert.Equal((2, 1L), (_lw.ListCalls, _reflector.Failures));
    }

    [Fact]
    public async Task A_watch_that_ends_at_once_without_events_waits_for_a_backoff_before_the_next()
    {
        _lw.AddList("10");
        Start();
        var first = await _lw.NextWatchAsync();

        first.End();

        await _clock.WaitForArmedTimersAsync(1);
        Assert.Equal(1L, _reflector.Watches);
        _clock.Advance(PastFirstBackoff);
        Assert.Equal("10", (await _lw.NextWatchAsync()).Request.ResourceVersion);
        Assert.Equal(1L, _reflector.Failures);
    }

    [Fact]
    public async Task Resync_redelivers_periodically_once_listed()
    {
        _lw.AddList("10", Cm("a", "5"));
        Start(resync: TimeSpan.FromSeconds(30));
        await _lw.NextWatchAsync();
        Assert.Equal(["replace 10 [a]"], await _store.Ops.TakeAsync(1));

        _clock.Advance(TimeSpan.FromSeconds(30));
        _clock.Advance(TimeSpan.FromSeconds(30));

        Assert.Equal(["resync", "resync"], await _store.Ops.TakeAsync(2));
    }

    [Fact]
    public async Task Cancellation_ends_the_run()
    {
        _lw.AddList("10");
        Start();
        await _lw.NextWatchAsync();

        await _stop.CancelAsync();

        await _run.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(_run.IsCompletedSuccessfully);
    }
}
