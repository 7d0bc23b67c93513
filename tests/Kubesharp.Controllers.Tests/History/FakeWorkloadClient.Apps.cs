using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Kubesharp.Controllers.History;

namespace Kubesharp.Controllers.Tests.Fakes;

/// <summary>The DaemonSet and StatefulSet calls of the fake API server, recorded like the others ("create controllerrevision ns/name", ...).</summary>
internal sealed partial class FakeWorkloadClient : IAppsClient
{
    public Task<V1DaemonSet> GetDaemonSetAsync(string ns, string name, CancellationToken cancellationToken) =>
        Do($"get daemonset {ns}/{name}", () => GetLocked<V1DaemonSet>(ns + "/" + name));

    public Task<V1DaemonSet> UpdateDaemonSetStatusAsync(V1DaemonSet daemonSet, CancellationToken cancellationToken) =>
        Do($"status daemonset {Key(daemonSet)}", () => UpdateLocked(daemonSet, checkVersion: true, statusOnly: true));

    public Task<V1StatefulSet> GetStatefulSetAsync(string ns, string name, CancellationToken cancellationToken) =>
        Do($"get statefulset {ns}/{name}", () => GetLocked<V1StatefulSet>(ns + "/" + name));

    public Task<V1StatefulSet> UpdateStatefulSetStatusAsync(V1StatefulSet statefulSet, CancellationToken cancellationToken) =>
        Do($"status statefulset {Key(statefulSet)}", () => UpdateLocked(statefulSet, checkVersion: true, statusOnly: true));

    public Task<V1ControllerRevision> GetControllerRevisionAsync(string ns, string name, CancellationToken cancellationToken) =>
        Do($"get controllerrevision {ns}/{name}", () => GetLocked<V1ControllerRevision>(ns + "/" + name));

    public Task<V1ControllerRevision> CreateControllerRevisionAsync(string ns, V1ControllerRevision revision, CancellationToken cancellationToken) =>
        Do($"create controllerrevision {ns}/{revision.Metadata.Name}", () => CreateLocked(WithNamespace(Serializable(revision), ns)));

    public Task<V1ControllerRevision> UpdateControllerRevisionAsync(V1ControllerRevision revision, CancellationToken cancellationToken) =>
        Do($"update controllerrevision {Key(revision)} revision={revision.Revision}", () => UpdateLocked(Serializable(revision), checkVersion: true, statusOnly: false));

    public Task<V1ControllerRevision> PatchControllerRevisionAsync(string ns, string name, string strategicMergePatch, CancellationToken cancellationToken) =>
        Do($"patch controllerrevision {ns}/{name} {strategicMergePatch}", () => PatchOwnerLocked<V1ControllerRevision>(ns + "/" + name, strategicMergePatch));

    public Task DeleteControllerRevisionAsync(string ns, string name, CancellationToken cancellationToken) =>
        Do($"delete controllerrevision {ns}/{name}", () => DeleteLocked<V1ControllerRevision>(ns + "/" + name));

    public Task<V1Pod> GetPodAsync(string ns, string name, CancellationToken cancellationToken) =>
        Do($"get pod {ns}/{name}", () => GetLocked<V1Pod>(ns + "/" + name));

    public Task<V1Pod> UpdatePodAsync(V1Pod pod, CancellationToken cancellationToken) =>
        Do($"update pod {Key(pod)}", () => UpdateLocked(pod, checkVersion: true, statusOnly: false));

    public Task<V1PersistentVolumeClaim> CreatePersistentVolumeClaimAsync(string ns, V1PersistentVolumeClaim claim, CancellationToken cancellationToken) =>
        Do($"create persistentvolumeclaim {ns}/{claim.Metadata.Name}", () => CreateLocked(WithNamespace(claim, ns)));

    public Task<V1PersistentVolumeClaim> PatchPersistentVolumeClaimAsync(string ns, string name, string strategicMergePatch, CancellationToken cancellationToken) =>
        Do($"patch persistentvolumeclaim {ns}/{name} {strategicMergePatch}", () => PatchOwnerLocked<V1PersistentVolumeClaim>(ns + "/" + name, strategicMergePatch));

    /// <summary>A revision whose data the JSON round trip keeps (the data arrives as a <see cref="JsonNode"/> or a JSON element).</summary>
    private static V1ControllerRevision Serializable(V1ControllerRevision revision)
    {
        var copy = KubernetesJson.Deserialize<V1ControllerRevision>(KubernetesJson.Serialize(revision));
        copy.Data = revision.Data is null ? null : JsonNode.Parse(KubernetesJson.Serialize(revision.Data));
        return copy;
    }
}
