using k8s.Models;
using Kubesharp.Scheduler.Framework;
using static Kubesharp.Scheduler.Tests.Plugins.InterPodAffinity.Affinity;
using Plugin = Kubesharp.Scheduler.Plugins.InterPodAffinity.InterPodAffinity;

namespace Kubesharp.Scheduler.Tests.Plugins.InterPodAffinity;

/// <summary>Upstream's filtering_test.go categories, on the four nodes of <see cref="Affinity"/>.</summary>
public sealed class FilteringTests
{
    /// <summary>
    /// Each case: the incoming pod, the pods already placed, and per node n1..n4 what Filter says: '.' fits,
    /// 'A' pod affinity not matched (UnschedulableAndUnresolvable), 'N' pod anti-affinity not matched
    /// (Unschedulable), 'E' an existing pod's anti-affinity (Unschedulable); or "skip" when PreFilter says Skip.
    /// </summary>
    public static TheoryData<string, V1Pod, V1Pod[], string> Cases => new()
    {
        {
            "no terms and no existing anti-affinity: PreFilter skips",
            Pod("p", "app=web"), [Pod("e", "app=web", node: "n1")], "skip"
        },
        {
            "affinity by zone: the zone of a matching pod, nodes without the zone label never",
            Pod("p", affinity: Required([Term(Zone, "app", "web")])), [Pod("e", "app=web", node: "n1")], "..AA"
        },
        {
            "affinity by hostname: only the matching pod's node",
            Pod("p", affinity: Required([Term(Hostname, "app", "web")])), [Pod("e", "app=web", node: "n1")], ".AAA"
        },
        {
            "affinity by region covers every node of the region",
            Pod("p", affinity: Required([Term(Region, "app", "web")])), [Pod("e", "app=web", node: "n3")], "...A"
        },
        {
            "affinity with a selector no pod matches, the pod not matching itself: nowhere",
            Pod("p", affinity: Required([Term(Zone, "app", "db")])), [Pod("e", "app=web", node: "n1")], "AAAA"
        },
        {
            "affinity terms are ANDed: one existing pod must match them all",
            Pod("p", affinity: Required([Term(Zone, "app", "web"), Term(Zone, "tier", "front")])),
            [Pod("e1", "app=web", node: "n1"), Pod("e2", "tier=front", node: "n2")], "AAAA"
        },
        {
            "a null label selector matches nothing",
            Pod("p", "app=web", affinity: Required([new V1PodAffinityTerm { TopologyKey = Zone }])), [Pod("e", "app=web", node: "n1")], "AAAA"
        },
        {
            "first pod of a group: it matches its own terms and no pod matches anywhere, so any node with the keys",
            Pod("p", "app=web", affinity: Required([Term(Zone, "app", "web")])), [Pod("e", "app=db", node: "n1")], "...A"
        },
        {
            "first-pod rule gone once a matching pod runs somewhere",
            Pod("p", "app=web", affinity: Required([Term(Zone, "app", "web")])), [Pod("e", "app=web", node: "n3")], "AA.A"
        },
        {
            "affinity counts only the pod's own namespace by default",
            Pod("p", affinity: Required([Term(Zone, "app", "web")])), [Pod("e", "app=web", ns: "team2", node: "n1")], "AAAA"
        },
        {
            "affinity with namespaces listed",
            Pod("p", affinity: Required([Term(Zone, "app", "web").With(namespaces: ["team2"])])), [Pod("e", "app=web", ns: "team2", node: "n1")], "..AA"
        },
        {
            "affinity with a namespaceSelector matching the pod's namespace",
            Pod("p", affinity: Required([Term(Zone, "app", "web").With(namespaceSelector: In("team", "team1"))])), [Pod("e", "app=web", ns: "team1-b", node: "n3")], "AA.A"
        },
        {
            "affinity with a namespaceSelector not matching the pod's namespace",
            Pod("p", affinity: Required([Term(Zone, "app", "web").With(namespaceSelector: In("team", "team1"))])), [Pod("e", "app=web", ns: "team2", node: "n3")], "AAAA"
        },
        {
            "anti-affinity by zone: the whole zone, and nodes without the zone label are fine",
            Pod("p", affinity: Required(anti: [Term(Zone, "app", "web")])), [Pod("e", "app=web", node: "n1")], "NN.."
        },
        {
            "anti-affinity by hostname: only the node itself",
            Pod("p", affinity: Required(anti: [Term(Hostname, "app", "web")])), [Pod("e", "app=web", node: "n1")], "N..."
        },
        {
            "anti-affinity rejects when any one term matches",
            Pod("p", affinity: Required(anti: [Term(Hostname, "app", "db"), Term(Region, "app", "web")])), [Pod("e", "app=web", node: "n3")], "NNN."
        },
        {
            "anti-affinity with an empty namespaceSelector covers every namespace",
            Pod("p", affinity: Required(anti: [Term(Hostname, "app", "web").With(namespaceSelector: new V1LabelSelector())])), [Pod("e", "app=web", ns: "team2", node: "n2")], ".N.."
        },
        {
            "anti-affinity with a namespaceSelector not matching the existing pod's namespace",
            Pod("p", affinity: Required(anti: [Term(Hostname, "app", "web").With(namespaceSelector: In("team", "team1"))])), [Pod("e", "app=web", ns: "team2", node: "n2")], "...."
        },
        {
            "anti-affinity of a pod matching itself lets it go anywhere no such pod is",
            Pod("p", "app=web", affinity: Required(anti: [Term(Hostname, "app", "web")])), [], "...."
        },
        {
            "affinity met but anti-affinity not: the anti-affinity reason",
            Pod("p", affinity: Required([Term(Zone, "app", "web")], [Term(Hostname, "app", "web")])), [Pod("e", "app=web", node: "n1")], "N.AA"
        },
        {
            "symmetry: an existing pod's anti-affinity keeps a matching pod out of its zone",
            Pod("p", "app=web"), [Pod("e", node: "n1", affinity: Required(anti: [Term(Zone, "app", "web")]))], "EE.."
        },
        {
            "symmetry: an existing pod's anti-affinity on a key no node has counts nowhere, so Skip",
            Pod("p", "app=web"), [Pod("e", node: "n1", affinity: Required(anti: [Term("rack", "app", "web")]))], "skip"
        },
        {
            "symmetry: an existing pod's anti-affinity covers its own namespace by default",
            Pod("p", "app=web"), [Pod("e", ns: "team2", node: "n1", affinity: Required(anti: [Term(Hostname, "app", "web")]))], "skip"
        },
        {
            "symmetry: an existing pod's namespaceSelector is matched against the incoming pod's namespace labels",
            Pod("p", "app=web", ns: "team1-a"),
            [Pod("e", ns: "team2", node: "n3", affinity: Required(anti: [Term(Hostname, "app", "web").With(namespaceSelector: In("team", "team1"))]))], "..E."
        },
        {
            "symmetry: existing pods' anti-affinity is checked after the pod's own terms",
            Pod("p", "app=web", affinity: Required([Term(Region, "app", "db")])),
            [Pod("db", "app=db", node: "n4"), Pod("e", node: "n4", affinity: Required(anti: [Term(Hostname, "app", "web")]))], "AAAE"
        },
        {
            "matchLabelKeys: only pods with the incoming pod's value of the key count",
            Pod("p", "app=web,version=v2", affinity: Required([Term(Hostname, "app", "web").With(matchLabelKeys: ["version"])])),
            [Pod("e1", "app=web,version=v1", node: "n1"), Pod("e2", "app=web,version=v2", node: "n3")], "AA.A"
        },
        {
            "mismatchLabelKeys: anti-affinity against pods of other tenants only",
            Pod("p", "tenant=a", affinity: Required(anti: [new V1PodAffinityTerm { TopologyKey = Hostname, LabelSelector = Exists("tenant"), MismatchLabelKeys = ["tenant"] }])),
            [Pod("e1", "tenant=a", node: "n1"), Pod("e2", "tenant=b", node: "n3")], "..N."
        },
        {
            "matchLabelKeys of an existing pod's anti-affinity take that pod's labels",
            Pod("p", "app=web,version=v1"),
            [
                Pod("e1", "version=v1", node: "n1", affinity: Required(anti: [Term(Hostname, "app", "web").With(matchLabelKeys: ["version"])])),
                Pod("e2", "version=v2", node: "n2", affinity: Required(anti: [Term(Hostname, "app", "web").With(matchLabelKeys: ["version"])])),
            ],
            "E..."
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Filter_follows_upstream(string name, V1Pod pod, V1Pod[] existing, string expected)
    {
        var plugin = Affinity.Plugin();
        var state = new CycleState();
        var nodes = Infos(existing);
        var info = PodInfo.Of(pod);

        var (pre, narrowed) = plugin.PreFilter(state, info, nodes);

        Assert.Null(narrowed);
        if (expected == "skip")
        {
            Assert.True(pre.IsSkip, $"{name}: PreFilter said {pre}, expected Skip");
            return;
        }

        Assert.True(pre.IsSuccess, $"{name}: PreFilter said {pre}");
        var got = string.Concat(nodes.Select(n => Letter(plugin.Filter(state, info, n))));
        Assert.Equal(expected, got);
    }

    [Fact]
    public void Reasons_and_codes_are_upstreams()
    {
        var plugin = Affinity.Plugin();
        var state = new CycleState();
        var nodes = Infos(Pod("e", "app=web", node: "n1"));
        var pod = PodInfo.Of(Pod("p", affinity: Required([Term(Region, "app", "web")], [Term(Hostname, "app", "web")])));
        plugin.PreFilter(state, pod, nodes);

        var anti = plugin.Filter(state, pod, nodes[0]);
        var affinity = plugin.Filter(state, pod, nodes[3]);

        Assert.Equal((Code.Unschedulable, "node(s) didn't match pod anti-affinity rules", "InterPodAffinity"), (anti.Code, anti.Message, anti.Plugin));
        Assert.Equal((Code.UnschedulableAndUnresolvable, "node(s) didn't match pod affinity rules"), (affinity.Code, affinity.Message));
        Assert.Equal("node(s) didn't satisfy existing pods anti-affinity rules", Plugin.ReasonExistingAntiAffinityRulesNotMatch);
    }

    [Fact]
    public void An_invalid_selector_fails_PreFilter_as_unresolvable()
    {
        var pod = Pod("p", affinity: Required([Term(Zone, "app", "{{.bad-value.}}")]));

        var (status, _) = Affinity.Plugin().PreFilter(new CycleState(), PodInfo.Of(pod), Infos());

        Assert.Equal(Code.UnschedulableAndUnresolvable, status.Code);
        Assert.StartsWith("parsing pod: requiredAffinityTerms: ", status.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddPod_and_RemovePod_update_the_counts_as_preemption_needs()
    {
        var plugin = Affinity.Plugin();
        var state = new CycleState();
        var nodes = Infos();
        var pod = PodInfo.Of(Pod("p", "app=web", affinity: Required(anti: [Term(Hostname, "app", "db")])));
        plugin.PreFilter(state, pod, nodes);
        string Filter(CycleState s) => string.Concat(nodes.Select(n => Letter(plugin.Filter(s, pod, n))));

        var db = PodInfo.Of(Pod("db", "app=db", node: "n2"));
        var guard = PodInfo.Of(Pod("guard", node: "n3", affinity: Required(anti: [Term(Zone, "app", "web")])));
        Assert.True(Plugin.AddPod(state, db, nodes[1]).IsSuccess);
        Assert.True(Plugin.AddPod(state, guard, nodes[2]).IsSuccess);
        Assert.Equal(".NE.", Filter(state));

        var copy = new CycleState();
        Plugin.ClonePreFilterState(state, copy);
        Assert.True(Plugin.RemovePod(copy, db, nodes[1]).IsSuccess);
        Assert.True(Plugin.RemovePod(copy, guard, nodes[2]).IsSuccess);
        Assert.Equal("....", Filter(copy));
        Assert.Equal(".NE.", Filter(state));
    }

    [Fact]
    public void Filter_allocates_nothing()
    {
        var plugin = Affinity.Plugin();
        var state = new CycleState();
        var nodes = Infos(Pod("e", "app=web", node: "n1"), Pod("g", node: "n3", affinity: Required(anti: [Term(Zone, "app", "web")])));
        var pod = PodInfo.Of(Pod("p", "app=web", affinity: Required([Term(Region, "app", "web")], [Term(Hostname, "app", "web")])));
        plugin.PreFilter(state, pod, nodes);
        Assert.Equal("N.EA", string.Concat(nodes.Select(n => Letter(plugin.Filter(state, pod, n)))));

        var before = GC.GetAllocatedBytesForCurrentThread();
        var fits = 0;
        for (var i = 0; i < 1000; i++)
        {
            foreach (var node in nodes)
            {
                fits += plugin.Filter(state, pod, node).IsSuccess ? 1 : 0;
            }
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(1000, fits);
        Assert.True(allocated == 0, $"expected no allocation over 4000 filter calls, got {allocated} bytes");
    }

    private static char Letter(Status status) => status switch
    {
        { IsSuccess: true } => '.',
        { Code: Code.UnschedulableAndUnresolvable, Message: Plugin.ReasonAffinityRulesNotMatch } => 'A',
        { Code: Code.Unschedulable, Message: Plugin.ReasonAntiAffinityRulesNotMatch } => 'N',
        { Code: Code.Unschedulable, Message: Plugin.ReasonExistingAntiAffinityRulesNotMatch } => 'E',
        _ => '?',
    };
}
