using Kubesharp.Client.WorkQueue;

namespace Kubesharp.Client.Tests.WorkQueue;

public sealed class WorkQueueTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    /// <summary>A script of adds (+x), gets (&gt;x: expects x) and dones (-x), and the queue length after it.</summary>
    public static TheoryData<string, string, int> Scripts => new()
    {
        { "adds of a queued key fold", "+a +b +a", 2 },
        { "order is first-add order", "+b +a +b >b >a", 0 },
        { "a key being processed is not queued again", "+a >a +a", 0 },
        { "re-added during processing comes back after done", "+a >a +a -a", 1 },
        { "re-added twice during processing comes back once", "+a >a +a +a -a >a", 0 },
        { "done without re-add leaves nothing", "+a >a -a", 0 },
        { "other keys are not held back by one in processing", "+a >a +b >b +a -b", 0 },
    };

    [Theory]
    [MemberData(nameof(Scripts))]
    public async Task Queue_semantics(string name, string script, int expectedLength)
    {
        using var queue = new WorkQueue<string>();
        foreach (var step in script.Split(' '))
        {
            var key = step[1..];
            switch (step[0])
            {
                case '+':
                    queue.Add(key);
                    break;
                case '-':
                    queue.Done(key);
                    break;
                case '>':
                    var (item, shutdown) = await queue.GetAsync(CancellationToken.None).WaitAsync(Bound);
                    Assert.False(shutdown, name);
                    Assert.Equal(key, item);
                    break;
            }
        }

        Assert.True(expectedLength == queue.Count, $"{name}: expected length {expectedLength}, got {queue.Count}");
    }

    [Fact]
    public async Task Get_waits_for_an_add()
    {
        using var queue = new WorkQueue<string>();
        var get = queue.GetAsync(CancellationToken.None);
        Assert.False(get.IsCompleted);

        queue.Add("a");

        Assert.Equal(("a", false), await get.WaitAsync(Bound));
    }

    [Fact]
    public async Task A_key_is_never_handed_to_two_workers()
    {
        using var queue = new WorkQueue<string>();
        queue.Add("a");
        var (first, _) = await queue.GetAsync(CancellationToken.None).WaitAsync(Bound);
        var second = queue.GetAsync(CancellationToken.None);

        queue.Add("a");

        Assert.False(second.IsCompleted, "a second worker got the key being processed");
        queue.Done(first);
        Assert.Equal(("a", false), await second.WaitAsync(Bound));
    }

    [Fact]
    public async Task Cancelled_get_throws_and_does_not_take_an_item()
    {
        using var queue = new WorkQueue<string>();
        using var cts = new CancellationTokenSource();
        var get = queue.GetAsync(cts.Token);

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => get.WaitAsync(Bound));
        queue.Add("a");
        Assert.Equal(("a", false), await queue.GetAsync(CancellationToken.None).WaitAsync(Bound));
    }

    [Fact]
    public async Task Shutdown_wakes_waiters_hands_out_leftovers_and_ignores_adds()
    {
        using var queue = new WorkQueue<string>();
        var waiter = queue.GetAsync(CancellationToken.None);
        queue.ShutDown();
        Assert.True((await waiter.WaitAsync(Bound)).Shutdown);

        using var other = new WorkQueue<string>();
        other.Add("a");
        other.ShutDown();
        other.Add("b");

        Assert.Equal(("a", false), await other.GetAsync(CancellationToken.None).WaitAsync(Bound));
        Assert.True((await other.GetAsync(CancellationToken.None).WaitAsync(Bound)).Shutdown);
    }

    [Fact]
    public async Task Shutdown_with_drain_waits_for_items_in_processing()
    {
        using var queue = new WorkQueue<string>();
        queue.Add("a");
        var (item, _) = await queue.GetAsync(CancellationToken.None).WaitAsync(Bound);

        var drain = queue.ShutDownWithDrainAsync(CancellationToken.None);

        Assert.False(drain.IsCompleted, "drain returned while an item was in processing");
        Assert.True(queue.ShuttingDown);
        queue.Done(item);
        await drain.WaitAsync(Bound);
    }

    [Fact]
    public async Task Shutdown_with_drain_returns_at_once_when_idle_and_honours_cancellation()
    {
        using var idle = new WorkQueue<string>();
        await idle.ShutDownWithDrainAsync(CancellationToken.None).WaitAsync(Bound);

        using var busy = new WorkQueue<string>();
        busy.Add("a");
        await busy.GetAsync(CancellationToken.None).WaitAsync(Bound);
        using var cts = new CancellationTokenSource();
        var drain = busy.ShutDownWithDrainAsync(cts.Token);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => drain.WaitAsync(Bound));
    }
}
