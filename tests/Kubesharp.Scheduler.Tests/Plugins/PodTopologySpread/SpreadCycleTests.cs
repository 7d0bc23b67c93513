using k8s.Models;
using Kubesharp.Scheduler.Framework;
using static Kubesharp.Scheduler.Tests.Plugins.PodTopologySpread.SpreadCluster;
using Plugin = Kubesharp.Scheduler.Plugins.PodTopologySpread.PodTopologySpread;

namespace Kubesharp.Scheduler.Tests.Plugins.PodTopologySpread;

/// <summary>Whole scheduling cycles with the default profile, as <see cref="SchedulerCycleTests"/> runs them.</summary>
public sealed class SpreadCycleTests
{
    private static V1Pod Web(int i)
    {
        var pod = Pod("app=web", Constraint(1, "topology.kubernetes.io/zone", Plugin.DoNotSchedule, new V1LabelSelector { MatchLabels = Labels("app=web") }));
        pod.Metadata.Name = $"web-{i}";
        pod.Metadata.Uid = $"uid-web-{i}";
        return pod;
    }

    [Fact]
    public void Six_pods_of_one_constraint_spread_two_per_zone()
    {
        using var scheduler = Offline.NewScheduler();
        var zoneOf = new Dictionary<string, string>();
        foreach (var zone in new[] { "z1", "z2", "z3" })
        {
            foreach (var n in new[] { "a", "b" })
            {
                var name = $"{zone}-{n}";
                zoneOf[name] = zone;
                scheduler.Cache.AddOrUpdateNode(Make.Node(name, labels: new Dictionary<string, string> { [Host] = name, ["topology.kubernetes.io/zone"] = zone }));
            }
        }

        // A bigger node in z1 would win every LeastAllocated tie: only the spread constraint keeps z1 at two.
        scheduler.Cache.AddOrUpdateNode(Make.Node("z1-big", cpu: "64", memory: "256Gi", labels: new Dictionary<string, string> { [Host] = "z1-big", ["topology.kubernetes.io/zone"] = "z1" }));
        zoneOf["z1-big"] = "z1";

        var placed = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            var pod = Web(i);
            var result = Offline.Schedule(scheduler, pod);
            Assert.True(result.Node is not null, $"web-{i}: {result.FitError?.Message() ?? result.Error?.ToString()}");
            scheduler.Cache.AssumePod(PodInfo.Of(pod), result.Node);
            placed.Add(zoneOf[result.Node]);
        }

        Assert.Equal([("z1", 2), ("z2", 2), ("z3", 2)], placed.GroupBy(z => z).Select(g => (g.Key, g.Count())).OrderBy(g => g.Key));
    }

    [Fact]
    public void Unsatisfiable_spread_is_reported_with_upstreams_reasons()
    {
        using var scheduler = Offline.NewScheduler();
        scheduler.Cache.AddOrUpdateNode(Make.Node("zoned", labels: new Dictionary<string, string> { [Host] = "zoned", ["topology.kubernetes.io/zone"] = "z1" }));
        scheduler.Cache.AddOrUpdateNode(Make.Node("unzoned"));
        scheduler.Cache.AddOrUpdatePod(Existing("w0@zoned app=web"));

        // One zone where two are wanted: the global minimum is 0, so a second pod in z1 would make a skew of 2.
        var pod = Pod("app=web", Constraint(1, "topology.kubernetes.io/zone", Plugin.DoNotSchedule, new V1LabelSelector { MatchLabels = Labels("app=web") }, minDomains: 2));

        var result = Offline.Schedule(scheduler, pod);

        Assert.Equal(
            "0/2 nodes are available: 1 node(s) didn't match pod topology spread constraints, 1 node(s) didn't match pod topology spread constraints (missing required label).",
            result.FitError!.Message());
    }
}
