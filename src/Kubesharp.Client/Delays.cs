namespace Kubesharp.Client;

/// <summary>Waiting on a <see cref="TimeProvider"/> in loops that end when cancelled.</summary>
internal static class Delays
{
    /// <summary>Waits <paramref name="delay"/>; true when the time passed, false when <paramref name="cancellationToken"/> ended the wait first.</summary>
    public static async Task<bool> SleepAsync(this TimeProvider time, TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
