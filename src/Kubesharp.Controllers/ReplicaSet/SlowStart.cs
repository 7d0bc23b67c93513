namespace Kubesharp.Controllers.ReplicaSet;

/// <summary>
/// Upstream's <c>slowStartBatch</c>: calls <c>fn</c> <c>count</c> times in batches of
/// <c>initialBatchSize</c>, then twice as many each time a whole batch succeeds, the calls of a batch
/// running concurrently. A batch with a failure ends the run once the batch is done. So a create that
/// fails for everyone (a quota, a forbidden image) costs one call, not hundreds.
/// </summary>
internal static class SlowStart
{
    /// <summary>Returns the number of calls that succeeded and the first failure, if any.</summary>
    public static async Task<(int Successes, Exception? Error)> RunAsync(int count, int initialBatchSize, Func<CancellationToken, Task> fn, CancellationToken cancellationToken)
    {
        var remaining = count;
        var successes = 0;
        for (var batch = Math.Min(remaining, initialBatchSize); batch > 0; batch = Math.Min(2 * batch, remaining))
        {
            var results = await Task.WhenAll(Enumerable.Range(0, batch).Select(_ => CallAsync(fn, cancellationToken))).ConfigureAwait(false);
            var failures = results.Where(e => e is not null).ToList();
            successes += batch - failures.Count;
            if (failures.Count > 0)
            {
                return (successes, failures[0]);
            }

            remaining -= batch;
        }

        return (successes, null);
    }

    private static async Task<Exception?> CallAsync(Func<CancellationToken, Task> fn, CancellationToken cancellationToken)
    {
        try
        {
            await fn(cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }
}
