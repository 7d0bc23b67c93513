using System.Globalization;
using System.Runtime.CompilerServices;
using k8s.Models;
using Kubesharp.Controllers.Common;
using Kubesharp.Controllers.Deployment;
using Kubesharp.Controllers.History;

namespace Kubesharp.Controllers.DaemonSet;

/// <summary>Upstream's <c>pkg/controller/daemon/util</c>: the shape of a daemon pod and the rolling-update counts.</summary>
internal static class DaemonPods
{
    /// <summary>Upstream's <c>DaemonSetTemplateGenerationKey</c>: the pod label carrying the template generation it was made from.</summary>
    public const string TemplateGenerationLabel = "pod-template-generation";

    /// <summary>Where the API server keeps the template generation on apps/v1 DaemonSets.</summary>
    public const string TemplateGenerationAnnotation = "deprecated.daemonset.template.generation";

    public const string RollingUpdate = "RollingUpdate";
    public const string OnDelete = "OnDelete";

    private static readonly ConditionalWeakTable<V1DaemonSet, V1PodSpec> Specs = [];

    /// <summary>Upstream's <c>GetTemplateGeneration</c>: null when the annotation is missing or unparsable.</summary>
    public static long? TemplateGeneration(V1DaemonSet ds) =>
        ds.Metadata?.Annotations?.TryGetValue(TemplateGenerationAnnotation, out var text) == true
            && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var generation)
            ? generation
            : null;

    /// <summary>
    /// The spec of upstream's <c>NewPod</c> (the pod eligibility is judged on): the template's spec with the
    /// default daemon tolerations. Computed once per cached DaemonSet object; callers must not change it.
    /// </summary>
    public static V1PodSpec PodSpecFor(V1DaemonSet ds) => Specs.GetValue(ds, d =>
    {
        var spec = d.Spec?.Template?.Spec is { } s ? Objects.DeepCopy(s) : new V1PodSpec();
        AddOrUpdateDaemonPodTolerations(spec);
        return spec;
    });

    /// <summary>
    /// Upstream's <c>AddOrUpdateDaemonPodTolerations</c>: daemon pods stay on not-ready and unreachable nodes and
    /// go on nodes under disk, memory or PID pressure and on unschedulable ones; host-network pods also on nodes
    /// whose network is not ready. None has tolerationSeconds.
    /// </summary>
    public static void AddOrUpdateDaemonPodTolerations(V1PodSpec spec)
    {
        AddOrUpdate(spec, "node.kubernetes.io/not-ready", NodeEligibility.NoExecute);
        AddOrUpdate(spec, "node.kubernetes.io/unreachable", NodeEligibility.NoExecute);
        AddOrUpdate(spec, "node.kubernetes.io/disk-pressure", NodeEligibility.NoSchedule);
        AddOrUpdate(spec, "node.kubernetes.io/memory-pressure", NodeEligibility.NoSchedule);
        AddOrUpdate(spec, "node.kubernetes.io/pid-pressure", NodeEligibility.NoSchedule);
        AddOrUpdate(spec, "node.kubernetes.io/unschedulable", NodeEligibility.NoSchedule);
        if (spec.HostNetwork == true)
        {
            AddOrUpdate(spec, "node.kubernetes.io/network-unavailable", NodeEligibility.NoSchedule);
        }
    }

    // Upstream's AddOrUpdateTolerationInPodSpec: a toleration of the same key, operator, value and effect is
    // replaced (so a user's tolerationSeconds on it goes), otherwise ours is appended.
    private static void AddOrUpdate(V1PodSpec spec, string key, string effect)
    {
        var toleration = new V1Toleration { Key = key, OperatorProperty = "Exists", Effect = effect };
        var list = spec.Tolerations ?? [];
        spec.Tolerations = list;
        for (var i = 0; i < list.Count; i++)
        {
            var t = list[i];
            if (t.Key == key && (t.OperatorProperty ?? "") == "Exists" && (t.Value ?? "") == "" && t.Effect == effect)
            {
                list[i] = toleration;
                return;
            }
        }

        list.Add(toleration);
    }

    /// <summary>
    /// Upstream's <c>CreatePodTemplate</c>: the template with the default tolerations and the labels
    /// <c>pod-template-generation</c> (when known) and <c>controller-revision-hash</c>.
    /// </summary>
    public static V1PodTemplateSpec PodTemplate(V1PodTemplateSpec? template, long? generation, string hash)
    {
        var copy = template is null ? new V1PodTemplateSpec() : Objects.DeepCopy(template);
        copy.Metadata ??= new V1ObjectMeta();
        copy.Spec ??= new V1PodSpec();
        AddOrUpdateDaemonPodTolerations(copy.Spec);
        var labels = copy.Metadata.Labels ?? new Dictionary<string, string>();
        copy.Metadata.Labels = labels;
        if (generation is { } g)
        {
            labels[TemplateGenerationLabel] = g.ToString(CultureInfo.InvariantCulture);
        }

        if (hash.Length > 0)
        {
            labels[ControllerRevisions.PodRevisionLabel] = hash;
        }

        return copy;
    }

    /// <summary>
    /// Upstream's <c>ReplaceDaemonSetPodNodeNameNodeAffinity</c>: the pod's required node affinity becomes one term,
    /// <c>metadata.name In [node]</c> as a field requirement, so that the scheduler binds it there (the
    /// controller already checked that the rest of the affinity fits that node). Preferred terms are kept.
    /// </summary>
    public static V1Affinity ReplaceNodeNameAffinity(V1Affinity? affinity, string nodeName)
    {
        var selector = new V1NodeSelector
        {
            NodeSelectorTerms =
            [
                new V1NodeSelectorTerm
                {
                    MatchFields = [new V1NodeSelectorRequirement { Key = "metadata.name", OperatorProperty = "In", Values = [nodeName] }],
                },
            ],
        };
        affinity ??= new V1Affinity();
        affinity.NodeAffinity ??= new V1NodeAffinity();
        affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution = selector;
        return affinity;
    }

    /// <summary>
    /// Upstream's <c>GetTargetNodeName</c>: the node the pod is bound to, or else the one its node affinity names
    /// (one term with a <c>metadata.name In [node]</c> field requirement); null when neither.
    /// </summary>
    public static string? TargetNodeName(V1Pod pod)
    {
        if (!string.IsNullOrEmpty(pod.Spec?.NodeName))
        {
            return pod.Spec.NodeName;
        }

        var terms = pod.Spec?.Affinity?.NodeAffinity?.RequiredDuringSchedulingIgnoredDuringExecution?.NodeSelectorTerms;
        if (terms is not { Count: 1 })
        {
            return null;
        }

        foreach (var field in terms[0].MatchFields ?? [])
        {
            if (field.Key == "metadata.name" && field.OperatorProperty == "In" && field.Values is { Count: 1 } values)
            {
                return values[0];
            }
        }

        return null;
    }

    /// <summary>Upstream's <c>IsPodUpdated</c>: the pod carries the current revision's hash, or the current template generation.</summary>
    public static bool IsUpdated(V1Pod pod, string hash, long? generation)
    {
        var labels = pod.Metadata?.Labels;
        var templateMatches = generation is { } g && labels?.TryGetValue(TemplateGenerationLabel, out var text) == true
            && text == g.ToString(CultureInfo.InvariantCulture);
        var hashMatches = hash.Length > 0 && labels?.TryGetValue(ControllerRevisions.PodRevisionLabel, out var h) == true && h == hash;
        return hashMatches || templateMatches;
    }

    /// <summary>Upstream's <c>SurgeCount</c>: maxSurge of <paramref name="desired"/>, rounded up; 0 unless rolling with a maxSurge; null when invalid.</summary>
    public static int? SurgeCount(V1DaemonSet ds, int desired)
    {
        var strategy = ds.Spec?.UpdateStrategy;
        if (strategy?.Type != RollingUpdate || strategy.RollingUpdate?.MaxSurge is not { } surge)
        {
            return 0;
        }

        return IntOrPercent.Scaled(surge, desired, roundUp: true);
    }

    /// <summary>Upstream's <c>UnavailableCount</c>: maxUnavailable of <paramref name="desired"/>, rounded up; 0 unless rolling; null when invalid.</summary>
    public static int? UnavailableCount(V1DaemonSet ds, int desired)
    {
        var strategy = ds.Spec?.UpdateStrategy;
        if (strategy?.Type != RollingUpdate || strategy.RollingUpdate is not { } rolling)
        {
            return 0;
        }

        return IntOrPercent.Scaled(rolling.MaxUnavailable, desired, roundUp: true);
    }

    /// <summary>Upstream's <c>AllowsSurge</c>: a rolling update that may run a new pod beside the old one on a node.</summary>
    public static bool AllowsSurge(V1DaemonSet ds) => SurgeCount(ds, 1) is > 0;
}
