using System.Net.Sockets;

namespace Kubesharp.Kubelet.Probes;

/// <summary>Upstream's tcpSocket probe: success when a connection opens within the timeout (then closed at once).</summary>
internal static class TcpProber
{
    public static async Task<ProbeOutcome> ProbeAsync(string host, int port, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        var hostPort = ProbeTargets.JoinHostPort(host, port);
        using var timeoutSource = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutSource.Token);
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(host, port, linked.Token).ConfigureAwait(false);
            return new ProbeOutcome(ProbeResult.Success, "");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new ProbeOutcome(ProbeResult.Failure, $"dial tcp {hostPort}: i/o timeout");
        }
        catch (SocketException e)
        {
            return new ProbeOutcome(ProbeResult.Failure, ProbeTargets.DialError(hostPort, e));
        }
    }
}
