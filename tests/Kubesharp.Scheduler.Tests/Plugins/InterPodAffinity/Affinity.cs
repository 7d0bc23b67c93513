using k8s;
using k8s.Models;
using Kubesharp.Scheduler.Framework;
using Plugin = Kubesharp.Scheduler.Plugins.InterPodAffinity.InterPodAffinity;
using PluginArgs = Kubesharp.Scheduler.Plugins.InterPodAffinity.InterPodAffinityArgs;

namespace Kubesharp.Scheduler.Tests.Plugins.InterPodAffinity;

/// <summary>
/// The cluster the InterPodAffinity tests place pods in, and builders for pods with affinity terms.
/// Nodes: n1 and n2 in zone z1, n3 in zone z2 (all three in region r1), n4 in region r2 with no zone label.
/// Namespaces: default, team1-a and team1-b (label team=team1), team2 (team=team2).
/// </summary>
internal static class Affinity
{
    public const string Zone = "topology.kubernetes.io/zone";
    public const string Region = "topology.kubernetes.io/region";
    public const string Hostname = "kubernetes.io/hostname";

    public static readonly string[] NodeNames = ["n1", "n2", "n3", "n4"];

    public static V1Node[] Nodes() =>
    [
        Node("n1", (Zone, "z1"), (Region, "r1")),
        Node("n2", (Zone, "z1"), (Region, "r1")),
        Node("n3", (Zone, "z2"), (Region, "r1")),
        Node("n4", (Region, "r2")),
    ];

    public static V1Namespace[] Namespaces() =>
    [
        Namespace("default"),
        Namespace("team1-a", ("team", "team1")),
        Namespace("team1-b", ("team", "team1")),
        Namespace("team2", ("team", "team2")),
    ];

    public static Plugin Plugin(PluginArgs? args = null) =>
        new(new PluginHandle(new Kubernetes(new KubernetesClientConfiguration { Host = "https://127.0.0.1:1" }), new StaticObjectLister(Namespaces())), args);

    /// <summary>The snapshot: the nodes, each with the pods of <paramref name="existing"/> whose nodeName names it.</summary>
    public static NodeInfo[] Infos(params V1Pod[] existing) =>
        [.. Nodes().Select(n => Make.Info(n, [.. existing.Where(p => p.Spec.NodeName == n.Metadata.Name)]))];

    /// <summary>A pod with labels (<c>"k=v"</c>), in <paramref name="ns"/>, on <paramref name="node"/> when given.</summary>
    public static V1Pod Pod(string name, string labels = "", string ns = "default", string? node = null, V1Affinity? affinity = null)
    {
        var pod = Make.Pod(name, ns: ns, node: node, spec: s => s.Affinity = affinity);
        pod.Metadata.Labels = labels.Length == 0
            ? null
            : labels.Split(',').Select(l => l.Split('=')).ToDictionary(kv => kv[0], kv => kv[1]);
        return pod;
    }

    /// <summary>A term whose selector is <c>key in (values)</c>.</summary>
    public static V1PodAffinityTerm Term(string topologyKey, string key, params string[] values) =>
        new() { TopologyKey = topologyKey, LabelSelector = In(key, values) };

    public static V1PodAffinityTerm With(this V1PodAffinityTerm term, string[]? namespaces = null, V1LabelSelector? namespaceSelector = null, string[]? matchLabelKeys = null)
    {
        term.Namespaces = namespaces;
        term.NamespaceSelector = namespaceSelector;
        term.MatchLabelKeys = matchLabelKeys;
        return term;
    }

    public static V1LabelSelector In(string key, params string[] values) =>
        new() { MatchExpressions = [new V1LabelSelectorRequirement { Key = key, OperatorProperty = "In", Values = values }] };

    public static V1LabelSelector Exists(string key) =>
        new() { MatchExpressions = [new V1LabelSelectorRequirement { Key = key, OperatorProperty = "Exists" }] };

    public static V1Affinity Required(V1PodAffinityTerm[]? affinity = null, V1PodAffinityTerm[]? anti = null) => new()
    {
        PodAffinity = affinity is null ? null : new V1PodAffinity { RequiredDuringSchedulingIgnoredDuringExecution = affinity },
        PodAntiAffinity = anti is null ? null : new V1PodAntiAffinity { RequiredDuringSchedulingIgnoredDuringExecution = anti },
    };

    public static V1Affinity Preferred(V1WeightedPodAffinityTerm[]? affinity = null, V1WeightedPodAffinityTerm[]? anti = null) => new()
    {
        PodAffinity = affinity is null ? null : new V1PodAffinity { PreferredDuringSchedulingIgnoredDuringExecution = affinity },
        PodAntiAffinity = anti is null ? null : new V1PodAntiAffinity { PreferredDuringSchedulingIgnoredDuringExecution = anti },
    };

    public static V1WeightedPodAffinityTerm Weighted(int weight, V1PodAffinityTerm term) => new() { Weight = weight, PodAffinityTerm = term };

    private static V1Node Node(string name, params (string Key, string Value)[] labels)
    {
        var node = Make.Node(name);
        foreach (var (key, value) in labels)
        {
            node.Metadata.Labels[key] = value;
        }

        return node;
    }

    private static V1Namespace Namespace(string name, params (string Key, string Value)[] labels) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = labels.Length == 0 ? null : labels.ToDictionary(l => l.Key, l => l.Value) },
    };
}
