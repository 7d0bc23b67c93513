using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Kubesharp.Client.Cache;

namespace Kubesharp.Controllers.Common;

/// <summary><see cref="IWorkloadClient"/> over the KubernetesClient package: one typed call each, failures turned into <see cref="ApiStatusException"/>.</summary>
internal sealed partial class KubernetesWorkloadClient(IKubernetes client) : IWorkloadClient
{
    public Task<V1Pod> CreatePodAsync(string ns, V1Pod pod, CancellationToken cancellationToken) =>
        Call(() => client.CoreV1.CreateNamespacedPodAsync(pod, ns, cancellationToken: cancellationToken));

    public Task DeletePodAsync(string ns, string name, CancellationToken cancellationToken) =>
        Call(() => client.CoreV1.DeleteNamespacedPodAsync(name, ns, cancellationToken: cancellationToken));

    public Task<V1Pod> PatchPodAsync(string ns, string name, string strategicMergePatch, CancellationToken cancellationToken) =>
        Call(() => client.CoreV1.PatchNamespacedPodAsync(new V1Patch(strategicMergePatch, V1Patch.PatchType.StrategicMergePatch), name, ns, cancellationToken: cancellationToken));

    public Task<V1ReplicaSet> GetReplicaSetAsync(string ns, string name, CancellationToken cancellationToken) =>
        Call(() => client.AppsV1.ReadNamespacedReplicaSetAsync(name, ns, cancellationToken: cancellationToken));

    public Task<V1ReplicaSet> CreateReplicaSetAsync(string ns, V1ReplicaSet replicaSet, CancellationToken cancellationToken) =>
        Call(() => client.AppsV1.CreateNamespacedReplicaSetAsync(replicaSet, ns, cancellationToken: cancellationToken));

    public Task<V1ReplicaSet> UpdateReplicaSetAsync(V1ReplicaSet replicaSet, CancellationToken cancellationToken) =>
        Call(() => client.AppsV1.ReplaceNamespacedReplicaSetAsync(replicaSet, replicaSet.Metadata.Name, replicaSet.Metadata.NamespaceProperty, cancellationToken: cancellationToken));

    public Task<V1ReplicaSet> UpdateReplicaSetStatusAsync(V1ReplicaSet replicaSet, CancellationToken cancellationToken) =>
        Call(() => client.AppsV1.ReplaceNamespacedReplicaSetStatusAsync(replicaSet, replicaSet.Metadata.Name, replicaSet.Metadata.NamespaceProperty, cancellationToken: cancellationToken));

    public Task<V1ReplicaSet> PatchReplicaSetAsync(string ns, string name, string strategicMergePatch, CancellationToken cancellationToken) =>
        Call(() => client.AppsV1.PatchNamespacedReplicaSetAsync(new V1Patch(strategicMergePatch, V1Patch.PatchType.StrategicMergePatch), name, ns, cancellationToken: cancellationToken));

    public Task DeleteReplicaSetAsync(string ns, string name, CancellationToken cancellationToken) =>
        Call(() => client.AppsV1.DeleteNamespacedReplicaSetAsync(name, ns, cancellationToken: cancellationToken));

    public Task<V1ReplicationController> GetReplicationControllerAsync(string ns, string name, CancellationToken cancellationToken) =>
        Call(() => client.CoreV1.ReadNamespacedReplicationControllerAsync(name, ns, cancellationToken: cancellationToken));

    public Task<V1ReplicationController> UpdateReplicationControllerStatusAsync(V1ReplicationController controller, CancellationToken cancellationToken) =>
        Call(() => client.CoreV1.ReplaceNamespacedReplicationControllerStatusAsync(controller, controller.Metadata.Name, controller.Metadata.NamespaceProperty, cancellationToken: cancellationToken));

    public Task<V1Deployment> GetDeploymentAsync(string ns, string name, CancellationToken cancellationToken) =>
        Call(() => client.AppsV1.ReadNamespacedDeploymentAsync(name, ns, cancellationToken: cancellationToken));

    public Task<V1Deployment> UpdateDeploymentStatusAsync(V1Deployment deployment, CancellationToken cancellationToken) =>
        Call(() => client.AppsV1.ReplaceNamespacedDeploymentStatusAsync(deployment, deployment.Metadata.Name, deployment.Metadata.NamespaceProperty, cancellationToken: cancellationToken));

    /// <summary>Runs one typed call, turning an HTTP failure into <see cref="ApiStatusException"/> (the batch controllers' client uses it too).</summary>
    internal static async Task<T> Call<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (HttpOperationException e)
        {
            throw ToStatus(e);
        }
    }

    internal static async Task Call(Func<Task> call)
    {
        try
        {
            await call().ConfigureAwait(false);
        }
        catch (HttpOperationException e)
        {
            throw ToStatus(e);
        }
    }

    private static ApiStatusException ToStatus(HttpOperationException e)
    {
        var code = (int)e.Response.StatusCode;
        try
        {
            if (!string.IsNullOrEmpty(e.Response.Content) && KubernetesJson.Deserialize<V1Status>(e.Response.Content) is { Kind: "Status" } status)
            {
                status.Code ??= code;
                return new ApiStatusException(status);
            }
        }
        catch (JsonException)
        {
            // Not a Status body: keep the HTTP code.
        }

        return new ApiStatusException(new V1Status { Code = code, Reason = e.Response.StatusCode.ToString(), Message = e.Message, Status = "Failure" });
    }
}
