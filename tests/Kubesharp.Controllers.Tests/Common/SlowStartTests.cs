using Kubesharp.Controllers.ReplicaSet;

namespace Kubesharp.Controllers.Tests.Common;

public sealed class SlowStartTests
{
    // Batches are 1, 2, 4, 8, ...: a failure lets its batch finish and starts no other.
    [Theory]
    [InlineData(10, -1, 10, 10)]
    [InlineData(1000, -1, 1000, 1000)]
    [InlineData(10, 0, 1, 0)]
    [InlineData(10, 1, 3, 2)]
    [InlineData(10, 3, 7, 6)]
    [InlineData(10, 7, 10, 9)]
    [InlineData(0, -1, 0, 0)]
    public async Task A_failure_stops_the_batches_after_its_own(int count, int failAt, int expectedCalls, int expectedSuccesses)
    {
        var calls = 0;

        var (successes, error) = await SlowStart.RunAsync(count, 1, _ =>
            Interlocked.Increment(ref calls) - 1 == failAt ? Task.FromException(new InvalidOperationException("quota")) : Task.CompletedTask,
            CancellationToken.None);

        Assert.Equal((expectedCalls, expectedSuccesses), (calls, successes));
        Assert.Equal(failAt >= 0 && failAt < count, error is InvalidOperationException);
    }

    [Fact]
    public async Task The_calls_of_a_batch_run_together()
    {
        var started = 0;
        var fourStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var run = SlowStart.RunAsync(7, 1, async _ =>
        {
            // The third batch (4 calls) can only finish if all four are in flight at once.
            if (Interlocked.Increment(ref started) == 7)
            {
                fourStarted.TrySetResult();
            }

            if (Volatile.Read(ref started) > 3)
            {
                await fourStarted.Task.WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None);
            }
        }, CancellationToken.None);

        Assert.Equal((7, (Exception?)null), await run);
    }
}
