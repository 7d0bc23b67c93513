using k8s.Models;
using Kubesharp.Scheduler.Framework;
using static Kubesharp.Scheduler.Tests.Plugins.PodTopologySpread.SpreadCluster;
using Plugin = Kubesharp.Scheduler.Plugins.PodTopologySpread.PodTopologySpread;

namespace Kubesharp.Scheduler.Tests.Plugins.PodTopologySpread;

/// <summary>Upstream's <c>TestPodTopologySpreadScore</c> table (scoring_test.go), case for case where our model has the inputs.</summary>
public sealed class ScoreTests
{
    private const string Sa = Plugin.ScheduleAnyway;

    private static readonly string[] FourHosts = [$"node-a {Host}=node-a", $"node-b {Host}=node-b", $"node-c {Host}=node-c", $"node-d {Host}=node-d"];

    private static readonly string[] FourZonedHosts =
    [
        $"node-a zone=zone1,{Host}=node-a",
        $"node-b zone=zone1,{Host}=node-b",
        $"node-x zone=zone2,{Host}=node-x",
        $"node-y zone=zone2,{Host}=node-y",
    ];

    // 2/1/0/3 and 4/3/2/1 matching pods over node-a..node-d.
    private static readonly string[] TwoOneZeroThree = ["a1@node-a foo=", "a2@node-a foo=", "b1@node-b foo=", "d1@node-d foo=", "d2@node-d foo=", "d3@node-d foo="];
    private static readonly string[] FourThreeTwoOne = ["a1@node-a foo=", "a2@node-a foo=", "a3@node-a foo=", "a4@node-a foo=", "b1@node-b foo=", "b2@node-b foo=", "b3@node-b foo=", "c1@node-c foo=", "c2@node-c foo=", "d1@node-d foo="];

    // 4/2/1/3 over node-a, node-b, node-x, node-y.
    private static readonly string[] FourTwoOneThree = ["a1@node-a foo=", "a2@node-a foo=", "a3@node-a foo=", "a4@node-a foo=", "b1@node-b foo=", "b2@node-b foo=", "x1@node-x foo=", "y1@node-y foo=", "y2@node-y foo=", "y3@node-y foo="];

    private static readonly string[] NodeKeyed = ["node-a node=node-a,foo=", "node-b node=node-b,foo=", "node-c node=node-c"];
    private static readonly string[] NodeKeyedPods = ["a1@node-a foo=", "a2@node-a foo=", "b1@node-b foo=", "c1@node-c foo="];

    /// <summary>
    /// As the framework runs it: PreFilter over all nodes (feasible and failed), PreScore and Score over the feasible
    /// ones, then NormalizeScores.
    /// </summary>
    internal static long[] Score(Plugin plugin, V1Pod pod, string[] feasible, string[] failed, string[] pods)
    {
        var all = Build(feasible.Concat(failed), pods);
        var candidates = all.Take(feasible.Length).ToList();
        var state = new CycleState();
        var info = PodInfo.Of(pod);
        plugin.PreFilter(state, info, all);
        var status = plugin.PreScore(state, info, candidates);
        Assert.True(status.IsSuccess, status.ToString());
        var scores = candidates.Select(n => plugin.Score(state, info, n)).ToArray();
        plugin.NormalizeScores(state, info, scores);
        return scores;
    }

