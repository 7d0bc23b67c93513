using k8s.Models;

namespace Kubesharp.ApiServer.Auth.Authorization;

/// <summary>The kinds of object the node authorizer relates to nodes.</summary>
internal enum NodeGraphObject
{
    Pod,
    Secret,
    ConfigMap,
    PersistentVolumeClaim,
    PersistentVolume,
    ServiceAccount,
    ResourceClaim,
    VolumeAttachment,
}

/// <summary>
/// Which objects each node may read, as upstream's node authorizer graph: a pod bound to a node relates
/// to it, and so do the secrets, config maps, persistent volume claims, service account and resource
/// claims the pod names; a persistent volume relates through the claim its <c>spec.claimRef</c> names, and
/// the secrets a bound volume names for the kubelet relate through the volume; a volume attachment
/// relates to the node in its <c>spec.nodeName</c>. A mirror pod relates only itself to its node: a node
/// could create one naming anything, so it must not gain access through it.
/// </summary>
/// <remarks>
/// Fed by the owner from the watch cache (pods, persistent volumes, volume attachments): add or update on
/// every event, delete on delete; feeding the same object twice is harmless. A pod not yet bound to a node
/// relates to nothing. The claim binding is read from the volume, never from a claim's
/// <c>spec.volumeName</c>, which a namespace user can set to any volume. Thread-safe: one lock, held for
/// O(references of one object) per call.
/// </remarks>
internal sealed class NodeGraph
{
    private readonly Lock _lock = new();

    // pod (namespace/name) -> its node and the keys it holds a reference on.
    private readonly Dictionary<(string Namespace, string Name), PodEntry> _pods = [];

    // object -> node -> number of pods on that node referencing it.
    private readonly Dictionary<ObjectKey, Dictionary<string, int>> _nodesOf = [];

