using k8s.Models;
using Kubesharp.Controllers.NodeLifecycle;

namespace Kubesharp.Controllers.Tests.NodeLifecycle;

/// <summary>The taints the lifecycle controller manages: NoExecute ones by the Ready condition, at each zone's rate; NoSchedule ones by upstream's table.</summary>
public sealed class NodeTaintingTests
{
    private const string Unreachable = "node.kubernetes.io/unreachable:NoExecute";
    private const string NotReady = "node.kubernetes.io/not-ready:NoExecute";

    [Theory]
    [InlineData("not ready, untainted: queued, then tainted not-ready", "", "False", NotReady)]
    [InlineData("unknown, untainted: queued, then tainted unreachable", "", "Unknown", Unreachable)]
    [InlineData("not ready but unreachable: swapped", Unreachable, "False", NotReady)]
    [InlineData("unknown but not ready: swapped", NotReady, "Unknown", Unreachable)]
    [InlineData("ready again: unreachable removed", Unreachable, "True", "")]
    [InlineData("ready again: not-ready removed", NotReady, "True", "")]
    [InlineData("ready and untainted: nothing", "", "True", "")]
    public async Task NoExecute_taints_follow_the_ready_condition(string name, string taintBefore, string ready, string taintAfter)
    {
        Assert.NotEmpty(name);
        using var h = new NodeLifecycleHarness();
        h.Cluster.AddNode("n1", zone: "a");
        h.Cluster.AddNode("steady", zone: "a");
        await h.PassAsync();
        if (taintBefore.Length > 0)
        {
            var node = h.Cluster.Node("n1");
            node.Spec.Taints = [Taint(taintBefore)];
            h.Cluster.Update(node);
        }

        h.Cluster.PostStatus("n1", ready);
        h.Cluster.PostStatus("steady", "True");
        await h.PassAsync();

        Assert.Equal(taintAfter.Length == 0 ? [] : [taintAfter], h.Taints("n1"));
        Assert.Empty(h.Taints("steady"));
    }

    [Fact]
    public async Task A_silent_node_is_tainted_unreachable_on_the_pass_after_it_went_unknown_and_untainted_when_it_comes_back()
    {
        using var h = new NodeLifecycleHarness();
        h.Cluster.AddNode("lost");
        h.Cluster.AddNode("steady");
        await h.PassAsync();
        h.Advance(41);
        h.Cluster.RenewLease("steady");

        await h.PassAsync();
        Assert.Equal("Unknown", h.Condition("lost", "Ready")!.Status);
        Assert.Empty(h.Taints("lost"));

        h.Advance(5);
        await h.PassAsync();
        var taint = Assert.Single(h.Cluster.Node("lost").Spec.Taints);
        Assert.Equal((NodeTaints.Unreachable, "NoExecute"), (taint.Key, taint.Effect));
        Assert.Equal(h.Cluster.Clock.GetUtcNow(), Kubesharp.Controllers.Common.MetaTime.Utc(taint.TimeAdded!.Value));

        h.Advance(5);
        h.Cluster.PostStatus("lost", "True");
        await h.PassAsync();
        Assert.Empty(h.Taints("lost"));
    }

    [Fact]
    public async Task Taints_come_at_the_zones_eviction_rate()
    {
        using var h = new NodeLifecycleHarness();
        foreach (var name in new[] { "n1", "n2", "n3", "n4" })
        {
            h.Cluster.AddNode(name, zone: "a");
        }

        await h.PassAsync();
        h.Cluster.PostStatus("n1", "False");
        h.Cluster.PostStatus("n2", "False");
        await h.PassAsync();

        // Burst 1 at 0.1 per second: one now, the next ten seconds later.
        Assert.Single(new[] { "n1", "n2" }, n => h.Taints(n).Any());
        h.Advance(9);
        await h.TaintPassAsync();
        Assert.Single(new[] { "n1", "n2" }, n => h.Taints(n).Any());
        h.Advance(1);
        await h.TaintPassAsync();
        Assert.All(new[] { "n1", "n2" }, n => Assert.Equal([NotReady], h.Taints(n)));
        Assert.Equal(ZoneState.Normal, h.Lifecycle.ZoneStates.Single().Value);
    }

