namespace Kubesharp.Client.Controllers;

/// <summary>
/// What a reconcile asks for next (controller-runtime's <c>Result</c>): nothing (<see cref="Done"/>), or
/// to look again after a delay (<see cref="RequeueAfter(TimeSpan)"/>). Failures are exceptions: the key
/// is retried with its per-key back-off.
/// </summary>
public readonly record struct ReconcileResult(TimeSpan? Requeue)
{
    public static ReconcileResult Done => default;

    public static ReconcileResult RequeueAfter(TimeSpan delay) => new(delay);
}