    // persistent volume -> its claim; secret -> the volumes naming it.
    private readonly Dictionary<string, (string Namespace, string Name)> _volumeClaims = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<(string Namespace, string Name)>> _volumeSecrets = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Namespace, string Name), HashSet<string>> _secretVolumes = [];

    private readonly Dictionary<string, string> _attachmentNodes = new(StringComparer.Ordinal);

    public void AddOrUpdatePod(V1Pod pod)
    {
        var key = (pod.Metadata?.NamespaceProperty ?? "", pod.Metadata?.Name ?? "");
        var nodeName = pod.Spec?.NodeName ?? "";
        var references = new List<ObjectKey> { new(NodeGraphObject.Pod, key.Item1, key.Item2) };
        if (nodeName.Length > 0 && !PodReferences.IsMirrorPod(pod))
        {
            var ns = key.Item1;
            if (!string.IsNullOrEmpty(pod.Spec?.ServiceAccountName))
            {
                references.Add(new(NodeGraphObject.ServiceAccount, ns, pod.Spec.ServiceAccountName));
            }

            references.AddRange(PodReferences.SecretNames(pod).Select(n => new ObjectKey(NodeGraphObject.Secret, ns, n)));
            references.AddRange(PodReferences.ConfigMapNames(pod).Select(n => new ObjectKey(NodeGraphObject.ConfigMap, ns, n)));
            references.AddRange(PodReferences.PersistentVolumeClaimNames(pod).Select(n => new ObjectKey(NodeGraphObject.PersistentVolumeClaim, ns, n)));
            references.AddRange(PodReferences.ResourceClaimNames(pod).Select(n => new ObjectKey(NodeGraphObject.ResourceClaim, ns, n)));
        }

        lock (_lock)
        {
            RemovePodLocked(key);
            if (nodeName.Length == 0)
            {
                return;
            }

            _pods[key] = new PodEntry(nodeName, references);
            foreach (var reference in references)
            {
                if (!_nodesOf.TryGetValue(reference, out var nodes))
                {
                    nodes = new Dictionary<string, int>(StringComparer.Ordinal);
                    _nodesOf[reference] = nodes;
                }

                nodes[nodeName] = nodes.GetValueOrDefault(nodeName) + 1;
            }
        }
    }

    public void DeletePod(string @namespace, string name)
    {
        lock (_lock)
        {
            RemovePodLocked((@namespace, name));
        }
    }

    public void AddOrUpdatePersistentVolume(V1PersistentVolume volume)
    {
        var name = volume.Metadata?.Name ?? "";
        var claim = volume.Spec?.ClaimRef;
        lock (_lock)
        {
            RemoveVolumeLocked(name);
            if (claim is null)
            {
                return;
            }

            var claimNamespace = claim.NamespaceProperty ?? "";
            _volumeClaims[name] = (claimNamespace, claim.Name ?? "");
            var secrets = KubeletVisibleSecrets(volume.Spec!, claimNamespace);
            if (secrets.Count == 0)
            {
                return;
            }

            _volumeSecrets[name] = secrets;
            foreach (var secret in secrets)
            {
                if (!_secretVolumes.TryGetValue(secret, out var volumes))
                {
                    volumes = new HashSet<string>(StringComparer.Ordinal);
                    _secretVolumes[secret] = volumes;
                }

                volumes.Add(name);
            }
        }
    }

    public void DeletePersistentVolume(string name)
    {
        lock (_lock)
        {
            RemoveVolumeLocked(name);
        }
    }

    public void AddOrUpdateVolumeAttachment(V1VolumeAttachment attachment)
    {
        var name = attachment.Metadata?.Name ?? "";
        lock (_lock)
        {
            if (string.IsNullOrEmpty(attachment.Spec?.NodeName))
            {
                _attachmentNodes.Remove(name);
            }
            else
            {
                _attachmentNodes[name] = attachment.Spec.NodeName;
            }
        }
    }

    public void DeleteVolumeAttachment(string name)
    {
        lock (_lock)
        {
            _attachmentNodes.Remove(name);
        }
    }

    /// <summary>Whether the object relates to the node (upstream: there is a path from it to the node).</summary>
    public bool IsRelated(string nodeName, NodeGraphObject kind, string @namespace, string name)
    {
        lock (_lock)
        {
            return IsRelatedLocked(nodeName, kind, @namespace, name);
        }
    }

    private bool IsRelatedLocked(string nodeName, NodeGraphObject kind, string @namespace, string name)
    {
        switch (kind)
        {
            case NodeGraphObject.PersistentVolume:
                return _volumeClaims.TryGetValue(name, out var claim)
                    && IsRelatedLocked(nodeName, NodeGraphObject.PersistentVolumeClaim, claim.Namespace, claim.Name);

            case NodeGraphObject.VolumeAttachment:
                return _attachmentNodes.TryGetValue(name, out var attachedTo) && attachedTo == nodeName;

            case NodeGraphObject.Secret when _secretVolumes.TryGetValue((@namespace, name), out var volumes)
                && volumes.Any(v => IsRelatedLocked(nodeName, NodeGraphObject.PersistentVolume, "", v)):
                return true;

            default:
                return _nodesOf.TryGetValue(new ObjectKey(kind, @namespace, name), out var nodes) && nodes.ContainsKey(nodeName);
        }
    }

    private void RemovePodLocked((string Namespace, string Name) key)
    {
        if (!_pods.Remove(key, out var entry))
        {
            return;
        }

        foreach (var reference in entry.References)
        {
            var nodes = _nodesOf[reference];
            var count = nodes[entry.NodeName] - 1;
            if (count > 0)
            {
                nodes[entry.NodeName] = count;
                continue;
            }

            nodes.Remove(entry.NodeName);
            if (nodes.Count == 0)
            {
                _nodesOf.Remove(reference);
            }
        }
    }

    private void RemoveVolumeLocked(string name)
    {
        _volumeClaims.Remove(name);
        if (!_volumeSecrets.Remove(name, out var secrets))
        {
            return;
        }

        foreach (var secret in secrets)
        {
            if (_secretVolumes.TryGetValue(secret, out var volumes) && volumes.Remove(name) && volumes.Count == 0)
            {
                _secretVolumes.Remove(secret);
            }
        }
    }

    /// <summary>
    /// The secrets of upstream's <c>VisitPVSecretNames</c> that the kubelet reads (not the controller's CSI
    /// publish and expand secrets); a reference without a namespace means the claim's namespace.
    /// </summary>
    private static List<(string Namespace, string Name)> KubeletVisibleSecrets(V1PersistentVolumeSpec spec, string claimNamespace)
    {
        var secrets = new List<(string, string)>();
        Add(spec.AzureFile?.SecretNamespace, spec.AzureFile?.SecretName);
        Add(spec.Cephfs?.SecretRef?.NamespaceProperty, spec.Cephfs?.SecretRef?.Name);
        Add(spec.Cinder?.SecretRef?.NamespaceProperty, spec.Cinder?.SecretRef?.Name);
        Add(spec.FlexVolume?.SecretRef?.NamespaceProperty, spec.FlexVolume?.SecretRef?.Name);
        Add(spec.Rbd?.SecretRef?.NamespaceProperty, spec.Rbd?.SecretRef?.Name);
        Add(spec.ScaleIO?.SecretRef?.NamespaceProperty, spec.ScaleIO?.SecretRef?.Name);
        Add(spec.Iscsi?.SecretRef?.NamespaceProperty, spec.Iscsi?.SecretRef?.Name);
        Add(spec.Storageos?.SecretRef?.NamespaceProperty, spec.Storageos?.SecretRef?.Name);
        Add(spec.Csi?.NodePublishSecretRef?.NamespaceProperty, spec.Csi?.NodePublishSecretRef?.Name);
        Add(spec.Csi?.NodeStageSecretRef?.NamespaceProperty, spec.Csi?.NodeStageSecretRef?.Name);
        Add(spec.Csi?.NodeExpandSecretRef?.NamespaceProperty, spec.Csi?.NodeExpandSecretRef?.Name);
        return secrets;

        void Add(string? ns, string? name)
        {
            if (!string.IsNullOrEmpty(name))
            {
                secrets.Add((string.IsNullOrEmpty(ns) ? claimNamespace : ns, name));
            }
        }
    }

    private readonly record struct ObjectKey(NodeGraphObject Kind, string Namespace, string Name);

    private sealed record PodEntry(string NodeName, List<ObjectKey> References);
}
