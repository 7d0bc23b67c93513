using k8s.Models;
using Kubesharp.Scheduler.Framework;
using static Kubesharp.Scheduler.Tests.Plugins.InterPodAffinity.Affinity;
using PluginArgs = Kubesharp.Scheduler.Plugins.InterPodAffinity.InterPodAffinityArgs;

namespace Kubesharp.Scheduler.Tests.Plugins.InterPodAffinity;

/// <summary>Upstream's scoring_test.go categories, on the four nodes of <see cref="Affinity"/> (n1, n2 in z1; n3 in z2; n4 in r2 without a zone).</summary>
public sealed class ScoringTests
{
    /// <summary>Runs PreFilter over all nodes, then PreScore, Score and NormalizeScores over <paramref name="feasible"/> (all when null).</summary>
    private static (Status PreScore, long[] Raw, long[] Normalized) Run(V1Pod pod, V1Pod[] existing, PluginArgs? args = null, string[]? feasible = null)
    {
        var plugin = Affinity.Plugin(args);
        var state = new CycleState();
        var all = Infos(existing);
        var info = PodInfo.Of(pod);
        plugin.PreFilter(state, info, all);
        var nodes = feasible is null ? all : [.. all.Where(n => feasible.Contains(n.Name))];

        var pre = plugin.PreScore(state, info, nodes);
        if (!pre.IsSuccess)
        {
            return (pre, [], []);
        }

        var raw = nodes.Select(n => plugin.Score(state, info, n)).ToArray();
        var normalized = (long[])raw.Clone();
        plugin.NormalizeScores(state, info, normalized);
        return (pre, raw, normalized);
    }