    [Fact]
    public async Task A_partially_disrupted_small_zone_stops_tainting()
    {
        using var h = new NodeLifecycleHarness();
        foreach (var name in new[] { "n1", "n2", "n3", "n4" })
        {
            h.Cluster.AddNode(name, zone: "a");
        }

        await h.PassAsync();
        foreach (var name in new[] { "n1", "n2", "n3" })
        {
            h.Cluster.PostStatus(name, "False");
        }

        for (var i = 0; i < 6; i++)
        {
            await h.PassAsync();
            h.Advance(10);
            foreach (var name in new[] { "n1", "n2", "n3", "n4" })
            {
                h.Cluster.RenewLease(name);
            }
        }

        Assert.Equal(ZoneState.PartialDisruption, h.Lifecycle.ZoneStates.Single().Value);
        Assert.All(new[] { "n1", "n2", "n3", "n4" }, n => Assert.Empty(h.Taints(n)));
    }

    [Fact]
    public async Task A_zone_down_alone_is_tainted_but_all_zones_down_means_no_taints_until_one_node_is_back()
    {
        using var h = new NodeLifecycleHarness();
        h.Cluster.AddNode("a1", zone: "a");
        h.Cluster.AddNode("b1", zone: "b");
        await h.PassAsync();

        h.Cluster.PostStatus("a1", "False");
        h.Cluster.PostStatus("b1", "True");
        await h.PassAsync();
        Assert.Equal([NotReady], h.Taints("a1"));
        Assert.Equal(ZoneState.FullDisruption, h.Lifecycle.ZoneStates.Single(z => z.Key.EndsWith(":a", StringComparison.Ordinal)).Value);

        // Every zone down: the control plane is more likely cut off than every node dead. Taints go, none come.
        h.Cluster.PostStatus("b1", "False");
        h.Advance(5);
        await h.PassAsync();
        h.Advance(30);
        await h.PassAsync();
        Assert.Empty(h.Taints("a1"));
        Assert.Empty(h.Taints("b1"));
        Assert.All(h.Lifecycle.ZoneStates.Values, s => Assert.Equal(ZoneState.FullDisruption, s));

        // One node back: zone b is normal again, and zone a (down alone now) is tainted at the normal rate, its
        // bucket starting empty (upstream drains the new limiter when the old one had no token).
        h.Cluster.PostStatus("b1", "True");
        h.Advance(5);
        await h.PassAsync();
        Assert.Empty(h.Taints("a1"));
        h.Advance(10);
        await h.PassAsync();
        Assert.Equal([NotReady], h.Taints("a1"));
        Assert.Empty(h.Taints("b1"));
    }

    [Fact]
    public async Task A_taint_write_that_loses_a_race_is_retried_on_a_fresh_read()
    {
        using var h = new NodeLifecycleHarness();
        h.Cluster.AddNode("n1");
        h.Cluster.AddNode("n2");
        await h.PassAsync();
        h.Cluster.PostStatus("n1", "False");
        h.Cluster.TaintConflicts = 2;

        await h.PassAsync();

        Assert.Equal([NotReady], h.Taints("n1"));
        Assert.Equal(2, h.Cluster.Calls.Count(c => c == "get node n1"));
    }

