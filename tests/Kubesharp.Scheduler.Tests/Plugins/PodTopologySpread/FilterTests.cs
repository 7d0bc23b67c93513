using k8s.Models;
using Kubesharp.Scheduler.Framework;
using Kubesharp.Scheduler.Plugins.PodTopologySpread;
using static Kubesharp.Scheduler.Tests.Plugins.PodTopologySpread.SpreadCluster;
using Plugin = Kubesharp.Scheduler.Plugins.PodTopologySpread.PodTopologySpread;

namespace Kubesharp.Scheduler.Tests.Plugins.PodTopologySpread;

public sealed class FilterTests
{
    private const string Dns = Plugin.DoNotSchedule;

    // Two zones of two nodes each, as upstream's filtering tests lay them out.
    private static readonly string[] FourNodes =
    [
        $"node-a zone=zone1,{Host}=node-a",
        $"node-b zone=zone1,{Host}=node-b",
        $"node-x zone=zone2,{Host}=node-x",
        $"node-y zone=zone2,{Host}=node-y",
    ];

    // node-x carries a NoSchedule taint (only nodeTaintsPolicy Honor reads it: the Filter of TaintToleration is another plugin's).
    private static readonly string[] TaintedX = [.. FourNodes.Select(n => n.StartsWith("node-x", StringComparison.Ordinal) ? n + " taint:dedicated=db:NoSchedule" : n)];

    // Matching pods per host 2/1/0/3.
    private static readonly string[] TwoOneZeroThree = ["a1@node-a foo=", "a2@node-a foo=", "b1@node-b foo=", "y1@node-y foo=", "y2@node-y foo=", "y3@node-y foo="];

    /// <summary>Runs PreFilter over every node, then Filter on each: "ok", "skew" (Unschedulable) or "label" (missing key, Unresolvable).</summary>
    private static string[] Filter(V1Pod pod, IEnumerable<string> nodes, IEnumerable<string> pods)
    {
        var plugin = NewPlugin(new PodTopologySpreadArgs { DefaultingType = PodTopologySpreadArgs.ListDefaulting });
        var infos = Build(nodes, pods);
        var state = new CycleState();
        var info = PodInfo.Of(pod);
        var (pre, _) = plugin.PreFilter(state, info, infos);
        Assert.True(pre.IsSuccess, pre.ToString());
        return [.. infos.Select(n => plugin.Filter(state, info, n)).Select(Verdict)];
    }

    private static string Verdict(Status status) => status switch
    {
        { IsSuccess: true } => "ok",
        { Code: Code.Unschedulable } when status.Reasons.SequenceEqual([Plugin.ReasonConstraintsNotMatch]) => "skew",
        { Code: Code.UnschedulableAndUnresolvable } when status.Reasons.SequenceEqual([Plugin.ReasonNodeLabelNotMatch]) => "label",
        _ => status.ToString(),
    };

