using System.Globalization;
using k8s.Models;

namespace Kubesharp.Bench.Scheduler;

/// <summary>
/// The objects of upstream's scheduler_perf (test/integration/scheduler_perf/config): its default node (4 cpu,
/// 32 GiB, 110 pods, Ready), its default pod (one pause container, port 80, 100m / 500Mi requested and limited),
/// and the pod with a zone topology spread constraint and the pod with required anti-affinity on the hostname.
/// </summary>
internal static class Templates
{
    public const string ZoneLabel = "topology.kubernetes.io/zone";
    public const string HostnameLabel = "kubernetes.io/hostname";
    public const string GroupLabel = "color";

    /// <summary>The pods of one node, bounded by the first of 4 cpu / 100m, 32 GiB / 500 Mi and 110 pods.</summary>
    public const int PodsPerNode = 40;

    /// <summary>The topology spread constraint's maxSkew (upstream's template says 5; the issue asks for the strictest, 1).</summary>
    public const int MaxSkew = 1;

    public static string NodeName(int i) => "node-" + i.ToString("D5", CultureInfo.InvariantCulture);

    /// <summary>A node as a kubelet would register it; <paramref name="zone"/> labels it with <see cref="ZoneLabel"/>.</summary>
    public static V1Node Node(int i, string? zone)
    {
        var name = NodeName(i);
        var labels = new Dictionary<string, string> { [HostnameLabel] = name, ["kubernetes.io/os"] = "linux" };
        if (zone is not null)
        {
            labels[ZoneLabel] = zone;
        }

        var capacity = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("4"), ["memory"] = new("32Gi"), ["pods"] = new("110") };
        return new V1Node
        {
            Metadata = new V1ObjectMeta { Name = name, Labels = labels },
            Spec = new V1NodeSpec(),
            Status = new V1NodeStatus
            {
                Capacity = capacity,
                Allocatable = new Dictionary<string, ResourceQuantity>(capacity),
                Conditions = [new V1NodeCondition { Type = "Ready", Status = "True", Reason = "KubeletReady" }],
                Phase = "Running",
            },
        };
    }

    /// <summary>upstream's pod-default.yaml.</summary>
    public static V1Pod Pod(string name, IDictionary<string, string>? labels = null)
    {
        var resources = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("100m"), ["memory"] = new("500Mi") };
        return new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = name, Labels = labels },
            Spec = new V1PodSpec
            {
                Containers =
                [
                    new V1Container
                    {
                        Name = "pause",
                        Image = "registry.k8s.io/pause:3.10",
                        Ports = [new V1ContainerPort { ContainerPort = 80 }],
                        Resources = new V1ResourceRequirements { Requests = resources, Limits = new Dictionary<string, ResourceQuantity>(resources) },
                    },
                ],
            },
        };
    }

    /// <summary>upstream's pod-with-topology-spreading.yaml with maxSkew <see cref="MaxSkew"/>: color=blue pods spread over zones, DoNotSchedule.</summary>
    public static V1Pod SpreadPod(string name)
    {
        var labels = new Dictionary<string, string> { [GroupLabel] = "blue" };
        var pod = Pod(name, labels);
        pod.Spec.TopologySpreadConstraints =
        [
            new V1TopologySpreadConstraint
            {
                MaxSkew = MaxSkew,
                TopologyKey = ZoneLabel,
                WhenUnsatisfiable = "DoNotSchedule",
                LabelSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string>(labels) },
            },
        ];
        return pod;
    }

    /// <summary>
    /// upstream's pod-with-pod-anti-affinity.yaml, with one color per group instead of one for all: a pod repels
    /// the pods of its own group from its node (required, on <see cref="HostnameLabel"/>).
    /// </summary>
    public static V1Pod AntiAffinityPod(string name, int group)
    {
        var labels = new Dictionary<string, string> { [GroupLabel] = GroupColor(group) };
        var pod = Pod(name, labels);
        pod.Spec.Affinity = new V1Affinity
        {
            PodAntiAffinity = new V1PodAntiAffinity
            {
                RequiredDuringSchedulingIgnoredDuringExecution =
                [
                    new V1PodAffinityTerm
                    {
                        LabelSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string>(labels) },
                        TopologyKey = HostnameLabel,
                    },
                ],
            },
        };
        return pod;
    }

    public static string GroupColor(int group) => "green-" + group.ToString(CultureInfo.InvariantCulture);
}
