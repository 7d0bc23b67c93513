namespace Kubesharp.Client.Controllers;

/// <summary>
/// A controller that a <see cref="ControllerHost"/> runs. Contract of <see cref="RunAsync"/>: wait for the
/// caches the controller reads, run <c>workers</c> workers until
/// the token is cancelled, then stop gracefully and return. It must not throw
/// for anything but a bug.
/// </summary>
public interface IController
{
    /// <summary>Kebab-case, as in logs and metrics: <c>replicaset-controller</c>.</summary>
    string Name { get; }

    Task RunAsync(int workers, CancellationToken cancellationToken);
}
