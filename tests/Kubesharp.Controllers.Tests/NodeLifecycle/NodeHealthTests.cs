using Kubesharp.Controllers.NodeLifecycle;

namespace Kubesharp.Controllers.Tests.NodeLifecycle;

/// <summary>Heartbeats, grace periods and the conditions the monitor writes (upstream's tryUpdateNodeHealth and monitorNodeHealth).</summary>
public sealed class NodeHealthTests
{
    public enum Heartbeat
    {
        None,
        Lease,
        Status,
    }

    /// <summary>Monitor passes every 5 s from the node's creation up to <paramref name="seconds"/>; the kubelet beats every 10 s as told.</summary>
    [Theory]
    [InlineData("lease renewals keep a ready node ready", "True", Heartbeat.Lease, 120, "True", "KubeletReady")]
    [InlineData("status heartbeats keep a ready node ready", "True", Heartbeat.Status, 120, "True", "KubeletReady")]
    [InlineData("silent for exactly the grace period: still ready", "True", Heartbeat.None, 40, "True", "KubeletReady")]
    [InlineData("silent past the grace period: unknown", "True", Heartbeat.None, 45, "Unknown", "NodeStatusUnknown")]
    [InlineData("a not-ready node that goes silent: unknown too", "False", Heartbeat.None, 45, "Unknown", "NodeStatusUnknown")]
    [InlineData("never posted, within the startup grace period", null, Heartbeat.None, 60, null, null)]
    [InlineData("never posted, past the startup grace period", null, Heartbeat.None, 65, "Unknown", "NodeStatusNeverUpdated")]
    [InlineData("never posted but renewing its lease: left alone", null, Heartbeat.Lease, 120, null, null)]
    public async Task A_node_is_judged_by_its_latest_heartbeat(string name, string? ready, Heartbeat heartbeat, int seconds, string? status, string? reason)
    {
        Assert.NotEmpty(name);
        using var h = new NodeLifecycleHarness();
        h.Cluster.AddNode("n1", ready);
        await h.MonitorAsync();
        for (var t = 5; t <= seconds; t += 5)
        {
            h.Advance(5);
            if (t % 10 == 0)
            {
                Beat(h, heartbeat, ready);
            }

            await h.MonitorAsync();
        }

        var condition = h.Condition("n1", "Ready");
        Assert.Equal((status, reason), (condition?.Status, condition?.Reason));
    }

    [Fact]
    public async Task A_silent_node_gets_all_four_conditions_unknown_with_upstreams_reasons_and_messages()
    {
        using var h = new NodeLifecycleHarness();
        var created = h.Cluster.AddNode("n1").Metadata.CreationTimestamp;
        h.Cluster.SetCondition("n1", "MemoryPressure", "False");
        await h.MonitorAsync();
        h.Advance(41);

        await h.MonitorAsync();

        var conditions = h.Cluster.Node("n1").Status.Conditions.ToDictionary(c => c.Type);
        Assert.Equal(("Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status."), (conditions["Ready"].Status, conditions["Ready"].Reason, conditions["Ready"].Message));
        Assert.Equal(("Unknown", "NodeStatusUnknown"), (conditions["MemoryPressure"].Status, conditions["MemoryPressure"].Reason));
        foreach (var type in new[] { "DiskPressure", "PIDPressure" })
        {
            Assert.Equal(("Unknown", "NodeStatusNeverUpdated", "Kubelet never posted node status."), (conditions[type].Status, conditions[type].Reason, conditions[type].Message));
            Assert.Equal(created, conditions[type].LastHeartbeatTime);
        }

        Assert.Equal(h.Cluster.Clock.GetUtcNow(), Kubesharp.Controllers.Common.MetaTime.Utc(conditions["Ready"].LastTransitionTime!.Value));
        Assert.False(conditions.ContainsKey("NetworkUnavailable"));
        Assert.Single(h.Cluster.Calls, c => c == "update node status n1");

        // Written once: the next pass sees the conditions already Unknown.
        h.Advance(5);
        await h.MonitorAsync();
        Assert.Single(h.Cluster.Calls, c => c == "update node status n1");
    }

