using Kubesharp.Client.WorkQueue;
using Microsoft.Extensions.Time.Testing;

namespace Kubesharp.Client.Tests.WorkQueue;

public sealed class RateLimiterTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    [Theory]
    [InlineData(1, 5.0)]
    [InlineData(2, 10.0)]
    [InlineData(3, 20.0)]
    [InlineData(10, 2560.0)]
    [InlineData(18, 655_360.0)]
    [InlineData(19, 1_000_000.0)] // 1,310,720 ms would pass the 1000 s cap
    [InlineData(200, 1_000_000.0)] // far past any overflow
    public void Per_item_backoff_doubles_from_5ms_and_caps_at_1000s(int failures, double expectedMs)
    {
        var limiter = new ItemExponentialFailureRateLimiter<string>(TimeSpan.FromMilliseconds(5), TimeSpan.FromSeconds(1000));
        var last = TimeSpan.Zero;
        for (var i = 0; i < failures; i++)
        {
            last = limiter.When("a");
        }

        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), last);
        Assert.Equal(failures, limiter.NumRequeues("a"));
        Assert.Equal(TimeSpan.FromMilliseconds(5), limiter.When("b"));
    }

    [Fact]
    public void Forget_restarts_the_backoff()
    {
        var limiter = new ItemExponentialFailureRateLimiter<string>(TimeSpan.FromMilliseconds(5), TimeSpan.FromSeconds(1000));
        limiter.When("a");
        limiter.When("a");

        limiter.Forget("a");

        Assert.Equal(0, limiter.NumRequeues("a"));
        Assert.Equal(TimeSpan.FromMilliseconds(5), limiter.When("a"));
    }

    [Fact]
    public void Token_bucket_allows_a_burst_then_spaces_by_qps_and_refills_with_time()
    {
        var bucket = new BucketRateLimiter<string>(10, 100, _time);

        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(TimeSpan.Zero, bucket.When("k" + i));
        }

        Assert.Equal(TimeSpan.FromMilliseconds(100), bucket.When("x"));
        Assert.Equal(TimeSpan.FromMilliseconds(200), bucket.When("y"));

        // 1 s refills 10 tokens: the 2 borrowed ones and 8 more.
        _time.Advance(TimeSpan.FromSeconds(1));
        for (var i = 0; i < 8; i++)
        {
            Assert.Equal(TimeSpan.Zero, bucket.When("z" + i));
        }

        Assert.Equal(TimeSpan.FromMilliseconds(100), bucket.When("w"));
    }

    [Fact]
    public void Default_controller_limiter_takes_the_larger_of_backoff_and_bucket()
    {
        var limiter = RateLimiters.DefaultController<string>(_time);

        // One key failing: the back-off dominates while the bucket has tokens.
        Assert.Equal(TimeSpan.FromMilliseconds(5), limiter.When("a"));
        Assert.Equal(TimeSpan.FromMilliseconds(10), limiter.When("a"));
        Assert.Equal(2, limiter.NumRequeues("a"));

        // Many keys failing once: the 5 ms back-off each, until the bucket (98 tokens left) runs dry.
        for (var i = 0; i < 98; i++)
        {
            Assert.Equal(TimeSpan.FromMilliseconds(5), limiter.When("k" + i));
        }

        Assert.Equal(TimeSpan.FromMilliseconds(100), limiter.When("late"));
    }
}
