using Kubesharp.Client.Cache;
using Microsoft.Extensions.Time.Testing;

namespace Kubesharp.Client.Tests.Cache;

public sealed class ExponentialBackoffTests
{
    [Fact]
    public void Steps_double_to_the_cap_with_jitter_and_reset_after_calm()
    {
        var time = new FakeTimeProvider();
        var backoff = ExponentialBackoff.ForReflector(time, new Random(42));
        double[] steps = [0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 30, 30];

        foreach (var step in steps)
        {
            var wait = backoff.Next().TotalSeconds;
            Assert.InRange(wait, step, 2 * step);
            time.Advance(TimeSpan.FromSeconds(wait));
        }

        time.Advance(TimeSpan.FromMinutes(2.5));
        Assert.InRange(backoff.Next().TotalSeconds, 0.8, 1.6);
    }

    [Fact]
    public void The_same_seed_gives_the_same_waits()
    {
        var a = ExponentialBackoff.ForReflector(new FakeTimeProvider(), new Random(3));
        var b = ExponentialBackoff.ForReflector(new FakeTimeProvider(), new Random(3));

        Assert.Equal(Enumerable.Range(0, 5).Select(_ => a.Next()), Enumerable.Range(0, 5).Select(_ => b.Next()));
    }
}
