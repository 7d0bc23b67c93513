using k8s;
using k8s.Models;
using Kubesharp.Controllers.Dynamic;

namespace Kubesharp.Controllers.NodeIpam;

/// <summary>The writes of the node IPAM controller. Expected refusals are <see cref="WriteOutcome"/> values; anything else throws.</summary>
public interface INodeIpamApi
{
    /// <summary>Sets <c>spec.podCIDR</c> and <c>spec.podCIDRs</c> (upstream's PatchNodeCIDRs, a strategic merge patch).</summary>
    Task<WriteOutcome> PatchPodCidrsAsync(string name, IReadOnlyList<string> cidrs, CancellationToken cancellationToken);

    /// <summary>Merges one condition (by type) into the node's status (a strategic merge patch of <c>nodes/status</c>).</summary>
    Task<WriteOutcome> PatchConditionAsync(string name, V1NodeCondition condition, CancellationToken cancellationToken);
}

/// <summary><see cref="INodeIpamApi"/> over the API.</summary>
public sealed class KubernetesNodeIpamApi(IKubernetes client) : INodeIpamApi
{
    public Task<WriteOutcome> PatchPodCidrsAsync(string name, IReadOnlyList<string> cidrs, CancellationToken cancellationToken)
    {
        var patch = KubernetesJson.Serialize(new V1Node { Spec = new V1NodeSpec { PodCIDR = cidrs[0], PodCIDRs = [.. cidrs] } });
        return WriteOutcomes.OfAsync(() => client.CoreV1.PatchNodeAsync(new V1Patch(patch, V1Patch.PatchType.StrategicMergePatch), name, cancellationToken: cancellationToken));
    }

    public Task<WriteOutcome> PatchConditionAsync(string name, V1NodeCondition condition, CancellationToken cancellationToken)
    {
        var patch = KubernetesJson.Serialize(new V1Node { Status = new V1NodeStatus { Conditions = [condition] } });
        return WriteOutcomes.OfAsync(() => client.CoreV1.PatchNodeStatusAsync(new V1Patch(patch, V1Patch.PatchType.StrategicMergePatch), name, cancellationToken: cancellationToken));
    }
}