    public static TheoryData<string, V1Pod, string[], string[], string[], long[]> Cases => new()
    {
        {
            "one constraint on node, no existing pods",
            Pod("foo=", Constraint(1, Host, Sa, Exists("foo"))), FourHosts[..2], [], [], [100, 100]
        },
        {
            "one constraint on node, only one node is candidate",
            Pod("foo=", Constraint(1, Host, Sa, Exists("foo"))), FourHosts[..1], FourHosts[1..2], ["a1@node-a foo=", "a2@node-a foo=", "b1@node-b foo="], [100]
        },
        {
            "one constraint on node, all nodes have the same number of matching pods",
            Pod("foo=", Constraint(1, Host, Sa, Exists("foo"))), FourHosts[..2], [], ["a1@node-a foo=", "b1@node-b foo="], [100, 100]
        },
        {
            "one constraint on node, all 4 nodes are candidates",
            Pod("foo=", Constraint(1, Host, Sa, Exists("foo"))), FourHosts, [], TwoOneZeroThree, [20, 60, 100, 0]
        },
        {
            "one constraint on node, null selector",
            Pod("foo=", Constraint(1, Host, Sa, null)), FourHosts, [], TwoOneZeroThree, [100, 100, 100, 100]
        },
        {
            "one constraint on node, all 4 nodes are candidates, maxSkew=2",
            Pod("foo=", Constraint(2, Host, Sa, Exists("foo"))), FourHosts, [], TwoOneZeroThree, [33, 66, 100, 16]
        },
        {
            "one constraint on node, all 4 nodes are candidates, maxSkew=3",
            Pod("foo=", Constraint(3, Host, Sa, Exists("foo"))), FourHosts, [], FourThreeTwoOne, [44, 66, 77, 100]
        },
        {
            "one constraint on node, 3 out of 4 nodes are candidates",
            Pod("foo=", Constraint(1, Host, Sa, Exists("foo"))),
            [$"node-a {Host}=node-a", $"node-b {Host}=node-b", $"node-x {Host}=node-x"], [$"node-y {Host}=node-y"], FourTwoOneThree, [33, 83, 100]
        },
        {
            "one constraint on node, 3 out of 4 nodes are candidates, one node doesn't match topology key",
            Pod("foo=", Constraint(1, Host, Sa, Exists("foo"))),
            [$"node-a {Host}=node-a", "node-b n=node-b", $"node-x {Host}=node-x"], [$"node-y {Host}=node-y"], FourTwoOneThree, [16, 0, 100]
        },
        {
            "one constraint on zone, 3 out of 4 nodes are candidates",
            Pod("foo=", Constraint(1, "zone", Sa, Exists("foo"))), FourZonedHosts[..3], FourZonedHosts[3..], FourTwoOneThree, [75, 75, 100]
        },
        {
            "two Constraints on zone and node, 2 out of 4 nodes are candidates",
            Pod("foo=", Constraint(1, "zone", Sa, Exists("foo")), Constraint(1, Host, Sa, Exists("foo"))),
            [FourZonedHosts[0], FourZonedHosts[2]], [FourZonedHosts[1], FourZonedHosts[3]],
            ["a1@node-a foo=", "a2@node-a foo=", "b1@node-b foo=", "x1@node-x foo=", "x2@node-x foo=", "y1@node-y foo=", "y2@node-y foo=", "y3@node-y foo=", "y4@node-y foo="],
            [100, 63]
        },
        {
            "two Constraints on zone, 2 out of 4 nodes are candidates",
            Pod("foo=,bar=", Constraint(1, "zone", Sa, Exists("foo")), Constraint(1, "zone", Sa, Exists("bar"))),
            ["node-a zone=zone1", "node-x zone=zone2"], ["node-b zone=zone1", "node-y zone=zone2"],
            ["a1@node-a foo=,bar=", "a2@node-a foo=", "b1@node-b foo=,bar=", "y1@node-y foo=", "y2@node-y foo=,bar=", "y3@node-y foo="],
            [85, 100]
        },
        {
            "two Constraints on zone and node, with different labelSelectors",
            Pod("foo=,bar=", Constraint(1, "zone", Sa, Exists("foo")), Constraint(1, Host, Sa, Exists("bar"))),
            FourZonedHosts, [], ["a1@node-a foo=", "b1@node-b foo=,bar=", "y1@node-y foo=", "y2@node-y bar="], [60, 20, 100, 60]
        },
        {
            "two Constraints on zone and node, with different labelSelectors, some nodes have 0 pods",
            Pod("foo=,bar=", Constraint(1, "zone", Sa, Exists("foo")), Constraint(1, Host, Sa, Exists("bar"))),
            FourZonedHosts, [], ["b1@node-b bar=", "x1@node-x foo=", "y1@node-y foo=,bar="], [100, 60, 40, 0]
        },
        {
            "two Constraints on zone and node, with different labelSelectors, 3 out of 4 nodes are candidates",
            Pod("foo=,bar=", Constraint(1, "zone", Sa, Exists("foo")), Constraint(1, Host, Sa, Exists("bar"))),
            FourZonedHosts[..3], FourZonedHosts[3..], ["a1@node-a foo=", "b1@node-b foo=,bar=", "y1@node-y foo=", "y2@node-y bar="], [50, 25, 100]
        },
        {
            "existing pods in a different namespace do not count",
            Pod("foo=", Constraint(1, Host, Sa, Exists("foo"))), FourHosts[..2], [], ["ns1/a1@node-a foo=", "a2@node-a foo=", "b1@node-b foo=", "b2@node-b foo="], [100, 33]
        },
        {
            "terminating Pods should be excluded",
            Pod("foo=", Constraint(1, Host, Sa, Exists("foo"))), FourHosts[..2], [], ["a1@node-a foo= terminating", "b1@node-b foo="], [100, 0]
        },
        {
            "minDomains has no effect when ScheduleAnyway",
            Pod("foo=", Constraint(2, "node", Sa, Exists("foo"), minDomains: 10)),
            ["node-a node=node-a", "node-b node=node-b", "node-c node=node-c"], [], ["a1@node-a foo=", "a2@node-a foo=", "b1@node-b foo=", "b2@node-b foo=", "c1@node-c foo="],
            [75, 75, 100]
        },
        {
            "NodeAffinityPolicy honored with labelSelectors",
            Pod("foo=", Constraint(1, "node", Sa, Exists("foo"))).With(p => p.Spec.NodeSelector = new Dictionary<string, string> { ["foo"] = "" }),
            NodeKeyed, [], NodeKeyedPods, [0, 33, 100]
        },
        {
            "NodeAffinityPolicy ignored with labelSelectors",
            Pod("foo=", Constraint(1, "node", Sa, Exists("foo"), nodeAffinityPolicy: "Ignore")).With(p => p.Spec.NodeSelector = new Dictionary<string, string> { ["foo"] = "" }),
            NodeKeyed, [], NodeKeyedPods, [66, 100, 100]
        },
        {
            "NodeAffinityPolicy honored with nodeAffinity",
            Pod("foo=", Constraint(1, "node", Sa, Exists("foo"))).With(p => p.Spec.Affinity = FooAffinity()),
            NodeKeyed, [], NodeKeyedPods, [0, 33, 100]
        },
        {
            "NodeAffinityPolicy ignored with nodeAffinity",
            Pod("foo=", Constraint(1, "node", Sa, Exists("foo"), nodeAffinityPolicy: "Ignore")).With(p => p.Spec.Affinity = FooAffinity()),
            NodeKeyed, [], NodeKeyedPods, [66, 100, 100]
        },
        {
            "NodeTaintsPolicy honored",
            Pod("foo=", Constraint(1, "node", Sa, Exists("foo"), nodeTaintsPolicy: "Honor")),
            ["node-a node=node-a", "node-b node=node-b", "node-c node=node-c taint:a=b:NoSchedule"], [], NodeKeyedPods, [0, 33, 100]
        },
        {
            "NodeTaintsPolicy ignored",
            Pod("foo=", Constraint(1, "node", Sa, Exists("foo"))),
            ["node-a node=node-a", "node-b node=node-b", "node-c node=node-c taint:a=b:NoSchedule"], [], NodeKeyedPods, [66, 100, 100]
        },
        {
            "matchLabelKeys ANDed with LabelSelector when LabelSelector is empty",
            Pod("foo=,bar=", Constraint(1, "zone", Sa, new V1LabelSelector(), matchLabelKeys: ["foo"]), Constraint(1, Host, Sa, new V1LabelSelector(), matchLabelKeys: ["bar"])),
            FourLetterZonedHosts, [], ["a1@node-a foo=", "b1@node-b foo=,bar=", "y1@node-c foo=", "y2@node-c bar="], [60, 20, 60, 100]
        },
        {
            "matchLabelKeys ANDed with LabelSelector when LabelSelector isn't empty",
            Pod("foo=,bar=,baz=", Constraint(1, "zone", Sa, Exists("foo")), Constraint(1, Host, Sa, Exists("bar"), matchLabelKeys: ["baz"])),
            FourLetterZonedHosts, [], ["a1@node-a foo=", "b1@node-b foo=,bar=,baz=", "c1@node-c foo=", "c2@node-c bar=", "d3@node-c bar=,baz="], [60, 20, 60, 100]
        },
    };

