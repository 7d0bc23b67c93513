using Kubesharp.Client.Controllers;

namespace Kubesharp.Controllers.NodeLifecycle;

/// <summary>
/// What <c>node-lifecycle-controller</c> runs: the lifecycle controller and its taint eviction controller side by
/// side, as upstream does with the SeparateTaintEvictionController gate off (upstream v1.32 has it on and registers
/// <c>taint-eviction-controller</c> on its own; here both go under one name and one service account). Each gets the
/// worker count; both stop when the token is cancelled.
/// </summary>
public sealed class NodeLifecycleRunner(ControllerContext context) : IController, IDisposable
{
    public string Name => NodeLifecycleController.ControllerName;

    public NodeLifecycleController Lifecycle { get; } = new(context);

    public TaintEvictionController TaintEviction { get; } = new(context);

    public Task RunAsync(int workers, CancellationToken cancellationToken) =>
        Task.WhenAll(Lifecycle.RunAsync(workers, cancellationToken), TaintEviction.RunAsync(workers, cancellationToken));

    public void Dispose()
    {
        Lifecycle.Dispose();
        TaintEviction.Dispose();
    }
}
