using k8s.Models;

namespace Kubesharp.Kubelet.Probes;

/// <summary>
/// Runs one probe of a container once. Never throws for what the probe finds (a refused connection, a non-zero exit,
/// a timeout are <see cref="ProbeResult.Failure"/>; what keeps it from running is an outcome with
/// <see cref="ProbeOutcome.Error"/>); throws only <see cref="OperationCanceledException"/> when
/// its cancellation token is cancelled. Safe to call concurrently.
/// </summary>
public interface IProbeRunner
{
    /// <param name="podIp">The host of httpGet and tcpSocket probes that name none.</param>
    Task<ProbeOutcome> RunAsync(V1Pod pod, V1Container container, string containerId, V1Probe probe, string? podIp, CancellationToken cancellationToken);
}
