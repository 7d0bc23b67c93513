using k8s.Models;
using Kubesharp.Scheduler.Framework;

namespace Kubesharp.Scheduler.Tests;

public sealed class SchedulerCycleTests
{
    [Fact]
    public void The_least_allocated_fitting_node_wins()
    {
        using var scheduler = Offline.NewScheduler();
        scheduler.Cache.AddOrUpdateNode(Make.Node("busy"));
        scheduler.Cache.AddOrUpdateNode(Make.Node("idle"));
        scheduler.Cache.AddOrUpdateNode(Make.Node("small", cpu: "1"));
        scheduler.Cache.AddOrUpdatePod(Make.Pod("running", "2", "4Gi", node: "busy"));

        var result = Offline.Schedule(scheduler, Make.Pod("p", "1500m", "1Gi"));

        Assert.Equal(("idle", 3, 2), (result.Node, result.Evaluated, result.Feasible));
    }

    [Fact]
    public void An_assumed_pod_counts_against_its_node_until_forgotten()
    {
        using var scheduler = Offline.NewScheduler();
        scheduler.Cache.AddOrUpdateNode(Make.Node("n1", cpu: "2"));
        var first = PodInfo.Of(Make.Pod("first", "1500m"));
        scheduler.Cache.AssumePod(first, "n1");

        var second = Offline.Schedule(scheduler, Make.Pod("second", "1"));
        Assert.Null(second.Node);
        Assert.Equal("0/1 nodes are available: 1 Insufficient cpu.", second.FitError!.Message());

        scheduler.Cache.ForgetPod(first.Uid);
        Assert.Equal("n1", Offline.Schedule(scheduler, Make.Pod("third", "1")).Node);
    }

    [Fact]
    public void No_nodes_is_upstreams_error_and_every_rejection_is_counted_by_reason()
    {
        using var scheduler = Offline.NewScheduler();
        Assert.Equal(FitError.NoNodesAvailable, Offline.Schedule(scheduler, Make.Pod("p")).Error!.Message);

        scheduler.Cache.AddOrUpdateNode(Make.Node("a", cpu: "1"));
        scheduler.Cache.AddOrUpdateNode(Make.Node("b", cpu: "1"));
        scheduler.Cache.AddOrUpdateNode(Make.Node("c", taints: [new V1Taint { Key = "dedicated", Value = "db", Effect = "NoSchedule" }]));
        scheduler.Cache.AddOrUpdateNode(Make.Node("d", unschedulable: true));

        var result = Offline.Schedule(scheduler, Make.Pod("p", "2"));

        Assert.Equal("0/4 nodes are available: 1 node(s) had untolerated taint {dedicated: db}, 1 node(s) were unschedulable, 2 Insufficient cpu.", result.FitError!.Message());
    }

    [Fact]
    public void Ties_are_broken_by_the_seeded_random_and_replay_with_the_same_seed()
    {
        static string[] Placements(int seed)
        {
            using var scheduler = Offline.NewScheduler(seed);
            for (var i = 0; i < 8; i++)
            {
                scheduler.Cache.AddOrUpdateNode(Make.Node($"n{i}"));
            }

            return [.. Enumerable.Range(0, 20).Select(i => Offline.Schedule(scheduler, Make.Pod($"p{i}")).Node!)];
        }

        var a = Placements(7);

        Assert.Equal(a, Placements(7));
        Assert.True(a.Distinct().Count() > 1, "equal nodes should not all get the same pod: " + string.Join(",", a));
    }
}
