using k8s.Models;
using Kubesharp.Controllers.PodGc;
using Kubesharp.Controllers.Tests.Fakes;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.Controllers.Tests.PodGc;

public sealed class PodGcControllerTests
{
    private static readonly CoreControllerOptions Options = new() { PodGcQuarantine = TimeSpan.FromSeconds(40), PodGcPeriod = TimeSpan.FromSeconds(20), TerminatedPodGcThreshold = 12500 };

    private static async Task<(FakeCluster Cluster, FakePodGcApi Api, PodGcController Controller)> StartAsync(CoreControllerOptions options, Action<FakeCluster> seed)
    {
        var cluster = new FakeCluster();
        var api = new FakePodGcApi();
        var controller = new PodGcController(cluster.Informers, api, options, cluster.Clock, NullLoggerFactory.Instance);
        seed(cluster);
        await cluster.StartAsync();
        return (cluster, api, controller);
    }

    [Fact]
    public async Task Pods_of_a_missing_node_go_only_after_the_quarantine_and_a_live_check()
    {
        var (cluster, api, controller) = await StartAsync(Options, c =>
        {
            c.Seed(Objects.Node("present"));
            c.Seed(Objects.Pod("on-ghost", node: "ghost"), Objects.Pod("on-present", node: "present"), Objects.Pod("on-late", node: "late"));
        });
        await using var _ = cluster;
        using var __ = controller;
        api.ExistingNodes.Add("late"); // registered, but not in the cache yet

        var first = await controller.SyncAsync(CancellationToken.None);
        cluster.Clock.Advance(TimeSpan.FromSeconds(39));
        await controller.SyncAsync(CancellationToken.None);
        Assert.Empty(api.Calls);
        Assert.Equal(TimeSpan.FromSeconds(20), first.Requeue);
        Assert.Equal(2, controller.Quarantined);

        cluster.Clock.Advance(TimeSpan.FromSeconds(1));
        await controller.SyncAsync(CancellationToken.None);

        // Both nodes are checked live; only the one really gone loses its pod, marked Failed before the delete.
        Assert.Equal(["delete on-ghost", "fail on-ghost", "get node ghost", "get node late"], api.Calls.Order(StringComparer.Ordinal));
        Assert.Equal(["fail on-ghost", "delete on-ghost"], api.Calls.Where(c => !c.StartsWith("get", StringComparison.Ordinal)));
        var condition = Assert.Single(api.Conditions);
        Assert.Equal(("DisruptionTarget", "True", "DeletionByPodGC", "PodGC: node no longer exists"), (condition!.Type, condition.Status, condition.Reason, condition.Message));
    }

    [Fact]
    public async Task The_next_look_comes_when_the_earliest_quarantine_ends()
    {
        var (cluster, _, controller) = await StartAsync(Options with { PodGcPeriod = TimeSpan.FromMinutes(5) }, c => c.Seed(Objects.Pod("p", node: "ghost")));
        await using var __ = cluster;
        using var ___ = controller;

        await controller.SyncAsync(CancellationToken.None);
        cluster.Clock.Advance(TimeSpan.FromSeconds(15));
        var result = await controller.SyncAsync(CancellationToken.None);

        Assert.Equal(TimeSpan.FromSeconds(25), result.Requeue);
    }

    [Fact]
    public async Task Terminated_pods_beyond_the_threshold_go_evicted_first_then_oldest()
    {
        var day = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var (cluster, api, controller) = await StartAsync(Options with { TerminatedPodGcThreshold = 2 }, c => c.Seed(
            Objects.Pod("new-ok", phase: "Succeeded", created: day.AddHours(3)),
            Objects.Pod("old-ok", phase: "Succeeded", created: day),
            Objects.Pod("evicted", phase: "Failed", created: day.AddHours(5), reason: "Evicted"),
            Objects.Pod("mid-failed", phase: "Failed", created: day.AddHours(1)),
            Objects.Pod("running", phase: "Running", created: day.AddHours(-1))));
        await using var _ = cluster;
        using var __ = controller;

        await controller.SyncAsync(CancellationToken.None);

        // Terminal already: deleted without a status change.
        Assert.Equal(["delete evicted", "delete old-ok"], api.Calls);
    }

    [Fact]
    public async Task Terminating_pods_on_an_out_of_service_node_and_unscheduled_terminating_pods_are_force_deleted()
    {
        var now = DateTime.UtcNow;
        var (cluster, api, controller) = await StartAsync(Options, c =>
        {
            c.Seed(Objects.Node("broken", ready: false, new V1Taint { Key = PodGcController.OutOfServiceTaint, Effect = "NoExecute" }), Objects.Node("healthy"), Objects.Node("down", ready: false));
            c.Seed(
                Objects.Pod("stuck", node: "broken", deleted: now),
                Objects.Pod("fine", node: "broken"),
                Objects.Pod("graceful", node: "healthy", deleted: now),
                Objects.Pod("waiting", node: "down", deleted: now),
                Objects.Pod("never-scheduled", deleted: now, phase: "Pending"));
        });
        await using var _ = cluster;
        using var __ = controller;

        await controller.SyncAsync(CancellationToken.None);

        Assert.Equal(["fail stuck", "delete stuck", "fail never-scheduled", "delete never-scheduled"], api.Calls);
    }

    [Theory]
    [InlineData("Pending", false)]
    [InlineData("Running", false)]
    [InlineData("Unknown", false)]
    [InlineData("Succeeded", true)]
    [InlineData("Failed", true)]
    [InlineData("", true)]
    public void Terminated_means_any_phase_but_pending_running_and_unknown(string phase, bool terminated) =>
        Assert.Equal(terminated, PodGcController.IsTerminated(Objects.Pod("p", phase: phase)));
}