    private static string[] FourLetterZonedHosts =>
    [
        $"node-a zone=zone1,{Host}=node-a",
        $"node-b zone=zone1,{Host}=node-b",
        $"node-c zone=zone2,{Host}=node-c",
        $"node-d zone=zone2,{Host}=node-d",
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Scores_match_upstreams_table(string name, V1Pod pod, string[] feasible, string[] failed, string[] pods, long[] expected)
    {
        var actual = Score(NewPlugin(), pod, feasible, failed, pods);

        Assert.True(expected.SequenceEqual(actual), $"{name}: expected [{string.Join(", ", expected)}], got [{string.Join(", ", actual)}]");
    }

    [Fact]
    public void System_defaults_spread_by_hostname_when_nodes_have_no_zone_for_pods_a_Service_selects()
    {
        var service = new V1Service { Metadata = new V1ObjectMeta { Name = "svc", NamespaceProperty = "default" }, Spec = new V1ServiceSpec { Selector = new Dictionary<string, string> { ["foo"] = "" } } };

        // Upstream: "system defaulting, nodes don't have zone, pods match service": the same as one hostname constraint.
        Assert.Equal([44, 66, 77, 100], Score(NewPlugin(null, service), Pod("foo="), FourHosts, [], FourThreeTwoOne));
    }

    [Theory]
    [InlineData("the pod has no ScheduleAnyway constraint", true)]
    [InlineData("nothing selects the pod for the defaults", false)]
    public void PreScore_skips_without_soft_constraints(string name, bool own)
    {
        var plugin = NewPlugin(null, new V1Service { Metadata = new V1ObjectMeta { Name = "other", NamespaceProperty = "default" }, Spec = new V1ServiceSpec { Selector = new Dictionary<string, string> { ["app"] = "other" } } });
        var pod = own ? Pod("foo=", Constraint(1, Host, Plugin.DoNotSchedule, Exists("foo"))) : Pod("foo=");
        var nodes = Build(FourHosts, []);

        Assert.True(plugin.PreScore(new CycleState(), PodInfo.Of(pod), nodes).IsSkip, name);
    }

    private static V1Affinity FooAffinity() => new()
    {
        NodeAffinity = new V1NodeAffinity
        {
            RequiredDuringSchedulingIgnoredDuringExecution = new V1NodeSelector
            {
                NodeSelectorTerms = [new V1NodeSelectorTerm { MatchExpressions = [new V1NodeSelectorRequirement { Key = "foo", OperatorProperty = "In", Values = [""] }] }],
            },
        },
    };
}
