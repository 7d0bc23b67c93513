using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using k8s;
using k8s.Models;
using Kubesharp.Controllers.Common;
using Kubesharp.Controllers.History;

namespace Kubesharp.Controllers.StatefulSet;

/// <summary>
/// Upstream's <c>stateful_set_utils.go</c>: a StatefulSet pod's stable identity (name <c>&lt;set&gt;-&lt;ordinal&gt;</c>,
/// hostname, subdomain, labels) and storage (one claim per volumeClaimTemplate, <c>&lt;claim&gt;-&lt;set&gt;-&lt;ordinal&gt;</c>),
/// the pod predicates the controller decides by, and the pods of a revision.
/// </summary>
internal static partial class StatefulPods
{
    public const string PodNameLabel = "statefulset.kubernetes.io/pod-name";
    public const string PodIndexLabel = "apps.kubernetes.io/pod-index";

    [GeneratedRegex("^(.*)-([0-9]+)$")]
    private static partial Regex StatefulPodName();

    /// <summary>The parent's name and the ordinal parsed from a pod name; ("", -1) when it has none.</summary>
    public static (string Parent, int Ordinal) ParentAndOrdinal(string? podName)
    {
        var match = StatefulPodName().Match(podName ?? "");
        if (!match.Success || !int.TryParse(match.Groups[2].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var ordinal))
        {
            return ("", -1);
        }

        return (match.Groups[1].Value, ordinal);
    }

    public static int Ordinal(V1Pod pod) => ParentAndOrdinal(pod.Metadata.Name).Ordinal;

    /// <summary>Upstream's <c>isMemberOf</c>: the pod's name says it is one of the set's.</summary>
    public static bool IsMemberOf(V1StatefulSet set, V1Pod pod) => ParentAndOrdinal(pod.Metadata.Name).Parent == set.Metadata.Name;

    public static string PodName(V1StatefulSet set, int ordinal) => set.Metadata.Name + "-" + ordinal.ToString(CultureInfo.InvariantCulture);

    public static string ClaimName(V1StatefulSet set, V1PersistentVolumeClaim template, int ordinal) =>
        template.Metadata.Name + "-" + set.Metadata.Name + "-" + ordinal.ToString(CultureInfo.InvariantCulture);

    public static int StartOrdinal(V1StatefulSet set) => set.Spec?.Ordinals?.Start ?? 0;

    public static int Replicas(V1StatefulSet set) => set.Spec?.Replicas ?? 1;

    /// <summary>Upstream's <c>podInOrdinalRange</c>: start ≤ ordinal &lt; start + replicas.</summary>
    public static bool InOrdinalRange(V1StatefulSet set, int ordinal) => ordinal >= StartOrdinal(set) && ordinal < StartOrdinal(set) + Replicas(set);

    public static string? Revision(V1Pod pod) => ControllerRevisions.Label(pod, ControllerRevisions.PodRevisionLabel);

    public static bool IsCreated(V1Pod pod) => !string.IsNullOrEmpty(pod.Status?.Phase);

    public static bool IsPending(V1Pod pod) => pod.Status?.Phase == Pods.Pending;

    public static bool IsFailed(V1Pod pod) => pod.Status?.Phase == Pods.Failed;

    public static bool IsSucceeded(V1Pod pod) => pod.Status?.Phase == Pods.Succeeded;

    public static bool IsTerminating(V1Pod pod) => pod.Metadata.DeletionTimestamp is not null;

    public static bool IsRunningAndReady(V1Pod pod) => pod.Status?.Phase == Pods.Running && Pods.IsReady(pod);

    public static bool IsRunningAndAvailable(V1Pod pod, int minReadySeconds, DateTimeOffset now) =>
        pod.Status?.Phase == Pods.Running && Pods.IsAvailable(pod, minReadySeconds, now);

    /// <summary>Running, ready and not being deleted.</summary>
    public static bool IsHealthy(V1Pod pod) => IsRunningAndReady(pod) && !IsTerminating(pod);

    /// <summary>Upstream's <c>identityMatches</c>.</summary>
    public static bool IdentityMatches(V1StatefulSet set, V1Pod pod)
    {
        var (parent, ordinal) = ParentAndOrdinal(pod.Metadata.Name);
        return ordinal >= 0
            && parent == set.Metadata.Name
            && pod.Metadata.Name == PodName(set, ordinal)
            && pod.Metadata.NamespaceProperty == set.Metadata.NamespaceProperty
            && ControllerRevisions.Label(pod, PodNameLabel) == pod.Metadata.Name;
    }

