using Kubesharp.Client.WorkQueue;
using Microsoft.Extensions.Time.Testing;

namespace Kubesharp.Client.Tests.WorkQueue;

public sealed class DelayingQueueTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public void An_item_appears_when_its_delay_has_passed()
    {
        using var queue = new DelayingQueue<string>(_time);

        queue.AddAfter("a", TimeSpan.FromSeconds(5));

        Assert.Equal((0, 1), (queue.Count, queue.WaitingCount));
        _time.Advance(TimeSpan.FromSeconds(4.999));
        Assert.Equal(0, queue.Count);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal((1, 0), (queue.Count, queue.WaitingCount));
    }

    [Fact]
    public void Zero_or_negative_delay_adds_at_once()
    {
        using var queue = new DelayingQueue<string>(_time);

        queue.AddAfter("a", TimeSpan.Zero);
        queue.AddAfter("b", TimeSpan.FromSeconds(-1));

        Assert.Equal(2, queue.Count);
    }

    [Fact]
    public void The_earlier_of_two_ready_times_wins()
    {
        using var queue = new DelayingQueue<string>(_time);

        queue.AddAfter("a", TimeSpan.FromSeconds(10));
        queue.AddAfter("a", TimeSpan.FromSeconds(2));
        queue.AddAfter("a", TimeSpan.FromSeconds(30));

        Assert.Equal(1, queue.WaitingCount);
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(1, queue.Count);
        _time.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(1, queue.Count); // the superseded 10 s and 30 s entries add nothing more
    }

    [Fact]
    public async Task Items_come_out_in_ready_order_and_fold_with_direct_adds()
    {
        using var queue = new DelayingQueue<string>(_time);
        queue.AddAfter("c", TimeSpan.FromSeconds(3));
        queue.AddAfter("b", TimeSpan.FromSeconds(2));
        queue.AddAfter("a", TimeSpan.FromSeconds(1));
        queue.Add("b");

        _time.Advance(TimeSpan.FromSeconds(3));

        Assert.Equal(3, queue.Count);
        var order = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            order.Add((await queue.GetAsync(CancellationToken.None)).Item);
        }

        Assert.Equal(["b", "a", "c"], order);
    }

    [Fact]
    public void Shutdown_drops_waiting_items_and_ignores_new_ones()
    {
        using var queue = new DelayingQueue<string>(_time);
        queue.AddAfter("a", TimeSpan.FromSeconds(1));

        queue.ShutDown();
        queue.AddAfter("b", TimeSpan.FromSeconds(1));
        _time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal((0, 0), (queue.Count, queue.WaitingCount));
    }
}
