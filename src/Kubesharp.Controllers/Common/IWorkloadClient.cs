using k8s.Models;

namespace Kubesharp.Controllers.Common;

/// <summary>
/// The API calls the workload controllers make (client-go's typed clients, narrowed to what they use),
/// so that unit tests can stand a recording fake in for the API server.
/// <para>
/// Contract: every call is one request to the API server (no caching, no retries, no client-side rate
/// limit). A failure the server answered with a Status throws <see cref="Kubesharp.Client.Cache.ApiStatusException"/>
/// (404 NotFound, 409 Conflict or AlreadyExists, 422 Invalid, 403 Forbidden, ...; see <see cref="ApiErrors"/>);
/// a transport failure throws whatever the transport throws. Callers decide what to retry; the controllers
/// let their work queue retry with back-off. Thread-safe. Returned objects belong to the caller.
/// </para>
/// </summary>
internal interface IWorkloadClient
{
    Task<V1Pod> CreatePodAsync(string ns, V1Pod pod, CancellationToken cancellationToken);

    /// <summary>Deletes with the server's default options (no grace period override, default propagation).</summary>
    Task DeletePodAsync(string ns, string name, CancellationToken cancellationToken);

    /// <summary>A strategic merge patch, as JSON text.</summary>
    Task<V1Pod> PatchPodAsync(string ns, string name, string strategicMergePatch, CancellationToken cancellationToken);

    Task<V1ReplicaSet> GetReplicaSetAsync(string ns, string name, CancellationToken cancellationToken);

    Task<V1ReplicaSet> CreateReplicaSetAsync(string ns, V1ReplicaSet replicaSet, CancellationToken cancellationToken);

    /// <summary>A PUT of the whole object; a compare-and-swap on its resourceVersion (409 Conflict when stale).</summary>
    Task<V1ReplicaSet> UpdateReplicaSetAsync(V1ReplicaSet replicaSet, CancellationToken cancellationToken);

    /// <summary>A PUT of the status subresource; a compare-and-swap on the resourceVersion.</summary>
    Task<V1ReplicaSet> UpdateReplicaSetStatusAsync(V1ReplicaSet replicaSet, CancellationToken cancellationToken);

    Task<V1ReplicaSet> PatchReplicaSetAsync(string ns, string name, string strategicMergePatch, CancellationToken cancellationToken);

    Task DeleteReplicaSetAsync(string ns, string name, CancellationToken cancellationToken);

    Task<V1ReplicationController> GetReplicationControllerAsync(string ns, string name, CancellationToken cancellationToken);

    Task<V1ReplicationController> UpdateReplicationControllerStatusAsync(V1ReplicationController controller, CancellationToken cancellationToken);

    Task<V1Deployment> GetDeploymentAsync(string ns, string name, CancellationToken cancellationToken);

    Task<V1Deployment> UpdateDeploymentStatusAsync(V1Deployment deployment, CancellationToken cancellationToken);
}