    /// <summary>Upstream's <c>updateIdentity</c>: name, namespace and the pod-name and pod-index labels from the ordinal.</summary>
    public static void UpdateIdentity(V1StatefulSet set, V1Pod pod)
    {
        var ordinal = Ordinal(pod);
        pod.Metadata.Name = PodName(set, ordinal);
        pod.Metadata.NamespaceProperty = set.Metadata.NamespaceProperty;
        pod.Metadata.Labels ??= new Dictionary<string, string>();
        pod.Metadata.Labels[PodNameLabel] = pod.Metadata.Name;
        pod.Metadata.Labels[PodIndexLabel] = ordinal.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Upstream's <c>getPersistentVolumeClaims</c>: the claims the pod mounts, by template name, labelled with the set's matchLabels.</summary>
    public static List<(string Volume, V1PersistentVolumeClaim Claim)> Claims(V1StatefulSet set, V1Pod pod)
    {
        var ordinal = Ordinal(pod);
        var claims = new List<(string, V1PersistentVolumeClaim)>();
        foreach (var template in set.Spec?.VolumeClaimTemplates ?? [])
        {
            var claim = Objects.DeepCopy(template);
            claim.Metadata ??= new V1ObjectMeta();
            claim.Metadata.Name = ClaimName(set, template, ordinal);
            claim.Metadata.NamespaceProperty = set.Metadata.NamespaceProperty;
            claim.Metadata.Labels ??= new Dictionary<string, string>();
            foreach (var (key, value) in set.Spec?.Selector?.MatchLabels ?? new Dictionary<string, string>())
            {
                claim.Metadata.Labels[key] = value;
            }

            claim.ApiVersion = "v1";
            claim.Kind = "PersistentVolumeClaim";
            claim.Status = null;
            claims.Add((template.Metadata.Name, claim));
        }

        return claims;
    }

    /// <summary>Upstream's <c>storageMatches</c>: every claim template is mounted from the pod's own claim.</summary>
    public static bool StorageMatches(V1StatefulSet set, V1Pod pod)
    {
        var ordinal = Ordinal(pod);
        if (ordinal < 0)
        {
            return false;
        }

        var volumes = (pod.Spec?.Volumes ?? []).ToDictionary(v => v.Name, StringComparer.Ordinal);
        foreach (var template in set.Spec?.VolumeClaimTemplates ?? [])
        {
            if (!volumes.TryGetValue(template.Metadata.Name, out var volume) || volume.PersistentVolumeClaim?.ClaimName != ClaimName(set, template, ordinal))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Upstream's <c>updateStorage</c>: the claim templates' volumes point at the pod's claims; other volumes stay.</summary>
    public static void UpdateStorage(V1StatefulSet set, V1Pod pod)
    {
        var claims = Claims(set, pod);
        var volumes = new List<V1Volume>();
        foreach (var (name, claim) in claims)
        {
            volumes.Add(new V1Volume { Name = name, PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = claim.Metadata.Name } });
        }

        var claimed = claims.Select(c => c.Volume).ToHashSet(StringComparer.Ordinal);
        volumes.AddRange((pod.Spec?.Volumes ?? []).Where(v => !claimed.Contains(v.Name)));
        pod.Spec ??= new V1PodSpec();
        pod.Spec.Volumes = volumes.Count == 0 ? null : volumes;
    }

    /// <summary>Upstream's <c>newStatefulSetPod</c>: the template's pod with the ordinal's identity, hostname, subdomain and storage.</summary>
    public static V1Pod New(V1StatefulSet set, int ordinal)
    {
        var pod = PodControl.PodFromTemplate(set.Spec?.Template ?? new V1PodTemplateSpec(), set, Objects.ControllerRef(set, StatefulSetController.ApiVersion, StatefulSetController.Kind));
        pod.Metadata.Name = PodName(set, ordinal);
        UpdateIdentity(set, pod);
        pod.Spec ??= new V1PodSpec();
        pod.Spec.Hostname = pod.Metadata.Name;
        pod.Spec.Subdomain = string.IsNullOrEmpty(set.Spec?.ServiceName) ? null : set.Spec.ServiceName;
        UpdateStorage(set, pod);
        return pod;
    }

    /// <summary>
    /// Upstream's <c>newVersionedStatefulSetPod</c>: ordinals below the partition are made from the current revision,
    /// the rest from the update revision; the pod is labelled with its revision.
    /// </summary>
    public static V1Pod NewVersioned(V1StatefulSet currentSet, V1StatefulSet updateSet, string currentRevision, string updateRevision, int ordinal)
    {
        var strategy = currentSet.Spec?.UpdateStrategy;
        var start = StartOrdinal(currentSet);
        // Upstream's condition, with Go's precedence: (rolling && no rollingUpdate && below current) || (rollingUpdate && below partition).
        var fromCurrent = (strategy?.Type == "RollingUpdate" && strategy.RollingUpdate is null && ordinal < start + (currentSet.Status?.CurrentReplicas ?? 0))
            || (strategy?.RollingUpdate is { } rolling && ordinal < start + (rolling.Partition ?? 0));
        var pod = New(fromCurrent ? currentSet : updateSet, ordinal);
        pod.Metadata.Labels ??= new Dictionary<string, string>();
        pod.Metadata.Labels[ControllerRevisions.PodRevisionLabel] = fromCurrent ? currentRevision : updateRevision;
        return pod;
    }

    /// <summary>Upstream's <c>ApplyRevision</c>: the set with the template its revision's data restores.</summary>
    public static V1StatefulSet ApplyRevision(V1StatefulSet set, V1ControllerRevision revision)
    {
        var copy = Objects.DeepCopy(set);
        var data = revision.Data is null ? null : revision.Data as JsonNode ?? JsonNode.Parse(KubernetesJson.Serialize(revision.Data));
        if (data?["spec"]?["template"] is JsonObject template)
        {
            var clone = template.DeepClone().AsObject();
            clone.Remove("$patch");
            copy.Spec.Template = KubernetesJson.Deserialize<V1PodTemplateSpec>(clone.ToJsonString());
        }

        return copy;
    }
}
