using k8s.Models;
using Kubesharp.Controllers.Common;

namespace Kubesharp.Controllers.History;

/// <summary>
/// The further API calls of the DaemonSet and StatefulSet controllers: their owners' status, ControllerRevisions,
/// pod updates (a StatefulSet repairs a pod's identity in place) and PersistentVolumeClaims. The contract is
/// <see cref="IWorkloadClient"/>'s: one request per call, failures as <see cref="Kubesharp.Client.Cache.ApiStatusException"/>, thread-safe.
/// </summary>
internal interface IAppsClient : IWorkloadClient
{
    Task<V1DaemonSet> GetDaemonSetAsync(string ns, string name, CancellationToken cancellationToken);

    /// <summary>A PUT of the status subresource; a compare-and-swap on the resourceVersion.</summary>
    Task<V1DaemonSet> UpdateDaemonSetStatusAsync(V1DaemonSet daemonSet, CancellationToken cancellationToken);

    Task<V1StatefulSet> GetStatefulSetAsync(string ns, string name, CancellationToken cancellationToken);

    /// <summary>A PUT of the status subresource; a compare-and-swap on the resourceVersion.</summary>
    Task<V1StatefulSet> UpdateStatefulSetStatusAsync(V1StatefulSet statefulSet, CancellationToken cancellationToken);

    Task<V1ControllerRevision> GetControllerRevisionAsync(string ns, string name, CancellationToken cancellationToken);

    /// <summary>409 AlreadyExists when the name is taken.</summary>
    Task<V1ControllerRevision> CreateControllerRevisionAsync(string ns, V1ControllerRevision revision, CancellationToken cancellationToken);

    /// <summary>A PUT of the whole object; a compare-and-swap on its resourceVersion.</summary>
    Task<V1ControllerRevision> UpdateControllerRevisionAsync(V1ControllerRevision revision, CancellationToken cancellationToken);

    Task<V1ControllerRevision> PatchControllerRevisionAsync(string ns, string name, string strategicMergePatch, CancellationToken cancellationToken);

    Task DeleteControllerRevisionAsync(string ns, string name, CancellationToken cancellationToken);

    Task<V1Pod> GetPodAsync(string ns, string name, CancellationToken cancellationToken);

    /// <summary>A PUT of the whole pod; a compare-and-swap on its resourceVersion.</summary>
    Task<V1Pod> UpdatePodAsync(V1Pod pod, CancellationToken cancellationToken);

    Task<V1PersistentVolumeClaim> CreatePersistentVolumeClaimAsync(string ns, V1PersistentVolumeClaim claim, CancellationToken cancellationToken);

    /// <summary>A strategic merge patch, as JSON text.</summary>
    Task<V1PersistentVolumeClaim> PatchPersistentVolumeClaimAsync(string ns, string name, string strategicMergePatch, CancellationToken cancellationToken);
}
