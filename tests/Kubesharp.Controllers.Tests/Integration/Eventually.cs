namespace Kubesharp.Controllers.Tests.Integration;

/// <summary>Bounded polling of the real cluster for a state the controllers converge to: no timing assertion, only an upper bound after which the test fails with what it last saw.</summary>
internal static class Eventually
{
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    /// <summary>Polls <paramref name="probe"/> until it returns true; fails with <paramref name="what"/> and the last observation after <see cref="Bound"/>.</summary>
    public static async Task HoldsAsync(Func<Task<(bool Ok, string Seen)>> probe, string what, TimeSpan? bound = null)
    {
        var deadline = DateTime.UtcNow + (bound ?? Bound);
        var seen = "";
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                (var ok, seen) = await probe();
                if (ok)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or k8s.Autorest.HttpOperationException)
            {
                seen = e.Message;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"expected {what} within {bound ?? Bound}; last saw: {seen}");
    }

    /// <summary>Reads until <paramref name="holds"/> is true of what was read, and returns it; fails naming <paramref name="what"/> after <see cref="Bound"/>.</summary>
    public static async Task<T> HoldsAsync<T>(Func<Task<T>> read, Func<T, bool> holds, string what)
    {
        var deadline = DateTimeOffset.UtcNow + Bound;
        var last = await read();
        while (!holds(last))
        {
            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"{what}: not reached within {Bound}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50));
            last = await read();
        }

        return last;
    }
}
