using Kubesharp.Client.Cache;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Client.Controllers;

/// <summary>
/// Runs a set of controllers in one process: starts the shared informers, then every controller with
/// its worker count (each waits for its own caches), until the token is cancelled; then waits for all
/// of them to drain and stop. A controller that throws (a bug) is logged and does not stop the others.
/// Register controllers before <see cref="RunAsync"/>.
/// </summary>
public sealed partial class ControllerHost(ILogger logger)
{
    private readonly List<(IController Controller, int Workers)> _controllers = [];

    public void Add(IController controller, int workers)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        _controllers.Add((controller, workers));
    }

    public IReadOnlyList<IController> Controllers => [.. _controllers.Select(c => c.Controller)];

    public async Task RunAsync(SharedInformerFactory? informers, CancellationToken cancellationToken)
    {
        informers?.Start(cancellationToken);
        await Task.WhenAll(_controllers.Select(c => RunOneAsync(c.Controller, c.Workers, cancellationToken))).ConfigureAwait(false);
    }

    private async Task RunOneAsync(IController controller, int workers, CancellationToken cancellationToken)
    {
        try
        {
            await controller.RunAsync(workers, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Log.ControllerFailed(logger, controller.Name, e);
        }
        catch (OperationCanceledException)
        {
            // Stopped while starting.
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Error, Message = "{Controller}: stopped by an unexpected exception")]
        public static partial void ControllerFailed(ILogger logger, string controller, Exception exception);
    }
}
