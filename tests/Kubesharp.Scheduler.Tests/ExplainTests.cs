using k8s.Models;
using Kubesharp.Scheduler.Explain;
using Kubesharp.Scheduler.Framework;

namespace Kubesharp.Scheduler.Tests;

public sealed class ExplainTests
{
    private static readonly Profile Profile = DefaultProfiles.Create(Offline.Client);

    [Fact]
    public void Every_rejecting_filter_of_every_node_is_shown_and_the_feasible_nodes_are_scored_per_plugin()
    {
        V1Node[] nodes =
        [
            Make.Node("busy", cpu: "2"),
            Make.Node("tainted-small", cpu: "1", taints: [new V1Taint { Key = "dedicated", Value = "db", Effect = "NoSchedule" }]),
            Make.Node("idle"),
            Make.Node("half"),
        ];
        V1Pod[] pods = [Make.Pod("hog", "2", node: "busy"), Make.Pod("some", "2", "4Gi", node: "half")];

        var explanation = PlacementExplainer.Explain(Profile, nodes, pods, Make.Pod("p", "1500m", "1Gi"));

        var small = explanation.Nodes.Single(n => n.Node == "tainted-small");
        Assert.Equal(["TaintToleration", "NodeResourcesFit"], small.Rejections.Select(r => r.Plugin));
        Assert.Equal(["node(s) had untolerated taint {dedicated: db}"], small.Rejections[0].Reasons);
        Assert.Equal(["Insufficient cpu"], explanation.Nodes.Single(n => n.Node == "busy").Rejections.Single().Reasons);
        var idle = explanation.Nodes.Single(n => n.Node == "idle");
        var half = explanation.Nodes.Single(n => n.Node == "half");
        Assert.True(idle.Total > half.Total);
        Assert.Equal(idle.Total, idle.WeightedScores!.Values.Sum());
        // TaintToleration scores with weight 3 (both nodes untainted: 100 each).
        Assert.Equal(300, idle.WeightedScores["TaintToleration"]);
        Assert.Equal(["idle"], explanation.Best);
        Assert.Null(explanation.FitErrorMessage);

        var text = PlacementExplainer.Format(explanation);
        Assert.StartsWith("idle           feasible  score 461 (best): TaintToleration 300, ", text.Split('\n')[2], StringComparison.Ordinal);
        Assert.Contains("tainted-small  rejected  TaintToleration: node(s) had untolerated taint {dedicated: db} (preemption cannot help); NodeResourcesFit: Insufficient cpu (preemption cannot help)", text, StringComparison.Ordinal);
        Assert.Contains("Best node now: idle.", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bound_pod_is_replayed_off_its_node_and_a_pod_that_fits_nowhere_gets_the_schedulers_message()
    {
        var bound = Make.Pod("p", "3", node: "a");
        var explanation = PlacementExplainer.Explain(Profile, [Make.Node("a"), Make.Node("b", cpu: "2")], [bound], bound);
        Assert.Equal("a", explanation.BoundTo);
        Assert.Equal(["a"], explanation.Best);

        var nowhere = PlacementExplainer.Explain(Profile, [Make.Node("a", cpu: "1"), Make.Node("b", cpu: "1")], [], Make.Pod("big", "2", spec: s => s.NodeSelector = new Dictionary<string, string> { ["disk"] = "ssd" }));
        Assert.Empty(nowhere.Best);
        Assert.All(nowhere.Nodes, n => Assert.Equal(["NodeAffinity", "NodeResourcesFit"], n.Rejections.Select(r => r.Plugin)));
        Assert.Equal("0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector.", nowhere.FitErrorMessage);
        Assert.Contains("(preemption cannot help)", PlacementExplainer.Format(nowhere), StringComparison.Ordinal);

        Assert.Equal(FitError.NoNodesAvailable, PlacementExplainer.Explain(Profile, [], [], Make.Pod("x")).FitErrorMessage);
    }
}
