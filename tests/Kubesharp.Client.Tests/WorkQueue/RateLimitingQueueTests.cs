using Kubesharp.Client.WorkQueue;
using Microsoft.Extensions.Time.Testing;

namespace Kubesharp.Client.Tests.WorkQueue;

public sealed class RateLimitingQueueTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task Rate_limited_adds_wait_longer_each_time_until_forgotten()
    {
        using var queue = RateLimitingQueue.CreateDefault<string>(_time);
        var expected = new[] { 5, 10, 20, 40 };

        foreach (var ms in expected)
        {
            queue.AddRateLimited("a");
            _time.Advance(TimeSpan.FromMilliseconds(ms - 1));
            Assert.True(queue.Count == 0, $"the retry after {ms} ms came early");
            _time.Advance(TimeSpan.FromMilliseconds(1));
            Assert.True(queue.Count == 1, $"the retry after {ms} ms did not come");
            var (item, _) = await queue.GetAsync(CancellationToken.None);
            queue.Done(item);
        }

        Assert.Equal(4, queue.NumRequeues("a"));
        queue.Forget("a");
        Assert.Equal(0, queue.NumRequeues("a"));
        queue.AddRateLimited("a");
        _time.Advance(TimeSpan.FromMilliseconds(5));
        Assert.Equal(1, queue.Count);
    }

    [Fact]
    public void Rate_limited_adds_after_shutdown_are_ignored()
    {
        using var queue = RateLimitingQueue.CreateDefault<string>(_time);
        queue.ShutDown();

        queue.AddRateLimited("a");
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal((0, 0, 0), (queue.Count, queue.WaitingCount, queue.NumRequeues("a")));
    }
}
