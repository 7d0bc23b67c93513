// INTERIM (replaced by the inputs branch): the contract only.
#pragma warning disable CA1822, IDE0060
using k8s;
using k8s.Models;

namespace Kubesharp.Kubelet.Env;

public sealed class EnvResolutionException(string message) : Exception(message);

public sealed class EnvResolver(IKubernetes client, TimeProvider time)
{
    public Task<IReadOnlyList<Cri.V1.KeyValue>> ResolveAsync(V1Pod pod, V1Container container, string? podIp, string? hostIp, IReadOnlyDictionary<string, ResourceQuantity> nodeAllocatable, CancellationToken cancellationToken)
    {
        _ = (client, time, pod, podIp, hostIp, nodeAllocatable, cancellationToken);
        return Task.FromResult<IReadOnlyList<Cri.V1.KeyValue>>([.. (container.Env ?? []).Select(e => new Cri.V1.KeyValue { Key = e.Name, Value = e.Value ?? "" })]);
    }
}
