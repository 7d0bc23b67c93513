using k8s;
using k8s.Models;
using Kubesharp.Scheduler.Framework;
using Kubesharp.Scheduler.Plugins.PodTopologySpread;
using Plugin = Kubesharp.Scheduler.Plugins.PodTopologySpread.PodTopologySpread;

namespace Kubesharp.Scheduler.Tests.Plugins.PodTopologySpread;

/// <summary>
/// Small clusters written as text, in the shape of upstream's podtopologyspread test tables: a node is
/// <c>"node-a zone=zone1,kubernetes.io/hostname=node-a"</c>, an existing pod <c>"[ns/]name@node [labels] [terminating]"</c>.
/// </summary>
internal static class SpreadCluster
{
    public const string Host = "kubernetes.io/hostname";

    public static V1LabelSelector Exists(string key) => new() { MatchExpressions = [new V1LabelSelectorRequirement { Key = key, OperatorProperty = "Exists" }] };

    public static V1TopologySpreadConstraint Constraint(int maxSkew, string key, string when, V1LabelSelector? selector, int? minDomains = null, string? nodeAffinityPolicy = null, string? nodeTaintsPolicy = null, IList<string>? matchLabelKeys = null) =>
        new()
        {
            MaxSkew = maxSkew,
            TopologyKey = key,
            WhenUnsatisfiable = when,
            LabelSelector = selector,
            MinDomains = minDomains,
            NodeAffinityPolicy = nodeAffinityPolicy,
            NodeTaintsPolicy = nodeTaintsPolicy,
            MatchLabelKeys = matchLabelKeys,
        };

    /// <summary>The incoming pod: labels as <c>"foo=,bar=x"</c>.</summary>
    public static V1Pod Pod(string labels, params V1TopologySpreadConstraint[] constraints)
    {
        var pod = Make.Pod("p");
        pod.Metadata.Labels = Labels(labels);
        pod.Spec.TopologySpreadConstraints = constraints.Length == 0 ? null : constraints;
        return pod;
    }

    public static V1Pod With(this V1Pod pod, Action<V1Pod> change)
    {
        change(pod);
        return pod;
    }

    public static Dictionary<string, string> Labels(string text) =>
        text.Length == 0 ? [] : text.Split(',').Select(l => l.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv.Length > 1 ? kv[1] : "");

    /// <summary><c>"name [labels] [taint:key=value:Effect]"</c>.</summary>
    public static V1Node Node(string spec)
    {
        var parts = spec.Split(' ');
        var labels = parts.Length > 1 && !parts[1].StartsWith("taint:", StringComparison.Ordinal) ? parts[1] : "";
        var taints = parts.Where(p => p.StartsWith("taint:", StringComparison.Ordinal)).Select(p => p["taint:".Length..].Split('=', ':')).Select(t => new V1Taint { Key = t[0], Value = t[1], Effect = t[2] }).ToList();
        return Make.Node(parts[0], labels: Labels(labels), taints: taints.Count == 0 ? null : taints);
    }

    public static V1Pod Existing(string spec)
    {
        var parts = spec.Split(' ');
        var (nsName, node) = (parts[0].Split('@')[0], parts[0].Split('@')[1]);
        var ns = nsName.Contains('/', StringComparison.Ordinal) ? nsName.Split('/')[0] : "default";
        var pod = Make.Pod(nsName.Split('/')[^1], ns: ns, node: node);
        pod.Metadata.Labels = Labels(parts.Length > 1 ? parts[1] : "");
        if (parts.Contains("terminating"))
        {
            pod.Metadata.DeletionTimestamp = DateTime.UnixEpoch;
        }

        return pod;
    }

    /// <summary>The nodes with their existing pods, in the order written.</summary>
    public static List<NodeInfo> Build(IEnumerable<string> nodes, IEnumerable<string> pods)
    {
        var existing = pods.Select(Existing).ToList();
        return [.. nodes.Select(Node).Select(n => Make.Info(n, [.. existing.Where(p => p.Spec.NodeName == n.Metadata.Name)]))];
    }

    public static Plugin NewPlugin(PodTopologySpreadArgs? args = null, params IKubernetesObject<V1ObjectMeta>[] objects) =>
        new(new PluginHandle(new Kubernetes(new KubernetesClientConfiguration { Host = "https://127.0.0.1:1" }), new StaticObjectLister(objects)), args);
}
