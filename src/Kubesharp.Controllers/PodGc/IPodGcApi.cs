using k8s;
using k8s.Models;
using Kubesharp.Controllers.Dynamic;

namespace Kubesharp.Controllers.PodGc;

/// <summary>The calls of the pod garbage collector. Expected refusals are outcomes; other failures throw.</summary>
public interface IPodGcApi
{
    /// <summary>A live read (not the cache): whether the node exists.</summary>
    Task<bool> NodeExistsAsync(string name, CancellationToken cancellationToken);

    /// <summary>Sets the pod's phase to Failed, adding <paramref name="condition"/> when given (a <c>pods/status</c> patch).</summary>
    Task<WriteOutcome> MarkFailedAsync(V1Pod pod, V1PodCondition? condition, CancellationToken cancellationToken);

    /// <summary>Deletes the pod with a grace period of 0: it goes at once, whatever its kubelet does.</summary>
    Task<WriteOutcome> ForceDeleteAsync(V1Pod pod, CancellationToken cancellationToken);
}

/// <summary><see cref="IPodGcApi"/> over the API.</summary>
public sealed class KubernetesPodGcApi(IKubernetes client) : IPodGcApi
{
    public async Task<bool> NodeExistsAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            await client.CoreV1.ReadNodeAsync(name, cancellationToken: cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (ApiErrors.IsNotFound(e))
        {
            return false;
        }
    }

    public Task<WriteOutcome> MarkFailedAsync(V1Pod pod, V1PodCondition? condition, CancellationToken cancellationToken)
    {
        // Upstream applies {phase: Failed, conditions: [condition]} server-side; a strategic merge patch merges the
        // condition by type the same way on a server without server-side apply.
        var status = new V1PodStatus { Phase = "Failed", Conditions = condition is null ? null : [condition] };
        var patch = KubernetesJson.Serialize(new V1Pod { Status = status });
        return WriteOutcomes.OfAsync(() => client.CoreV1.PatchNamespacedPodStatusAsync(
            new V1Patch(patch, V1Patch.PatchType.StrategicMergePatch), pod.Metadata.Name, pod.Metadata.NamespaceProperty, cancellationToken: cancellationToken));
    }

    public Task<WriteOutcome> ForceDeleteAsync(V1Pod pod, CancellationToken cancellationToken) =>
        WriteOutcomes.OfAsync(() => client.CoreV1.DeleteNamespacedPodAsync(
            pod.Metadata.Name, pod.Metadata.NamespaceProperty, new V1DeleteOptions { GracePeriodSeconds = 0 }, cancellationToken: cancellationToken));
}