    [Theory]
    [InlineData("ready and healthy", "Ready=True", false, "", "")]
    [InlineData("not ready", "Ready=False", false, "", "node.kubernetes.io/not-ready")]
    [InlineData("unknown", "Ready=Unknown", false, "", "node.kubernetes.io/unreachable")]
    [InlineData("memory pressure", "Ready=True,MemoryPressure=True", false, "", "node.kubernetes.io/memory-pressure")]
    [InlineData("disk pressure", "Ready=True,DiskPressure=True", false, "", "node.kubernetes.io/disk-pressure")]
    [InlineData("pid pressure", "Ready=True,PIDPressure=True", false, "", "node.kubernetes.io/pid-pressure")]
    [InlineData("network unavailable", "Ready=True,NetworkUnavailable=True", false, "", "node.kubernetes.io/network-unavailable")]
    [InlineData("pressure gone", "Ready=True,MemoryPressure=False", false, "node.kubernetes.io/memory-pressure", "")]
    [InlineData("cordoned", "Ready=True", true, "", "node.kubernetes.io/unschedulable")]
    [InlineData("uncordoned", "Ready=True", false, "node.kubernetes.io/unschedulable", "")]
    [InlineData("a user's NoSchedule taint is left alone", "Ready=True", false, "example.com/gpu", "example.com/gpu")]
    [InlineData("not ready and under disk pressure", "Ready=False,DiskPressure=True", false, "node.kubernetes.io/unreachable", "node.kubernetes.io/not-ready,node.kubernetes.io/disk-pressure")]
    public async Task NoSchedule_taints_mirror_conditions_and_unschedulable(string name, string conditions, bool unschedulable, string before, string after)
    {
        Assert.NotEmpty(name);
        using var h = new NodeLifecycleHarness();
        var node = h.Cluster.AddNode("n1", ready: null);
        node.Status.Conditions = [.. conditions.Split(',').Select(c => c.Split('=')).Select(p => new V1NodeCondition { Type = p[0], Status = p[1] })];
        node.Spec.Unschedulable = unschedulable;
        node.Spec.Taints = before.Length == 0 ? null : [.. before.Split(',').Select(k => new V1Taint { Key = k, Effect = "NoSchedule" })];
        h.Cluster.Update(node);

        await h.NodePassAsync("n1");

        Assert.Equal(after.Length == 0 ? [] : after.Split(',').Select(k => k + ":NoSchedule").Order(StringComparer.Ordinal), h.Taints("n1").Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task The_beta_os_and_arch_labels_follow_the_stable_ones()
    {
        using var h = new NodeLifecycleHarness();
        var node = h.Cluster.AddNode("n1");
        node.Metadata.Labels = new Dictionary<string, string> { ["kubernetes.io/os"] = "linux", ["kubernetes.io/arch"] = "arm64", ["beta.kubernetes.io/arch"] = "amd64" };
        h.Cluster.Update(node);

        await h.NodePassAsync("n1");
        await h.NodePassAsync("n1");

        Assert.Equal(["label node n1: beta.kubernetes.io/os=linux,beta.kubernetes.io/arch=arm64"], h.Cluster.Calls);
    }

    [Theory]
    [InlineData(3, 0, ZoneState.Normal)]
    [InlineData(0, 1, ZoneState.FullDisruption)]
    [InlineData(1, 2, ZoneState.Normal)]
    [InlineData(2, 3, ZoneState.PartialDisruption)]
    [InlineData(3, 3, ZoneState.Normal)]
    [InlineData(0, 0, ZoneState.Normal)]
    public void Zone_state_is_computed_as_upstream(int ready, int notReady, ZoneState expected)
    {
        using var h = new NodeLifecycleHarness();
        var conditions = Enumerable.Repeat<V1NodeCondition?>(new V1NodeCondition { Type = "Ready", Status = "True" }, ready)
            .Concat(Enumerable.Repeat<V1NodeCondition?>(null, notReady))
            .ToList();

        Assert.Equal((notReady, expected), h.Lifecycle.ComputeZoneState(conditions));
    }

    [Theory]
    [InlineData(null, null, "")]
    [InlineData("z1", null, ":\0:z1")]
    [InlineData(null, "r1", "r1:\0:")]
    [InlineData("z1", "r1", "r1:\0:z1")]
    public void Zone_keys_are_region_and_zone(string? zone, string? region, string expected)
    {
        var labels = new Dictionary<string, string>();
        if (zone is not null)
        {
            labels[NodeTopology.Zone] = zone;
        }

        if (region is not null)
        {
            labels[NodeTopology.Region] = region;
        }

        Assert.Equal(expected, NodeTopology.ZoneKey(new V1Node { Metadata = new V1ObjectMeta { Labels = labels } }));
    }

    private static V1Taint Taint(string text)
    {
        var parts = text.Split(':');
        return new V1Taint { Key = parts[0], Effect = parts[1] };
    }
}