    public static TheoryData<string, V1Pod, string[], string[], string[]> Cases => new()
    {
        {
            "no existing pods: every node fits",
            Pod("foo=", Constraint(1, "zone", Dns, Exists("foo"))),
            FourNodes, [], ["ok", "ok", "ok", "ok"]
        },
        {
            "a selector that matches neither the pod nor the existing ones: nothing counts",
            Pod("foo=", Constraint(1, Host, Dns, Exists("bar"))),
            FourNodes, TwoOneZeroThree, ["ok", "ok", "ok", "ok"]
        },
        {
            "a null labelSelector matches nothing",
            Pod("foo=", Constraint(1, Host, Dns, null)),
            FourNodes, TwoOneZeroThree, ["ok", "ok", "ok", "ok"]
        },
        {
            "zones 3/3: one more anywhere keeps the skew at 1",
            Pod("foo=", Constraint(1, "zone", Dns, Exists("foo"))),
            FourNodes, ["a1@node-a foo=", "a2@node-a foo=", "b1@node-b foo=", "x1@node-x foo=", "y1@node-y foo=", "y2@node-y foo="], ["ok", "ok", "ok", "ok"]
        },
        {
            "hosts 2/1/0/3: only the empty host fits",
            Pod("foo=", Constraint(1, Host, Dns, Exists("foo"))),
            FourNodes, TwoOneZeroThree, ["skew", "skew", "ok", "skew"]
        },
        {
            "hosts 2/1/0/3 with maxSkew 2: hosts with at most one fit",
            Pod("foo=", Constraint(2, Host, Dns, Exists("foo"))),
            FourNodes, TwoOneZeroThree, ["skew", "ok", "ok", "skew"]
        },
        {
            "a pod its own selector does not match adds nothing to its domain",
            Pod("bar=", Constraint(1, Host, Dns, Exists("foo"))),
            FourNodes, TwoOneZeroThree, ["skew", "ok", "ok", "skew"]
        },
        {
            "pods of other namespaces do not count",
            Pod("foo=", Constraint(1, "zone", Dns, Exists("foo"))),
            FourNodes, ["ns1/a1@node-a foo=", "ns1/a2@node-a foo=", "x1@node-x foo="], ["ok", "ok", "skew", "skew"]
        },
        {
            "terminating pods do not count",
            Pod("foo=", Constraint(1, Host, Dns, Exists("foo"))),
            FourNodes, ["a1@node-a foo= terminating", "a2@node-a foo= terminating", "b1@node-b foo="], ["ok", "skew", "ok", "ok"]
        },
        {
            "a node without the key is rejected as unresolvable and its pods are not counted",
            Pod("foo=", Constraint(1, "zone", Dns, Exists("foo"))),
            ["node-a zone=zone1", "node-b", "node-x zone=zone2", "node-y zone=zone2"],
            ["a1@node-a foo=", "b1@node-b foo=", "x1@node-x foo=", "y1@node-y foo=", "y2@node-y foo="],
            ["ok", "label", "skew", "skew"]
        },
        {
            "a node must have every constraint's key",
            Pod("foo=", Constraint(1, "zone", Dns, Exists("foo")), Constraint(1, "rack", Dns, Exists("foo"))),
            ["node-a zone=zone1,rack=r1", "node-b zone=zone1"], [], ["ok", "label"]
        },
        {
            "two constraints: the zone allows zone2, the host only node-x",
            Pod("foo=", Constraint(1, "zone", Dns, Exists("foo")), Constraint(1, Host, Dns, Exists("foo"))),
            FourNodes, ["a1@node-a foo=", "a2@node-a foo=", "b1@node-b foo=", "y1@node-y foo="], ["skew", "skew", "ok", "skew"]
        },
        {
            "minDomains above the domains there are: the global minimum is 0",
            Pod("foo=", Constraint(1, "zone", Dns, Exists("foo"), minDomains: 3)),
            FourNodes, ["a1@node-a foo=", "x1@node-x foo="], ["skew", "skew", "skew", "skew"]
        },
        {
            "minDomains met: the global minimum is the smallest domain",
            Pod("foo=", Constraint(1, "zone", Dns, Exists("foo"), minDomains: 2)),
            FourNodes, ["a1@node-a foo=", "x1@node-x foo="], ["ok", "ok", "ok", "ok"]
        },
        {
            "matchLabelKeys: only pods with the pod's own version count",
            Pod("foo=,version=v2", Constraint(1, Host, Dns, Exists("foo"), matchLabelKeys: ["version"])),
            FourNodes, ["a1@node-a foo=,version=v1", "a2@node-a foo=,version=v1", "x1@node-x foo=,version=v2"], ["ok", "ok", "skew", "ok"]
        },
        {
            "without matchLabelKeys every version counts",
            Pod("foo=,version=v2", Constraint(1, Host, Dns, Exists("foo"))),
            FourNodes, ["a1@node-a foo=,version=v1", "a2@node-a foo=,version=v1", "x1@node-x foo=,version=v2"], ["skew", "ok", "skew", "ok"]
        },
        {
            "matchLabelKeys with a null labelSelector select by those labels alone",
            Pod("version=v2", Constraint(1, Host, Dns, null, matchLabelKeys: ["version", "absent"])),
            FourNodes, ["a1@node-a version=v1", "x1@node-x version=v2"], ["ok", "ok", "skew", "ok"]
        },
        {
            "nodeAffinityPolicy Honor (default): only nodes of the pod's nodeSelector count",
            Pod("foo=", Constraint(1, Host, Dns, Exists("foo"))).With(p => p.Spec.NodeSelector = new Dictionary<string, string> { ["disk"] = "ssd" }),
            [$"node-a disk=ssd,{Host}=node-a", $"node-b {Host}=node-b", $"node-x {Host}=node-x", $"node-y disk=ssd,{Host}=node-y"],
            TwoOneZeroThree, ["ok", "ok", "ok", "skew"]
        },
        {
            "nodeAffinityPolicy Honor with required node affinity",
            Pod("foo=", Constraint(1, Host, Dns, Exists("foo"))).With(p => p.Spec.Affinity = new V1Affinity
            {
                NodeAffinity = new V1NodeAffinity
                {
                    RequiredDuringSchedulingIgnoredDuringExecution = new V1NodeSelector
                    {
                        NodeSelectorTerms = [new V1NodeSelectorTerm { MatchExpressions = [new V1NodeSelectorRequirement { Key = "disk", OperatorProperty = "In", Values = ["ssd"] }] }],
                    },
                },
            }),
            [$"node-a disk=ssd,{Host}=node-a", $"node-b {Host}=node-b", $"node-x {Host}=node-x", $"node-y disk=ssd,{Host}=node-y"],
            TwoOneZeroThree, ["ok", "ok", "ok", "skew"]
        },
        {
            "nodeAffinityPolicy Ignore: every node counts",
            Pod("foo=", Constraint(1, Host, Dns, Exists("foo"), nodeAffinityPolicy: "Ignore")).With(p => p.Spec.NodeSelector = new Dictionary<string, string> { ["disk"] = "ssd" }),
            [$"node-a disk=ssd,{Host}=node-a", $"node-b {Host}=node-b", $"node-x {Host}=node-x", $"node-y disk=ssd,{Host}=node-y"],
            TwoOneZeroThree, ["skew", "skew", "ok", "skew"]
        },
        {
            "nodeTaintsPolicy Ignore (default): a tainted node's domain counts",
            Pod("foo=", Constraint(1, Host, Dns, Exists("foo"))),
            TaintedX, TwoOneZeroThree, ["skew", "skew", "ok", "skew"]
        },
        {
            "nodeTaintsPolicy Honor: an untolerated tainted node's domain does not count",
            Pod("foo=", Constraint(1, Host, Dns, Exists("foo"), nodeTaintsPolicy: "Honor")),
            TaintedX, TwoOneZeroThree, ["skew", "ok", "ok", "skew"]
        },
        {
            "nodeTaintsPolicy Honor: a tolerated taint leaves the domain counted",
            Pod("foo=", Constraint(1, Host, Dns, Exists("foo"), nodeTaintsPolicy: "Honor")).With(p => p.Spec.Tolerations = [new V1Toleration { Key = "dedicated", OperatorProperty = "Exists" }]),
            TaintedX, TwoOneZeroThree, ["skew", "skew", "ok", "skew"]
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Filter_bounds_the_skew_of_DoNotSchedule_constraints(string name, V1Pod pod, string[] nodes, string[] pods, string[] expected)
    {
        var actual = Filter(pod, nodes, pods);

        Assert.True(expected.SequenceEqual(actual), $"{name}: expected [{string.Join(", ", expected)}], got [{string.Join(", ", actual)}]");
    }
}

public sealed class PreemptionStateTests
{
    [Fact]
    public void AddPod_and_RemovePod_update_a_copy_of_the_counts()
    {
        var plugin = NewPlugin(new PodTopologySpreadArgs { DefaultingType = PodTopologySpreadArgs.ListDefaulting });
        var nodes = Build([$"node-a {Host}=node-a", $"node-b {Host}=node-b"], ["a1@node-a foo="]);
        var pod = PodInfo.Of(Pod("foo=", Constraint(1, Host, Plugin.DoNotSchedule, Exists("foo"))));
        var state = new CycleState();
        Assert.True(plugin.PreFilter(state, pod, nodes).Status.IsSuccess);
        Assert.False(plugin.Filter(state, pod, nodes[0]).IsSuccess);

        // A victim removed from node-a in a copy: node-a fits there, and still not in the original.
        var copy = new CycleState();
        Plugin.CloneState(state, copy);
        Plugin.RemovePod(copy, pod, nodes[0].Pods[0], nodes[0]);
        Assert.True(plugin.Filter(copy, pod, nodes[0]).IsSuccess);
        Assert.False(plugin.Filter(state, pod, nodes[0]).IsSuccess);

        // A matching pod nominated to node-b raises the minimum to 1: node-a (1 + 1 - 1) fits.
        Plugin.AddPod(state, pod, PodInfo.Of(Existing("n1@node-b foo=")), nodes[1]);
        Assert.True(plugin.Filter(state, pod, nodes[0]).IsSuccess);
        Assert.True(plugin.Filter(state, pod, nodes[1]).IsSuccess);

        // Pods of another namespace or that the selector does not match change nothing.
        Plugin.AddPod(state, pod, PodInfo.Of(Existing("other/n2@node-a foo=")), nodes[0]);
        Plugin.AddPod(state, pod, PodInfo.Of(Existing("n3@node-a bar=")), nodes[0]);
        Assert.True(plugin.Filter(state, pod, nodes[0]).IsSuccess);
        Plugin.AddPod(state, pod, PodInfo.Of(Existing("n4@node-a foo=")), nodes[0]);
        Assert.Equal(Code.Unschedulable, plugin.Filter(state, pod, nodes[0]).Code);
    }
}
