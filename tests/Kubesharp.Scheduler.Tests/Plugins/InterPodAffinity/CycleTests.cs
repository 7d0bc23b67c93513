using k8s.Models;
using Kubesharp.Scheduler.Framework;
using static Kubesharp.Scheduler.Tests.Plugins.InterPodAffinity.Affinity;

namespace Kubesharp.Scheduler.Tests.Plugins.InterPodAffinity;

/// <summary>Whole scheduling cycles with the default profile, as <c>SchedulerCycleTests</c> runs them.</summary>
public sealed class CycleTests
{
    private static Scheduler NewScheduler()
    {
        var scheduler = Offline.NewScheduler();
        foreach (var name in new[] { "a", "b", "c" })
        {
            scheduler.Cache.AddOrUpdateNode(Make.Node(name));
        }

        return scheduler;
    }

    private static ScheduleResult Schedule(Scheduler scheduler, V1Pod pod)
    {
        var result = Offline.Schedule(scheduler, pod);
        var info = PodInfo.Of(pod);
        if (result.Node is not null)
        {
            scheduler.Cache.AssumePod(info, result.Node);
        }

        return result;
    }

    private static V1Pod Replica(string name) => Pod(name, "app=web", affinity: Required(anti: [Term(Hostname, "app", "web")]));

    [Fact]
    public void Replicas_with_hostname_anti_affinity_take_one_node_each_and_a_fourth_has_nowhere_to_go()
    {
        using var scheduler = NewScheduler();

        var placed = new[] { "web-0", "web-1", "web-2" }.Select(n => Schedule(scheduler, Replica(n)).Node).ToList();
        var fourth = Schedule(scheduler, Replica("web-3"));

        Assert.Equal(["a", "b", "c"], placed.Order());
        Assert.Null(fourth.Node);
        Assert.Equal("0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules.", fourth.FitError!.Message());
    }

    [Fact]
    public void A_pod_without_terms_is_kept_out_by_the_replicas_anti_affinity()
    {
        using var scheduler = NewScheduler();
        foreach (var name in new[] { "web-0", "web-1", "web-2" })
        {
            Assert.NotNull(Schedule(scheduler, Replica(name)).Node);
        }

        var plain = Schedule(scheduler, Pod("plain", "app=web"));

        Assert.Equal("0/3 nodes are available: 3 node(s) didn't satisfy existing pods anti-affinity rules.", plain.FitError!.Message());
        Assert.NotNull(Schedule(scheduler, Pod("other", "app=db")).Node);
    }

    [Fact]
    public void Preferred_affinity_wins_over_an_idler_node()
    {
        using var scheduler = NewScheduler();
        scheduler.Cache.AddOrUpdatePod(Pod("cache", "app=cache", node: "b"));
        scheduler.Cache.AddOrUpdatePod(Make.Pod("busy", "1", "1Gi", node: "b"));

        var pod = Pod("web", affinity: Preferred([Weighted(100, Term(Hostname, "app", "cache"))]));

        Assert.Equal("b", Schedule(scheduler, pod).Node);
    }
}
