namespace Kubesharp.Controllers.Dynamic;

/// <summary>
/// The expected answers to a write, as values (anything else throws and the work queue retries): the write
/// happened; the object (or its namespace) is not there; one of that name exists already; a precondition or
/// resourceVersion was stale; the namespace is being deleted and takes no new content.
/// </summary>
public enum WriteOutcome
{
    Done,
    NotFound,
    AlreadyExists,
    Conflict,
    NamespaceTerminating,
}

public static class WriteOutcomes
{
    /// <summary>Runs a write and maps the expected API failures to outcomes; other failures propagate.</summary>
    public static async Task<WriteOutcome> OfAsync(Func<Task> write)
    {
        try
        {
            await write().ConfigureAwait(false);
            return WriteOutcome.Done;
        }
        catch (Exception e) when (ApiErrors.StatusOf(e) is not null && Classify(e) is { } outcome)
        {
            return outcome;
        }
    }

    private static WriteOutcome? Classify(Exception e) =>
        ApiErrors.HasCause(e, ApiErrors.NamespaceTerminatingCause) ? WriteOutcome.NamespaceTerminating
        : ApiErrors.IsNotFound(e) ? WriteOutcome.NotFound
        : ApiErrors.IsAlreadyExists(e) ? WriteOutcome.AlreadyExists
        : ApiErrors.IsConflict(e) ? WriteOutcome.Conflict
        : null;
}
