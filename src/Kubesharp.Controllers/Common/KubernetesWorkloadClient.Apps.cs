using k8s;
using k8s.Models;
using Kubesharp.Controllers.History;

namespace Kubesharp.Controllers.Common;

/// <summary><see cref="IAppsClient"/> over the KubernetesClient package, with the same failure mapping as the rest of the class.</summary>
internal sealed partial class KubernetesWorkloadClient : IAppsClient
{
    public Task<V1DaemonSet> GetDaemonSetAsync(string ns, string name, CancellationToken cancellationToken) =>
        Call(() => client.AppsV1.ReadNamespacedDaemonSetAsync(name, ns, cancellationToken: cancellationToken));

    public Task<V1DaemonSet> UpdateDaemonSetStatusAsync(V1DaemonSet daemonSet, CancellationToken cancellationToken) =>
        Call(() => client.AppsV1.ReplaceNamespacedDaemonSetStatusAsync(daemonSet, daemonSet.Metadata.Name, daemonSet.Metadata.NamespaceProperty, cancellationToken: cancellationToken));

    public Task<V1StatefulSet> GetStatefulSetAsync(string ns, string name, CancellationToken cancellationToken) =>
        Call(() => client.AppsV1.ReadNamespacedStatefulSetAsync(name, ns, cancellationToken: cancellationToken));

    public Task<V1StatefulSet> UpdateStatefulSetStatusAsync(V1StatefulSet statefulSet, CancellationToken cancellationToken) =>
        Call(() => client.AppsV1.ReplaceNamespacedStatefulSetStatusAsync(statefulSet, statefulSet.Metadata.Name, statefulSet.Metadata.NamespaceProperty, cancellationToken: cancellationToken));

    public Task<V1ControllerRevision> GetControllerRevisionAsync(string ns, string name, CancellationToken cancellationToken) =>
        Call(() => client.AppsV1.ReadNamespacedControllerRevisionAsync(name, ns, cancellationToken: cancellationToken));

    public Task<V1ControllerRevision> CreateControllerRevisionAsync(string ns, V1ControllerRevision revision, CancellationToken cancellationToken) =>
        Call(() => client.AppsV1.CreateNamespacedControllerRevisionAsync(revision, ns, cancellationToken: cancellationToken));

    public Task<V1ControllerRevision> UpdateControllerRevisionAsync(V1ControllerRevision revision, CancellationToken cancellationToken) =>
        Call(() => client.AppsV1.ReplaceNamespacedControllerRevisionAsync(revision, revision.Metadata.Name, revision.Metadata.NamespaceProperty, cancellationToken: cancellationToken));

    public Task<V1ControllerRevision> PatchControllerRevisionAsync(string ns, string name, string strategicMergePatch, CancellationToken cancellationToken) =>
        Call(() => client.AppsV1.PatchNamespacedControllerRevisionAsync(new V1Patch(strategicMergePatch, V1Patch.PatchType.StrategicMergePatch), name, ns, cancellationToken: cancellationToken));

    public Task DeleteControllerRevisionAsync(string ns, string name, CancellationToken cancellationToken) =>
        Call(() => client.AppsV1.DeleteNamespacedControllerRevisionAsync(name, ns, cancellationToken: cancellationToken));

    public Task<V1Pod> GetPodAsync(string ns, string name, CancellationToken cancellationToken) =>
        Call(() => client.CoreV1.ReadNamespacedPodAsync(name, ns, cancellationToken: cancellationToken));

    public Task<V1Pod> UpdatePodAsync(V1Pod pod, CancellationToken cancellationToken) =>
        Call(() => client.CoreV1.ReplaceNamespacedPodAsync(pod, pod.Metadata.Name, pod.Metadata.NamespaceProperty, cancellationToken: cancellationToken));

    public Task<V1PersistentVolumeClaim> CreatePersistentVolumeClaimAsync(string ns, V1PersistentVolumeClaim claim, CancellationToken cancellationToken) =>
        Call(() => client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(claim, ns, cancellationToken: cancellationToken));

    public Task<V1PersistentVolumeClaim> PatchPersistentVolumeClaimAsync(string ns, string name, string strategicMergePatch, CancellationToken cancellationToken) =>
        Call(() => client.CoreV1.PatchNamespacedPersistentVolumeClaimAsync(new V1Patch(strategicMergePatch, V1Patch.PatchType.StrategicMergePatch), name, ns, cancellationToken: cancellationToken));
}
