using Kubesharp.Scheduler.Framework;

namespace Kubesharp.Scheduler.Tests;

public sealed class FitErrorTests
{
    [Fact]
    public void The_message_is_upstreams_sorted_histogram()
    {
        var diagnosis = new FilterDiagnosis();
        diagnosis.NodeToStatus["a"] = Status.Unschedulable("NodeResourcesFit", "Insufficient cpu");
        diagnosis.NodeToStatus["b"] = Status.Unschedulable("NodeResourcesFit", "Insufficient cpu", "Insufficient memory");
        diagnosis.NodeToStatus["c"] = Status.Unresolvable("TaintToleration", "node(s) had untolerated taint {a: b}");
        diagnosis.NodeToStatus["d"] = Status.Unresolvable("TaintToleration", "node(s) had untolerated taint {a: b}");
        diagnosis.NodeToStatus["e"] = Status.Unresolvable("TaintToleration", "node(s) had untolerated taint {a: b}");

        Assert.Equal(
            "0/5 nodes are available: 1 Insufficient memory, 2 Insufficient cpu, 3 node(s) had untolerated taint {a: b}.",
            new FitError(5, diagnosis).Message());

        diagnosis.PostFilterMessage = "preemption: 0/5 nodes are available: 5 Preemption is not helpful for scheduling.";
        Assert.EndsWith("{a: b}. preemption: 0/5 nodes are available: 5 Preemption is not helpful for scheduling..", new FitError(5, diagnosis).Message(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 5, 5)]
    [InlineData(0, 99, 99)]
    [InlineData(0, 100, 100)]
    [InlineData(0, 1000, 420)]
    [InlineData(0, 5000, 500)]
    [InlineData(0, 10000, 500)]
    [InlineData(10, 5000, 500)]
    [InlineData(100, 5000, 5000)]
    [InlineData(1, 500, 100)]
    public void NumFeasibleNodesToFind_is_upstreams_adaptive_share(int percentage, int nodes, int expected)
    {
        Assert.Equal(expected, Scheduler.NumFeasibleNodesToFind(percentage, nodes));
    }
}