    [Fact]
    public async Task A_node_turning_not_ready_gets_one_event_and_its_pods_are_marked_not_ready()
    {
        using var h = new NodeLifecycleHarness();
        h.Cluster.AddNode("lost");
        h.Cluster.AddNode("fine");
        h.Cluster.AddPod("p1", "lost");
        h.Cluster.AddPod("p2", "lost");
        h.Cluster.AddPod("elsewhere", "fine");
        await h.MonitorAsync();
        Assert.Equal(["Normal RegisteredNode Node lost event: Registered Node lost in Controller"], h.Events.On("lost"));
        h.Events.Clear();

        h.Advance(41);
        h.Cluster.RenewLease("fine");
        await h.MonitorAsync();
        h.Advance(5);
        await h.MonitorAsync();

        Assert.Equal(["Normal NodeNotReady Node lost status is now: NodeNotReady"], h.Events.On("lost"));
        foreach (var pod in new[] { "p1", "p2" })
        {
            var readyCondition = Assert.Single(h.Cluster.Pod(pod)!.Status.Conditions, c => c.Type == "Ready");
            Assert.Equal("False", readyCondition.Status);
            Assert.Equal(["Warning NodeNotReady Node is not ready"], h.Events.On(pod));
        }

        Assert.Equal("True", h.Cluster.Pod("elsewhere")!.Status.Conditions.Single().Status);
        Assert.Empty(h.Events.On("fine"));
    }

    [Fact]
    public async Task A_pod_bound_to_a_node_already_not_ready_is_marked_not_ready_when_it_arrives()
    {
        using var h = new NodeLifecycleHarness();
        h.Cluster.AddNode("down", ready: "False");
        await h.MonitorAsync();

        var pod = h.Cluster.AddPod("late", "down");
        await h.Lifecycle.SyncAsync(NodeLifecycleController.PodKey(pod), CancellationToken.None);

        Assert.Equal("False", h.Cluster.Pod("late")!.Status.Conditions.Single().Status);
        Assert.Equal(["Warning NodeNotReady Node is not ready"], h.Events.On("late"));
    }

    [Fact]
    public async Task A_deleted_node_is_reported_removed_and_forgotten()
    {
        using var h = new NodeLifecycleHarness();
        h.Cluster.AddNode("gone");
        await h.MonitorAsync();

        h.Cluster.Nodes.Delete("gone");
        await h.MonitorAsync();

        Assert.Equal(
            ["Normal RegisteredNode Node gone event: Registered Node gone in Controller", "Normal RemovingNode Node gone event: Removing Node gone from Controller"],
            h.Events.On("gone"));
        Assert.Null(h.Lifecycle.HealthOf("gone"));
    }

    [Fact]
    public async Task A_status_write_that_loses_a_race_is_retried_on_a_fresh_read()
    {
        using var h = new NodeLifecycleHarness();
        h.Cluster.AddNode("n1");
        await h.MonitorAsync();
        h.Advance(41);

        // The cache lags behind the server: the first write carries a stale resourceVersion.
        h.Cluster.StatusConflicts = 1;
        await h.MonitorAsync();

        Assert.Equal(["update node status n1", "get node n1", "update node status n1"], h.Cluster.Calls.Where(c => c.Contains("node status", StringComparison.Ordinal) || c.StartsWith("get", StringComparison.Ordinal)));
        Assert.Equal("Unknown", h.Condition("n1", "Ready")!.Status);
    }

    private static void Beat(NodeLifecycleHarness h, Heartbeat heartbeat, string? ready)
    {
        switch (heartbeat)
        {
            case Heartbeat.Lease:
                h.Cluster.RenewLease("n1");
                break;
            case Heartbeat.Status:
                h.Cluster.PostStatus("n1", ready ?? "True");
                break;
        }
    }
}
