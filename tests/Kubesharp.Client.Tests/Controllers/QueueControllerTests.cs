using System.Collections.Concurrent;
using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Client.Controllers;
using Kubesharp.Testing.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.Client.Tests.Controllers;

public sealed class QueueControllerTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private readonly FakeClock _clock = new();

    private sealed class TestController(FakeClock clock, Func<string, CancellationToken, Task<ReconcileResult>> reconcile, ILogger? logger, params ISharedInformer[] informers)
        : QueueController("test-controller", clock, logger ?? NullLogger.Instance)
    {
        public TestController(FakeClock clock, Func<string, CancellationToken, Task<ReconcileResult>> reconcile, params ISharedInformer[] informers)
            : this(clock, reconcile, null, informers)
        {
        }

        protected override IEnumerable<ISharedInformer> Informers => informers;

        protected override Task<ReconcileResult> ReconcileAsync(string key, CancellationToken cancellationToken) => reconcile(key, cancellationToken);
    }

    private sealed class FakeInformer : ISharedInformer
    {
        public TaskCompletionSource Synced { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Name => "fake";

        public bool HasSynced => Synced.Task.IsCompleted;

        public Task WaitForSyncAsync(CancellationToken cancellationToken) => Synced.Task.WaitAsync(cancellationToken);

        public Task RunAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    [Fact]
    public async Task Done_forgets_requeue_after_comes_back_and_a_failure_backs_off()
    {
        var calls = new ConcurrentQueue<string>();
        var outcomes = new Queue<Func<ReconcileResult>>([
            () => ReconcileResult.RequeueAfter(TimeSpan.FromSeconds(30)),
            () => throw new InvalidOperationException("transient"),
            () => ReconcileResult.Done,
        ]);
        using var controller = new TestController(_clock, (key, _) =>
        {
            calls.Enqueue(key);
            return Task.FromResult(outcomes.Dequeue()());
        });

        controller.Enqueue("ns/a");
        await controller.ProcessAsync((await controller.Queue.GetAsync(CancellationToken.None)).Item, CancellationToken.None);
        Assert.Equal((0, 1, 0), (controller.Queue.Count, controller.Queue.WaitingCount, controller.Queue.NumRequeues("ns/a")));

        _clock.Advance(TimeSpan.FromSeconds(30));
        await controller.ProcessAsync((await controller.Queue.GetAsync(CancellationToken.None)).Item, CancellationToken.None);
        Assert.Equal((1L, 1), (controller.Failures, controller.Queue.NumRequeues("ns/a")));

        _clock.Advance(TimeSpan.FromMilliseconds(5));
        await controller.ProcessAsync((await controller.Queue.GetAsync(CancellationToken.None)).Item, CancellationToken.None);
        Assert.Equal((0, 0, 0), (controller.Queue.Count, controller.Queue.WaitingCount, controller.Queue.NumRequeues("ns/a")));
        Assert.Equal(3L, controller.Reconciles);
    }

    private sealed class RecordingLogger : ILogger
    {
        public ConcurrentQueue<(LogLevel Level, bool HasException)> Entries { get; } = new();

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Enqueue((logLevel, exception is not null));
    }

    [Fact]
    public async Task A_lost_write_conflict_is_retried_quietly_and_other_failures_are_errors()
    {
        var logger = new RecordingLogger();
        var outcomes = new Queue<Exception>([
            new ApiStatusException(new V1Status { Code = 409, Reason = "Conflict", Message = "the object has been modified" }),
            new ApiStatusException(new V1Status { Code = 409, Reason = "AlreadyExists", Message = "already exists" }),
            new ApiStatusException(new V1Status { Code = 500, Reason = "InternalError", Message = "boom" }),
        ]);
        using var controller = new TestController(_clock, (_, _) => throw outcomes.Dequeue(), logger);

        for (var i = 0; i < 3; i++)
        {
            controller.Enqueue("ns/a");
            _clock.Advance(TimeSpan.FromMinutes(1));
            await controller.ProcessAsync((await controller.Queue.GetAsync(CancellationToken.None)).Item, CancellationToken.None);
        }

        Assert.Equal([(LogLevel.Debug, false), (LogLevel.Error, true), (LogLevel.Error, true)], logger.Entries);
        Assert.Equal(3L, controller.Failures);
        Assert.Equal(3, controller.Queue.NumRequeues("ns/a"));
    }

    [Fact]
    public async Task Workers_start_after_caches_sync_and_never_reconcile_one_key_twice_at_once()
    {
        var informer = new FakeInformer();
        var inFlight = new ConcurrentDictionary<string, int>();
        var overlap = false;
        var firstEntered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var count = 0;
        var twoDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var controller = new TestController(_clock, async (key, _) =>
        {
            if (inFlight.AddOrUpdate(key, 1, (_, n) => n + 1) > 1)
            {
                overlap = true;
            }

            firstEntered.TrySetResult();
            await release.Task;
            inFlight.AddOrUpdate(key, 0, (_, n) => n - 1);
            if (Interlocked.Increment(ref count) == 2)
            {
                twoDone.TrySetResult();
            }

            return ReconcileResult.Done;
        }, informer);
        using var stop = new CancellationTokenSource();
        controller.Enqueue("ns/a");

        var run = controller.RunAsync(4, stop.Token);
        Assert.False(firstEntered.Task.IsCompleted);
        informer.Synced.SetResult();
        await firstEntered.Task.WaitAsync(Bound);
        controller.Enqueue("ns/a");
        controller.Enqueue("ns/a");
        Assert.Equal(0, controller.Queue.Count);
        release.SetResult();

        await twoDone.Task.WaitAsync(Bound);
        Assert.False(overlap, "two workers reconciled one key at once");
        await stop.CancelAsync();
        await run.WaitAsync(Bound);
        Assert.Equal(2L, controller.Reconciles);
    }

    [Fact]
    public async Task Shutdown_lets_a_reconcile_in_flight_finish_with_its_token_uncancelled()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cancelledSeen = true;
        using var controller = new TestController(_clock, async (_, ct) =>
        {
            entered.TrySetResult();
            await release.Task;
            cancelledSeen = ct.IsCancellationRequested;
            return ReconcileResult.Done;
        });
        using var stop = new CancellationTokenSource();
        controller.Enqueue("ns/a");
        var run = controller.RunAsync(2, stop.Token);
        await entered.Task.WaitAsync(Bound);

        await stop.CancelAsync();
        controller.Enqueue("ns/b");
        Assert.False(run.IsCompleted, "the run ended while a reconcile was in flight");
        release.SetResult();

        await run.WaitAsync(Bound);
        Assert.False(cancelledSeen, "the in-flight reconcile's token was cancelled before the drain timeout");
        Assert.Equal(1L, controller.Reconciles);
        Assert.True(controller.Queue.ShuttingDown);
    }

    [Fact]
    public async Task A_reconcile_that_outlives_the_drain_timeout_is_cancelled()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var controller = new TestController(_clock, async (_, ct) =>
        {
            entered.TrySetResult();
            await Task.Delay(Timeout.InfiniteTimeSpan, ct);
            return ReconcileResult.Done;
        })
        { DrainTimeout = TimeSpan.FromSeconds(30) };
        using var stop = new CancellationTokenSource();
        controller.Enqueue("ns/a");
        var run = controller.RunAsync(1, stop.Token);
        await entered.Task.WaitAsync(Bound);

        await stop.CancelAsync();
        await _clock.AdvanceWhenArmedAsync(TimeSpan.FromSeconds(30));

        await run.WaitAsync(Bound);
        Assert.Equal(1L, controller.Failures);
    }

    [Fact]
    public async Task The_host_runs_every_controller_until_cancelled()
    {
        var seen = new ConcurrentBag<string>();
        var bothSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<ReconcileResult> Record(string key)
        {
            seen.Add(key);
            if (seen.Count == 2)
            {
                bothSeen.TrySetResult();
            }

            return Task.FromResult(ReconcileResult.Done);
        }

        using var a = new TestController(_clock, (key, _) => Record("a:" + key));
        using var b = new TestController(_clock, (key, _) => Record("b:" + key));
        var host = new ControllerHost(NullLogger.Instance);
        host.Add(a, 1);
        host.Add(b, 2);
        using var stop = new CancellationTokenSource();
        a.Enqueue("x");
        b.Enqueue("y");

        var run = host.RunAsync(null, stop.Token);
        await bothSeen.Task.WaitAsync(Bound);
        await stop.CancelAsync();

        await run.WaitAsync(Bound);
        Assert.Equal(["a:x", "b:y"], seen.Order());
    }
}
