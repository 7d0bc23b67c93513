using Kubesharp.Controllers.DaemonSet;
using Kubesharp.Testing.Client;

namespace Kubesharp.Controllers.Tests.DaemonSet;

public sealed class FailedPodBackoffTests
{
    [Fact]
    public void The_delay_doubles_to_the_maximum_and_starts_over_after_a_long_calm()
    {
        var clock = new FakeClock();
        var backoff = new FailedPodBackoff(clock, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(4));
        var now = clock.GetUtcNow();

        Assert.False(backoff.IsInBackoffSinceUpdate("k", now));
        var delays = new List<TimeSpan>();
        for (var i = 0; i < 4; i++)
        {
            backoff.Next("k", now);
            delays.Add(backoff.Get("k"));
        }

        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(4)], delays);
        Assert.True(backoff.IsInBackoffSinceUpdate("k", now + TimeSpan.FromSeconds(3)));
        Assert.False(backoff.IsInBackoffSinceUpdate("k", now + TimeSpan.FromSeconds(4)));

        // Idle for more than twice the maximum: forgotten.
        backoff.Next("k", now + TimeSpan.FromSeconds(9));
        Assert.Equal(TimeSpan.FromSeconds(1), backoff.Get("k"));
    }
}
