// INTERIM (replaced by the probes branch): the contract only.
#pragma warning disable CA1822, IDE0060
using k8s.Models;
using Kubesharp.Kubelet.Probes;

namespace Kubesharp.Kubelet.Lifecycle;

public sealed class LifecycleHooks(ProbeRunner runner, TimeProvider time)
{
    public Task<string?> RunAsync(V1Pod pod, string containerName, string containerId, V1LifecycleHandler handler, string? podIp, CancellationToken cancellationToken)
    {
        _ = (runner, time, pod, containerName, containerId, handler, podIp, cancellationToken);
        return Task.FromResult<string?>(null);
    }
}
