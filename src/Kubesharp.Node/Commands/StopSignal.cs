using System.Runtime.InteropServices;

namespace Kubesharp.Commands;

/// <summary>
/// What stops a long-running command: Ctrl-C (System.CommandLine's token) or SIGTERM (as a supervisor or
/// <c>kill</c> sends it), both turned into one cancellation so that the component drains and returns.
/// </summary>
internal sealed class StopSignal : IDisposable
{
    private readonly CancellationTokenSource _stop;
    private readonly PosixSignalRegistration _sigterm;

    public StopSignal(CancellationToken commandToken)
    {
        _stop = CancellationTokenSource.CreateLinkedTokenSource(commandToken);
        _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            try
            {
                _stop.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // A signal that arrives while the command is already returning.
            }
        });
    }

    public CancellationToken Token => _stop.Token;

    /// <summary>Waits until a stop is asked for; never throws.</summary>
    public async Task WaitAsync()
    {
        try
        {
            await Task.Delay(Timeout.Infinite, _stop.Token);
        }
        catch (OperationCanceledException)
        {
            // Ctrl-C or SIGTERM.
        }
    }

    public void Dispose()
    {
        _sigterm.Dispose();
        _stop.Dispose();
    }
}
