using k8s.Models;
using Kubesharp.Scheduler.Framework;
using Kubesharp.Scheduler.Plugins.ImageLocality;
using Kubesharp.Scheduler.Plugins.NodeAffinity;
using Kubesharp.Scheduler.Plugins.NodeResourcesBalancedAllocation;
using Kubesharp.Scheduler.Plugins.NodeResourcesFit;
using Kubesharp.Scheduler.Plugins.TaintToleration;

namespace Kubesharp.Scheduler.Tests.Plugins;

public sealed class ScorePluginTests
{
    private static long Score(IScorePlugin plugin, V1Pod pod, NodeInfo node)
    {
        var state = new CycleState();
        var info = PodInfo.Of(pod);
        if (plugin is IPreScorePlugin pre)
        {
            pre.PreScore(state, info, [node]);
        }

        return plugin.Score(state, info, node);
    }

    [Theory]
    [InlineData(ScoringStrategyType.LeastAllocated, 62)]
    [InlineData(ScoringStrategyType.MostAllocated, 37)]
    [InlineData(ScoringStrategyType.RequestedToCapacityRatio, 63)]
    public void NodeResourcesFit_scores_by_its_strategy(ScoringStrategyType strategy, long expected)
    {
        // 4 cpu / 8Gi; with the pod: 1.5 cpu (37.5%) and 3Gi (37.5%) requested.
        var node = Make.Info(Make.Node("n1"), Make.Pod("running", "1", "2Gi", node: "n1"));

        var score = Score(new NodeResourcesFit(new NodeResourcesFitArgs { Strategy = strategy }), Make.Pod("p", "500m", "1Gi"), node);

        Assert.Equal(expected, score);
    }

    [Theory]
    [InlineData(0, 100)]
    [InlineData(50, 50)]
    [InlineData(100, 0)]
    [InlineData(25, 75)]
    public void RequestedToCapacityRatio_follows_its_shape_scaled_to_100(long utilization, long score)
    {
        Assert.Equal(score, ResourceScoring.Shape([new(0, 10), new(100, 0)], utilization));
    }

    [Fact]
    public void Unrequested_resources_score_with_upstreams_defaults()
    {
        // A best-effort pod counts as 100m and 200 MB: (4000-100)/4000 → 97, (8Gi-200Mi)/8Gi → 97.
        Assert.Equal(97, Score(new NodeResourcesFit(), Make.Pod("p"), Make.Info(Make.Node("n1"))));
    }

    [Fact]
    public void BalancedAllocation_prefers_equal_fractions_and_skips_best_effort_pods()
    {
        var plugin = new NodeResourcesBalancedAllocation();
        Assert.Equal(100, Score(plugin, Make.Pod("even", "2", "4Gi"), Make.Info(Make.Node("n1"))));
        Assert.Equal(75, Score(plugin, Make.Pod("skewed", "2", "0"), Make.Info(Make.Node("n1"))));
        Assert.True(plugin.PreScore(new CycleState(), PodInfo.Of(Make.Pod("none")), []).IsSkip);
    }

    [Fact]
    public void TaintToleration_counts_untolerated_PreferNoSchedule_taints_and_reverses()
    {
        var plugin = new TaintToleration();
        var clean = Make.Info(Make.Node("a"));
        var soft = Make.Info(Make.Node("b", taints: [new V1Taint { Key = "x", Effect = "PreferNoSchedule" }, new V1Taint { Key = "y", Effect = "PreferNoSchedule" }]));
        var pod = Make.Pod("p");
        Span<long> scores = [Score(plugin, pod, clean), Score(plugin, pod, soft)];

        plugin.NormalizeScores(new CycleState(), PodInfo.Of(pod), scores);

        Assert.Equal([100L, 0L], scores.ToArray());
    }

    [Fact]
    public void NodeAffinity_adds_the_weights_of_matching_preferred_terms()
    {
        var pod = Make.Pod("p", spec: s => s.Affinity = new V1Affinity
        {
            NodeAffinity = new V1NodeAffinity
            {
                PreferredDuringSchedulingIgnoredDuringExecution =
                [
                    new V1PreferredSchedulingTerm { Weight = 10, Preference = new V1NodeSelectorTerm { MatchExpressions = [new V1NodeSelectorRequirement { Key = "zone", OperatorProperty = "In", Values = ["a"] }] } },
                    new V1PreferredSchedulingTerm { Weight = 5, Preference = new V1NodeSelectorTerm { MatchExpressions = [new V1NodeSelectorRequirement { Key = "ssd", OperatorProperty = "Exists" }] } },
                ],
            },
        });
        var plugin = new NodeAffinity();
        var both = Make.Info(Make.Node("a", labels: new Dictionary<string, string> { ["zone"] = "a", ["ssd"] = "" }));
        var one = Make.Info(Make.Node("b", labels: new Dictionary<string, string> { ["ssd"] = "" }));
        Span<long> scores = [Score(plugin, pod, both), Score(plugin, pod, one)];

        plugin.NormalizeScores(new CycleState(), PodInfo.Of(pod), scores);

        Assert.Equal([100L, 33L], scores.ToArray());
    }

    [Fact]
    public void ImageLocality_scores_present_images_by_size_and_spread()
    {
        var plugin = new ImageLocality();
        var node = Make.Info(Make.Node("n1"));
        node.SetImageStates(new Dictionary<string, ImageState> { ["busybox:1.35"] = new(500L * 1024 * 1024, 2) });
        var state = new CycleState();
        ImageLocality.SetTotalNodes(state, 2);
        var pod = PodInfo.Of(Make.Pod("p"));
        plugin.PreScore(state, pod, [node]);

        // (500 MB × 2/2 − 23 MB) × 100 / (1000 MB − 23 MB) = 48.
        Assert.Equal(48, plugin.Score(state, pod, node));
        Assert.Equal("nginx:latest", ImageLocality.Normalize("nginx"));
        Assert.Equal("localhost:5000/nginx:latest", ImageLocality.Normalize("localhost:5000/nginx"));
        Assert.Equal("nginx:1.2", ImageLocality.Normalize("nginx:1.2"));
    }
}
