using Grpc.Core;
using Kubesharp.Kubelet.Cri;
using Kubesharp.Kubelet.Cri.V1;

namespace Kubesharp.Kubelet.Probes;

/// <summary>
/// What one command run in a container did: its exit code, stdout and stderr, or a timeout, or an error that kept it
/// from running.
/// </summary>
internal sealed record CommandResult(int ExitCode, byte[] Stdout, byte[] Stderr, bool TimedOut = false, string? Error = null)
{
    /// <summary>Stdout followed by stderr: upstream's <c>RunInContainer</c> appends them rather than interleaving.</summary>
    public byte[] Output => [.. Stdout, .. Stderr];
}

/// <summary>
/// Runs a command in a container and waits for it (CRI ExecSync). A zero timeout waits until the command ends or
/// <c>cancellationToken</c> is cancelled. Never throws for the command's own outcome; throws
/// <see cref="OperationCanceledException"/> on cancellation.
/// </summary>
internal interface IContainerCommandRunner
{
    Task<CommandResult> RunAsync(string containerId, IReadOnlyList<string> command, TimeSpan timeout, CancellationToken cancellationToken);
}

/// <summary>ExecSync through the CRI, with upstream's deadline: the command's timeout plus the 2 min runtime request timeout.</summary>
internal sealed class CriCommandRunner(CriClient cri) : IContainerCommandRunner
{
    private static readonly TimeSpan RuntimeRequestTimeout = TimeSpan.FromMinutes(2);

    public async Task<CommandResult> RunAsync(string containerId, IReadOnlyList<string> command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var request = new ExecSyncRequest { ContainerId = containerId, Timeout = (long)Math.Ceiling(timeout.TotalSeconds) };
        request.Cmd.AddRange(command);
        // CriClient.ExecSyncAsync gives a zero timeout a 10 s deadline; hooks run with no timeout (a preStop that
        // sleeps for the grace period), so the call is made here with no deadline then, bounded by cancellation.
        DateTime? deadline = timeout > TimeSpan.Zero ? DateTime.UtcNow + timeout + RuntimeRequestTimeout : null;
        try
        {
            var response = await cri.Runtime.ExecSyncAsync(request, new CallOptions(deadline: deadline, cancellationToken: cancellationToken)).ConfigureAwait(false);
            return new CommandResult(response.ExitCode, response.Stdout.ToByteArray(), response.Stderr.ToByteArray());
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.DeadlineExceeded)
        {
            // Upstream reads DeadlineExceeded (containerd's own exec timeout, or the call's deadline) as a timed-out command.
            return new CommandResult(-1, [], [], TimedOut: true);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }
        catch (RpcException e)
        {
            return new CommandResult(-1, [], [], Error: $"rpc error: code = {e.StatusCode} desc = {e.Status.Detail}");
        }
    }
}
