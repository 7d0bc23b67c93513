using k8s;
using k8s.Models;
using Kubesharp.Controllers.Dynamic;

namespace Kubesharp.Controllers.NodeLifecycle;

/// <summary>
/// The writes (and the few live reads) of the node lifecycle and taint eviction controllers. Expected refusals
/// (not found, a lost compare-and-swap) are <see cref="WriteOutcome"/> values; anything else throws.
/// </summary>
public interface INodeLifecycleApi
{
    /// <summary>A live read of the node; null when it does not exist.</summary>
    Task<V1Node?> GetNodeAsync(string name, CancellationToken cancellationToken);

    /// <summary>Replaces the node's status (PUT <c>nodes/status</c>, guarded by the node's resourceVersion).</summary>
    Task<WriteOutcome> UpdateNodeStatusAsync(V1Node node, CancellationToken cancellationToken);

    /// <summary>Sets <c>spec.taints</c> (none when empty), guarded by <paramref name="resourceVersion"/>: a stale one is a Conflict.</summary>
    Task<WriteOutcome> SetNodeTaintsAsync(string name, string? resourceVersion, IReadOnlyList<V1Taint> taints, CancellationToken cancellationToken);

    /// <summary>Adds or changes labels on the node (a merge patch).</summary>
    Task<WriteOutcome> PatchNodeLabelsAsync(string name, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken);

    /// <summary>Replaces the pod's status (PUT <c>pods/status</c>, guarded by its resourceVersion).</summary>
    Task<WriteOutcome> UpdatePodStatusAsync(V1Pod pod, CancellationToken cancellationToken);

    /// <summary>A live read of the pod; null when it does not exist.</summary>
    Task<V1Pod?> GetPodAsync(string ns, string name, CancellationToken cancellationToken);

    /// <summary>Merges one condition (by type) into the pod's status (a strategic merge patch of <c>pods/status</c>, for this UID only).</summary>
    Task<WriteOutcome> PatchPodConditionAsync(V1Pod pod, V1PodCondition condition, CancellationToken cancellationToken);

    /// <summary>Deletes the pod with its own grace period.</summary>
    Task<WriteOutcome> DeletePodAsync(string ns, string name, CancellationToken cancellationToken);
}

/// <summary><see cref="INodeLifecycleApi"/> over the API.</summary>
public sealed class KubernetesNodeLifecycleApi(IKubernetes client) : INodeLifecycleApi
{
    public async Task<V1Node?> GetNodeAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            return await client.CoreV1.ReadNodeAsync(name, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (ApiErrors.IsNotFound(e))
        {
            return null;
        }
    }

    public Task<WriteOutcome> UpdateNodeStatusAsync(V1Node node, CancellationToken cancellationToken) =>
        WriteOutcomes.OfAsync(() => client.CoreV1.ReplaceNodeStatusAsync(node, node.Metadata.Name, cancellationToken: cancellationToken));

    public Task<WriteOutcome> SetNodeTaintsAsync(string name, string? resourceVersion, IReadOnlyList<V1Taint> taints, CancellationToken cancellationToken)
    {
        // Upstream's PatchNodeTaints: the whole list (taints have no merge key), with the resourceVersion read as a
        // precondition so that two writers cannot lose each other's taints.
        var patch = new Dictionary<string, object?>
        {
            ["metadata"] = new Dictionary<string, object?> { ["resourceVersion"] = resourceVersion },
            ["spec"] = new Dictionary<string, object?> { ["taints"] = taints.Count == 0 ? null : taints },
        };
        return WriteOutcomes.OfAsync(() => client.CoreV1.PatchNodeAsync(
            new V1Patch(KubernetesJson.Serialize(patch), V1Patch.PatchType.MergePatch), name, cancellationToken: cancellationToken));
    }

    public Task<WriteOutcome> PatchNodeLabelsAsync(string name, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken)
    {
        var patch = new Dictionary<string, object> { ["metadata"] = new Dictionary<string, object> { ["labels"] = labels } };
        return WriteOutcomes.OfAsync(() => client.CoreV1.PatchNodeAsync(
            new V1Patch(KubernetesJson.Serialize(patch), V1Patch.PatchType.MergePatch), name, cancellationToken: cancellationToken));
    }

    public Task<WriteOutcome> UpdatePodStatusAsync(V1Pod pod, CancellationToken cancellationToken) =>
        WriteOutcomes.OfAsync(() => client.CoreV1.ReplaceNamespacedPodStatusAsync(pod, pod.Metadata.Name, pod.Metadata.NamespaceProperty, cancellationToken: cancellationToken));

    public async Task<V1Pod?> GetPodAsync(string ns, string name, CancellationToken cancellationToken)
    {
        try
        {
            return await client.CoreV1.ReadNamespacedPodAsync(name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (ApiErrors.IsNotFound(e))
        {
            return null;
        }
    }

    public Task<WriteOutcome> PatchPodConditionAsync(V1Pod pod, V1PodCondition condition, CancellationToken cancellationToken)
    {
        // As upstream's PatchPodStatus: the UID in the patch makes it apply to this pod only, not to a namesake.
        var patch = KubernetesJson.Serialize(new V1Pod
        {
            Metadata = new V1ObjectMeta { Uid = pod.Metadata.Uid },
            Status = new V1PodStatus { Conditions = [condition] },
        });
        return WriteOutcomes.OfAsync(() => client.CoreV1.PatchNamespacedPodStatusAsync(
            new V1Patch(patch, V1Patch.PatchType.StrategicMergePatch), pod.Metadata.Name, pod.Metadata.NamespaceProperty, cancellationToken: cancellationToken));
    }

    public Task<WriteOutcome> DeletePodAsync(string ns, string name, CancellationToken cancellationToken) =>
        WriteOutcomes.OfAsync(() => client.CoreV1.DeleteNamespacedPodAsync(name, ns, cancellationToken: cancellationToken));
}
