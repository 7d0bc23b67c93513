using Kubesharp.Controllers.NodeLifecycle;
using Kubesharp.Testing.Client;

namespace Kubesharp.Controllers.Tests.NodeLifecycle;

public sealed class RateLimitedTimedQueueTests
{
    [Fact]
    public async Task Values_are_taken_in_order_at_the_rate_and_a_processed_value_is_not_added_again_until_removed()
    {
        var clock = new FakeClock();
        var queue = new RateLimitedTimedQueue(1, clock);
        var taken = new List<string>();
        Task<(bool, TimeSpan)> Take(TimedValue v)
        {
            taken.Add(v.Value);
            return Task.FromResult((true, TimeSpan.Zero));
        }

        Assert.True(queue.Add("a", "1"));
        Assert.True(queue.Add("b", "2"));
        Assert.False(queue.Add("a", "1"));

        await queue.TryAsync(Take);
        Assert.Equal(["a"], taken);
        clock.Advance(TimeSpan.FromSeconds(1));
        await queue.TryAsync(Take);
        Assert.Equal(["a", "b"], taken);

        Assert.Equal(0, queue.Count);
        Assert.False(queue.Add("a", "1"));
        Assert.True(queue.Remove("a"));
        Assert.True(queue.Add("a", "1"));
    }

    [Fact]
    public async Task A_refused_value_comes_back_after_the_wait_it_asked_for()
    {
        var clock = new FakeClock();
        var queue = new RateLimitedTimedQueue(100, clock);
        var tries = 0;
        queue.Add("a", null);

        await queue.TryAsync(_ => Task.FromResult((++tries > 1, TimeSpan.FromSeconds(5))));
        Assert.Equal(1, tries);
        clock.Advance(TimeSpan.FromSeconds(4));
        await queue.TryAsync(_ => Task.FromResult((++tries > 1, TimeSpan.Zero)));
        Assert.Equal(1, tries);
        clock.Advance(TimeSpan.FromSeconds(2));
        await queue.TryAsync(_ => Task.FromResult((++tries > 1, TimeSpan.Zero)));

        Assert.Equal(2, tries);
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public async Task A_zero_rate_takes_nothing_and_swapping_back_starts_an_empty_bucket()
    {
        var clock = new FakeClock();
        var queue = new RateLimitedTimedQueue(0.1, clock);
        queue.SwapLimiter(0);
        queue.Add("a", null);
        var taken = 0;

        await queue.TryAsync(_ => Task.FromResult((++taken > 0, TimeSpan.Zero)));
        clock.Advance(TimeSpan.FromMinutes(5));
        await queue.TryAsync(_ => Task.FromResult((++taken > 0, TimeSpan.Zero)));
        Assert.Equal(0, taken);

        queue.SwapLimiter(0.1);
        await queue.TryAsync(_ => Task.FromResult((++taken > 0, TimeSpan.Zero)));
        Assert.Equal(0, taken);
        clock.Advance(TimeSpan.FromSeconds(10));
        await queue.TryAsync(_ => Task.FromResult((++taken > 0, TimeSpan.Zero)));
        Assert.Equal(1, taken);
    }

    [Fact]
    public void A_token_bucket_starts_full_and_refills_at_its_rate_up_to_its_burst()
    {
        var clock = new FakeClock();
        var bucket = new TokenBucket(2, 2, clock);

        Assert.True(bucket.TryAccept());
        Assert.True(bucket.TryAccept());
        Assert.False(bucket.TryAccept());
        clock.Advance(TimeSpan.FromSeconds(0.5));
        Assert.True(bucket.TryAccept());
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.True(bucket.TryAccept());
        Assert.True(bucket.TryAccept());
        Assert.False(bucket.TryAccept());
    }
}
