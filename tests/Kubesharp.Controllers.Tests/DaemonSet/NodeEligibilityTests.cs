using k8s.Models;
using Kubesharp.Controllers.DaemonSet;

namespace Kubesharp.Controllers.Tests.DaemonSet;

public sealed class NodeEligibilityTests
{
    private static V1Node Node(Dictionary<string, string>? labels = null, params V1Taint[] taints) => new()
    {
        Metadata = new V1ObjectMeta { Name = "n1", Labels = labels ?? new Dictionary<string, string> { ["zone"] = "a", ["cores"] = "8" } },
        Spec = new V1NodeSpec { Taints = taints.Length == 0 ? null : taints },
    };

    private static V1DaemonSet Ds(Action<V1PodSpec>? change = null)
    {
        var spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "x" }] };
        change?.Invoke(spec);
        return new V1DaemonSet { Metadata = new V1ObjectMeta { Name = "ds" }, Spec = new V1DaemonSetSpec { Template = new V1PodTemplateSpec { Spec = spec } } };
    }

    private static V1NodeSelectorRequirement Req(string key, string op, params string[] values) => new() { Key = key, OperatorProperty = op, Values = values.Length == 0 ? null : values };

    private static Action<V1PodSpec> Required(params V1NodeSelectorTerm[] terms) =>
        s => s.Affinity = new V1Affinity { NodeAffinity = new V1NodeAffinity { RequiredDuringSchedulingIgnoredDuringExecution = new V1NodeSelector { NodeSelectorTerms = terms } } };

    private static V1NodeSelectorTerm Term(params V1NodeSelectorRequirement[] expressions) => new() { MatchExpressions = expressions };

    private static V1Taint Taint(string key, string effect, string? value = null) => new() { Key = key, Value = value, Effect = effect };

    public static TheoryData<string, V1DaemonSet, V1Node, bool, bool> Cases() => new()
    {
        { "no constraints", Ds(), Node(), true, true },
        { "nodeSelector matches", Ds(s => s.NodeSelector = new Dictionary<string, string> { ["zone"] = "a" }), Node(), true, true },
        { "nodeSelector differs", Ds(s => s.NodeSelector = new Dictionary<string, string> { ["zone"] = "b" }), Node(), false, false },
        { "nodeSelector label missing", Ds(s => s.NodeSelector = new Dictionary<string, string> { ["gpu"] = "yes" }), Node(), false, false },
        { "template nodeName elsewhere", Ds(s => s.NodeName = "n2"), Node(), false, false },
        { "template nodeName here", Ds(s => s.NodeName = "n1"), Node(), true, true },
        { "affinity In", Ds(Required(Term(Req("zone", "In", "a", "b")))), Node(), true, true },
        { "affinity In misses", Ds(Required(Term(Req("zone", "In", "b")))), Node(), false, false },
        { "affinity NotIn", Ds(Required(Term(Req("zone", "NotIn", "b")))), Node(), true, true },
        { "affinity NotIn of a missing label", Ds(Required(Term(Req("gpu", "NotIn", "x")))), Node(), true, true },
        { "affinity Exists", Ds(Required(Term(Req("zone", "Exists")))), Node(), true, true },
        { "affinity DoesNotExist", Ds(Required(Term(Req("zone", "DoesNotExist")))), Node(), false, false },
        { "affinity Gt", Ds(Required(Term(Req("cores", "Gt", "4")))), Node(), true, true },
        { "affinity Lt", Ds(Required(Term(Req("cores", "Lt", "4")))), Node(), false, false },
        { "affinity Gt of a non-number", Ds(Required(Term(Req("zone", "Gt", "4")))), Node(), false, false },
        { "expressions of a term are ANDed", Ds(Required(Term(Req("zone", "In", "a"), Req("cores", "Lt", "4")))), Node(), false, false },
        { "terms are ORed", Ds(Required(Term(Req("zone", "In", "b")), Term(Req("cores", "Gt", "4")))), Node(), true, true },
        { "an empty term matches nothing", Ds(Required(new V1NodeSelectorTerm())), Node(), false, false },
        { "no terms match nothing", Ds(Required()), Node(), false, false },
        { "matchFields on the name", Ds(Required(new V1NodeSelectorTerm { MatchFields = [Req("metadata.name", "In", "n1")] })), Node(), true, true },
        { "matchFields on another name", Ds(Required(new V1NodeSelectorTerm { MatchFields = [Req("metadata.name", "In", "n2")] })), Node(), false, false },
        { "NoSchedule taint untolerated: no new pod, an existing one stays", Ds(), Node(null, Taint("dedicated", "NoSchedule", "db")), false, true },
        { "NoExecute taint untolerated: none at all", Ds(), Node(null, Taint("dedicated", "NoExecute", "db")), false, false },
        { "PreferNoSchedule is ignored", Ds(), Node(null, Taint("dedicated", "PreferNoSchedule", "db")), true, true },
        { "tolerated by Equal", Ds(s => s.Tolerations = [new V1Toleration { Key = "dedicated", OperatorProperty = "Equal", Value = "db", Effect = "NoSchedule" }]), Node(null, Taint("dedicated", "NoSchedule", "db")), true, true },
        { "Equal with another value", Ds(s => s.Tolerations = [new V1Toleration { Key = "dedicated", Value = "web", Effect = "NoSchedule" }]), Node(null, Taint("dedicated", "NoSchedule", "db")), false, true },
        { "Exists with no key tolerates all", Ds(s => s.Tolerations = [new V1Toleration { OperatorProperty = "Exists" }]), Node(null, Taint("a", "NoExecute"), Taint("b", "NoSchedule")), true, true },
        { "toleration of another effect", Ds(s => s.Tolerations = [new V1Toleration { Key = "dedicated", OperatorProperty = "Exists", Effect = "NoSchedule" }]), Node(null, Taint("dedicated", "NoExecute")), false, false },
        { "default toleration: not-ready NoExecute", Ds(), Node(null, Taint("node.kubernetes.io/not-ready", "NoExecute")), true, true },
        { "default toleration: unreachable NoExecute", Ds(), Node(null, Taint("node.kubernetes.io/unreachable", "NoExecute")), true, true },
        { "default toleration: unschedulable", Ds(), Node(null, Taint("node.kubernetes.io/unschedulable", "NoSchedule")), true, true },
        { "default toleration: memory pressure", Ds(), Node(null, Taint("node.kubernetes.io/memory-pressure", "NoSchedule")), true, true },
        { "network-unavailable not tolerated without hostNetwork", Ds(), Node(null, Taint("node.kubernetes.io/network-unavailable", "NoSchedule")), false, true },
        { "network-unavailable tolerated with hostNetwork", Ds(s => s.HostNetwork = true), Node(null, Taint("node.kubernetes.io/network-unavailable", "NoSchedule")), true, true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Node_should_run_daemon_pod(string why, V1DaemonSet ds, V1Node node, bool shouldRun, bool shouldContinueRunning)
    {
        var result = NodeEligibility.ShouldRun(node, ds);

        Assert.True((shouldRun, shouldContinueRunning) == result, $"{why}: expected ({shouldRun}, {shouldContinueRunning}), got {result}");
    }
}