    public static TheoryData<string, V1Pod, V1Pod[], long[], long[]> Cases => new()
    {
        {
            "preferred affinity pulls towards the zone of matching pods",
            Pod("p", affinity: Preferred([Weighted(5, Term(Zone, "app", "web"))])), [Pod("e", "app=web", node: "n1")],
            [5, 5, 0, 0], [100, 100, 0, 0]
        },
        {
            "preferred anti-affinity pushes away from it",
            Pod("p", affinity: Preferred(anti: [Weighted(5, Term(Zone, "app", "web"))])), [Pod("e", "app=web", node: "n1")],
            [-5, -5, 0, 0], [0, 0, 100, 100]
        },
        {
            "weights of several terms add up per domain",
            Pod("p", affinity: Preferred([Weighted(8, Term(Region, "app", "web"))], [Weighted(4, Term(Hostname, "app", "web"))])),
            [Pod("e", "app=web", node: "n1")],
            [4, 8, 8, 0], [50, 100, 100, 0]
        },
        {
            "every matching pod counts",
            Pod("p", affinity: Preferred([Weighted(3, Term(Hostname, "app", "web"))])),
            [Pod("e1", "app=web", node: "n1"), Pod("e2", "app=web", node: "n1"), Pod("e3", "app=web", node: "n3")],
            [6, 0, 3, 0], [100, 0, 50, 0]
        },
        {
            "preferred terms see only their namespaces",
            Pod("p", affinity: Preferred([Weighted(3, Term(Hostname, "app", "web").With(namespaceSelector: In("team", "team1")))])),
            [Pod("e1", "app=web", node: "n1"), Pod("e2", "app=web", ns: "team1-a", node: "n2")],
            [0, 3, 0, 0], [0, 100, 0, 0]
        },
        {
            "an existing pod's preferred affinity draws a matching pod",
            Pod("p", "app=web"), [Pod("e", node: "n3", affinity: Preferred([Weighted(10, Term(Zone, "app", "web"))]))],
            [0, 0, 10, 0], [0, 0, 100, 0]
        },
        {
            "an existing pod's preferred anti-affinity keeps a matching pod away",
            Pod("p", "app=web"), [Pod("e", node: "n1", affinity: Preferred(anti: [Weighted(10, Term(Hostname, "app", "web"))]))],
            [-10, 0, 0, 0], [0, 100, 100, 100]
        },
        {
            "an existing pod's required affinity counts at hardPodAffinityWeight (1)",
            Pod("p", "app=web"), [Pod("e", node: "n1", affinity: Required([Term(Zone, "app", "web")]))],
            [1, 1, 0, 0], [100, 100, 0, 0]
        },
        {
            "an existing pod's namespaceSelector is matched against the incoming pod's namespace labels",
            Pod("p", "app=web", ns: "team1-b"),
            [Pod("e", ns: "team2", node: "n3", affinity: Preferred([Weighted(7, Term(Hostname, "app", "web").With(namespaceSelector: In("team", "team1")))]))],
            [0, 0, 7, 0], [0, 0, 100, 0]
        },
        {
            "min-max normalisation keeps the order of negative and positive sums",
            Pod("p", affinity: Preferred([Weighted(5, Term(Zone, "app", "web"))], [Weighted(3, Term(Hostname, "app", "db"))])),
            [Pod("w", "app=web", node: "n3"), Pod("d", "app=db", node: "n1")],
            [-3, 0, 5, 0], [0, 37, 100, 37]
        },
        {
            "affinity by region: only the region of the matching pod",
            Pod("p", affinity: Preferred([Weighted(5, Term(Region, "app", "web"))])), [Pod("e", "app=web", node: "n4")],
            [0, 0, 0, 5], [0, 0, 0, 100]
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Score_follows_upstream(string name, V1Pod pod, V1Pod[] existing, long[] raw, long[] normalized)
    {
        var (pre, gotRaw, gotNormalized) = Run(pod, existing);

        Assert.True(pre.IsSuccess, $"{name}: PreScore said {pre}");
        Assert.Equal(raw, gotRaw);
        Assert.Equal(normalized, gotNormalized);
    }

    [Fact]
    public void Pods_on_nodes_that_did_not_pass_the_filters_still_count()
    {
        // e runs on n1, which is not feasible; n2 shares its zone.
        var (pre, raw, normalized) = Run(Pod("p", affinity: Preferred([Weighted(5, Term(Zone, "app", "web"))])), [Pod("e", "app=web", node: "n1")], feasible: ["n2", "n3"]);

        Assert.True(pre.IsSuccess);
        Assert.Equal([5L, 0L], raw);
        Assert.Equal([100L, 0L], normalized);
    }

    [Fact]
    public void Equal_nonzero_sums_normalise_to_zero()
    {
        var (_, raw, normalized) = Run(Pod("p", affinity: Preferred([Weighted(5, Term(Zone, "app", "web"))])), [Pod("e", "app=web", node: "n1")], feasible: ["n1", "n2"]);

        Assert.Equal([5L, 5L], raw);
        Assert.Equal([0L, 0L], normalized);
    }

    [Fact]
    public void HardPodAffinityWeight_scales_existing_required_affinity_and_zero_turns_it_off()
    {
        var existing = new[] { Pod("e", node: "n3", affinity: Required([Term(Hostname, "app", "web")])) };

        Assert.Equal([0L, 0L, 40L, 0L], Run(Pod("p", "app=web"), existing, new PluginArgs { HardPodAffinityWeight = 40 }).Raw);
        Assert.True(Run(Pod("p", "app=web"), existing, new PluginArgs { HardPodAffinityWeight = 0 }).PreScore.IsSkip);
    }

    [Fact]
    public void IgnorePreferredTermsOfExistingPods_skips_only_pods_without_preferred_terms_of_their_own()
    {
        var args = new PluginArgs { IgnorePreferredTermsOfExistingPods = true };
        var existing = new[] { Pod("e", "app=web", node: "n1", affinity: Preferred([Weighted(10, Term(Hostname, "app", "web"))])) };

        Assert.True(Run(Pod("plain", "app=web"), existing, args).PreScore.IsSkip);
        Assert.Equal([10L, 0L, 0L, 0L], Run(Pod("plain", "app=web"), existing).Raw);

        // Upstream ignores existing pods' terms only for a pod with no preferred terms: one with its own is scored by
        // both, as without the option (e's +10 on n1 beside its own +2 on zone z1).
        var own = Pod("own", "app=web", affinity: Preferred([Weighted(2, Term(Zone, "app", "web"))]));
        Assert.Equal([12L, 2L, 0L, 0L], Run(own, existing, args).Raw);
        Assert.Equal([12L, 2L, 0L, 0L], Run(own, existing).Raw);
    }

    [Fact]
    public void A_pod_without_terms_beside_pods_without_affinity_skips_scoring()
    {
        Assert.True(Run(Pod("p", "app=web"), [Pod("e", "app=web", node: "n1")]).PreScore.IsSkip);
    }
}
