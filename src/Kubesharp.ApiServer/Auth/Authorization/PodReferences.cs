using k8s.Models;

namespace Kubesharp.ApiServer.Auth.Authorization;

/// <summary>
/// The API objects a pod names, as upstream's <c>podutil.VisitPodSecretNames</c>,
/// <c>VisitPodConfigmapNames</c> and the node graph read them: secrets (image pull secrets, environment
/// variables and envFrom of every container, init and ephemeral ones included, and the volume sources
/// that take a secret), config maps (environment and volumes, projected ones included), persistent volume
/// claims (claimed and ephemeral volumes), the service account and resource claims. All in the pod's
/// namespace; duplicates are returned once. Stateless and thread-safe.
/// </summary>
internal static class PodReferences
{
    /// <summary>The kubelet's annotation on a static pod's mirror pod.</summary>
    public const string MirrorPodAnnotation = "kubernetes.io/config.mirror";

    public static bool IsMirrorPod(V1Pod pod) => pod.Metadata?.Annotations?.ContainsKey(MirrorPodAnnotation) == true;

    public static SortedSet<string> SecretNames(V1Pod pod)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        var spec = pod.Spec;
        if (spec is null)
        {
            return names;
        }

        foreach (var secret in spec.ImagePullSecrets ?? [])
        {
            Add(names, secret.Name);
        }

        foreach (var (env, envFrom) in Containers(spec))
        {
            foreach (var source in envFrom ?? [])
            {
                Add(names, source.SecretRef?.Name);
            }

            foreach (var variable in env ?? [])
            {
                Add(names, variable.ValueFrom?.SecretKeyRef?.Name);
            }
        }

        foreach (var volume in spec.Volumes ?? [])
        {
            Add(names, volume.AzureFile?.SecretName);
            Add(names, volume.Cephfs?.SecretRef?.Name);
            Add(names, volume.Cinder?.SecretRef?.Name);
            Add(names, volume.FlexVolume?.SecretRef?.Name);
            Add(names, volume.Rbd?.SecretRef?.Name);
            Add(names, volume.Secret?.SecretName);
            Add(names, volume.ScaleIO?.SecretRef?.Name);
            Add(names, volume.Iscsi?.SecretRef?.Name);
            Add(names, volume.Storageos?.SecretRef?.Name);
            Add(names, volume.Csi?.NodePublishSecretRef?.Name);
            foreach (var source in volume.Projected?.Sources ?? [])
            {
                Add(names, source.Secret?.Name);
            }
        }

        return names;
    }

    public static SortedSet<string> ConfigMapNames(V1Pod pod)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        var spec = pod.Spec;
        if (spec is null)
        {
            return names;
        }

        foreach (var (env, envFrom) in Containers(spec))
        {
            foreach (var source in envFrom ?? [])
            {
                Add(names, source.ConfigMapRef?.Name);
            }

            foreach (var variable in env ?? [])
            {
                Add(names, variable.ValueFrom?.ConfigMapKeyRef?.Name);
            }
        }

        foreach (var volume in spec.Volumes ?? [])
        {
            Add(names, volume.ConfigMap?.Name);
            foreach (var source in volume.Projected?.Sources ?? [])
            {
                Add(names, source.ConfigMap?.Name);
            }
        }

        return names;
    }

    /// <summary>Claimed volumes, and ephemeral volumes' claims, which are named <c>pod-volume</c>.</summary>
    public static SortedSet<string> PersistentVolumeClaimNames(V1Pod pod)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var volume in pod.Spec?.Volumes ?? [])
        {
            if (volume.PersistentVolumeClaim is { } claim)
            {
                Add(names, claim.ClaimName);
            }
            else if (volume.Ephemeral is not null)
            {
                Add(names, pod.Metadata?.Name + "-" + volume.Name);
            }
        }

        return names;
    }

    /// <summary>
    /// Upstream's <c>resourceclaim.Name</c> for each of the pod's claims: the claim named directly, or the
    /// one generated from a template as the pod's status records it (none yet when not recorded).
    /// </summary>
    public static SortedSet<string> ResourceClaimNames(V1Pod pod)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var claim in pod.Spec?.ResourceClaims ?? [])
        {
            if (!string.IsNullOrEmpty(claim.ResourceClaimName))
            {
                names.Add(claim.ResourceClaimName);
            }
            else if (!string.IsNullOrEmpty(claim.ResourceClaimTemplateName))
            {
                var generated = pod.Status?.ResourceClaimStatuses?.FirstOrDefault(s => s.Name == claim.Name)?.ResourceClaimName;
                Add(names, generated);
            }
        }

        return names;
    }

    private static IEnumerable<(IList<V1EnvVar>? Env, IList<V1EnvFromSource>? EnvFrom)> Containers(V1PodSpec spec)
    {
        foreach (var c in spec.InitContainers ?? [])
        {
            yield return (c.Env, c.EnvFrom);
        }

        foreach (var c in spec.Containers ?? [])
        {
            yield return (c.Env, c.EnvFrom);
        }

        foreach (var c in spec.EphemeralContainers ?? [])
        {
            yield return (c.Env, c.EnvFrom);
        }
    }

    private static void Add(SortedSet<string> names, string? name)
    {
        if (!string.IsNullOrEmpty(name))
        {
            names.Add(name);
        }
    }
}
