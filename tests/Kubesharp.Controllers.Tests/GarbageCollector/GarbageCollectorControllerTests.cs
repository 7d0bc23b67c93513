using System.Collections.Concurrent;
using k8s.Models;
using Kubesharp.Controllers.Dynamic;
using Kubesharp.Controllers.GarbageCollector;
using Kubesharp.Controllers.Tests.Fakes;
using Kubesharp.Testing.Client;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.Controllers.Tests.GarbageCollector;

/// <summary>The collector as a whole on fakes: discovery, its own monitors, the graph they feed, the workers.</summary>
public sealed class GarbageCollectorControllerTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private readonly FakeClock _clock = new();
    private readonly FakeDynamicApi _api = new();
    private readonly ConcurrentDictionary<string, FakeListWatch<PartialObject>> _watches = new();

    private GarbageCollectorController NewController() => new(
        resource =>
        {
            var fake = new FakeListWatch<PartialObject>();
            fake.AddList("1", [.. _api.ListAsync(resource, null, CancellationToken.None).Result]);
            _watches[resource.GroupResource] = fake;
            return fake.ListWatch;
        },
        _api,
        new CoreControllerOptions { GarbageCollectorDiscoveryPeriod = TimeSpan.FromSeconds(30) },
        _clock,
        NullLoggerFactory.Instance);

    private static async Task WaitForAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Bound;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for " + what);
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task Monitors_feed_the_graph_and_the_workers_collect_a_dependent_of_a_missing_owner()
    {
        _api.Add(FakeDynamicApi.ConfigMaps, "team", "child", owners: [new V1OwnerReference { ApiVersion = "v1", Kind = "ConfigMap", Name = "gone", Uid = "uid-gone" }]);
        _api.Add(FakeDynamicApi.ConfigMaps, "team", "alone");
        using var controller = NewController();
        using var stop = new CancellationTokenSource();

        var run = controller.RunAsync(2, stop.Token);
        await WaitForAsync(() => _api.Find(FakeDynamicApi.ConfigMaps, "team", "child") is null, "the dependent to be collected");

        Assert.NotNull(_api.Find(FakeDynamicApi.ConfigMaps, "team", "alone"));
        // Every deletable, listable, watchable resource is monitored; nothing else.
        Assert.Equal(["clusterthings.example.com", "configmaps", "namespaces", "pods", "widgets.example.com"], controller.Monitored);
        await stop.CancelAsync();
        await run.WaitAsync(Bound);
        Assert.Empty(controller.Monitored);
    }

    [Fact]
    public async Task A_discovery_resync_monitors_new_resources_and_drops_removed_ones()
    {
        _api.Resources.Clear();
        _api.Resources.Add(FakeDynamicApi.ConfigMaps);
        _api.Resources.Add(FakeDynamicApi.Widgets);
        using var controller = NewController();
        using var stop = new CancellationTokenSource();
        var run = controller.RunAsync(1, stop.Token);
        await WaitForAsync(() => controller.Monitored.Count == 2 && _watches.Count == 2, "the first monitors");

        _api.Resources.Remove(FakeDynamicApi.Widgets);
        _api.Resources.Add(FakeDynamicApi.Pods);
        // What the resync loop does every period (driven directly: the loop itself is a delay around this call).
        Assert.True(await controller.ResyncMonitorsAsync(stop.Token));

        Assert.Equal(["configmaps", "pods"], controller.Monitored);
        await stop.CancelAsync();
        await run.WaitAsync(Bound);
    }

    [Fact]
    public void Events_and_resources_that_cannot_be_deleted_or_watched_are_not_monitored()
    {
        Assert.False(GarbageCollectorController.Monitorable(new ApiResource("", "v1", "Event", "events", true, ["delete", "list", "watch"])));
        Assert.False(GarbageCollectorController.Monitorable(new ApiResource("events.k8s.io", "v1", "Event", "events", true, ["delete", "list", "watch"])));
        Assert.False(GarbageCollectorController.Monitorable(new ApiResource("authentication.k8s.io", "v1", "TokenReview", "tokenreviews", false, ["create"])));
        Assert.True(GarbageCollectorController.Monitorable(new ApiResource("example.com", "v1", "Event", "events", true, ["delete", "list", "watch"])));
    }
}
