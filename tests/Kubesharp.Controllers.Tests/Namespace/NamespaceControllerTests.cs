using k8s.Models;
using Kubesharp.Client.Controllers;
using Kubesharp.Controllers.Namespace;
using Kubesharp.Controllers.Tests.Fakes;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.Controllers.Tests.Namespace;

public sealed class NamespaceControllerTests : IAsyncLifetime
{
    private readonly FakeCluster _cluster = new();
    private readonly FakeNamespaceApi _namespaces = new();
    private readonly FakeDynamicApi _dynamic = new();
    private NamespaceController? _controller;

    private NamespaceController Controller => _controller!;

    public async Task InitializeAsync()
    {
        _controller = new NamespaceController(_cluster.Informers, _namespaces, _dynamic, new CoreControllerOptions(), _cluster.Clock, NullLoggerFactory.Instance);
        await _cluster.StartAsync();
    }

    public async Task DisposeAsync()
    {
        _controller?.Dispose();
        await _cluster.DisposeAsync();
    }

    private V1Namespace Deleting(string phase = "Terminating", params string[] finalizers)
    {
        var ns = Objects.Namespace("team", phase, deleted: _cluster.Clock.GetUtcNow().UtcDateTime);
        ns.Spec.Finalizers = finalizers.Length == 0 ? ["kubernetes"] : finalizers;
        return ns;
    }

    private V1NamespaceCondition Condition(string type) => _namespaces.Stored!.Status.Conditions.Single(c => c.Type == type);

    [Fact]
    public async Task The_content_is_deleted_in_the_background_and_the_kubernetes_finalizer_removed()
    {
        _namespaces.Stored = Deleting("Terminating", "kubernetes", "example.com/other");
        _dynamic.Add(FakeDynamicApi.ConfigMaps, "team", "a");
        _dynamic.Add(FakeDynamicApi.ConfigMaps, "team", "b");
        _dynamic.Add(FakeDynamicApi.ConfigMaps, "elsewhere", "c");
        _dynamic.Add(FakeDynamicApi.Widgets, "team", "w");

        var result = await Controller.SyncAsync("team", CancellationToken.None);

        Assert.Equal(ReconcileResult.Done, result);
        Assert.Contains("deletecollection configmaps team Background", _dynamic.Calls);
        // Widgets serve no deletecollection: listed and deleted one by one.
        Assert.Contains("delete widgets.example.com team/w Background uid=", _dynamic.Calls);
        Assert.DoesNotContain(_dynamic.Calls, c => c.Contains("clusterthings", StringComparison.Ordinal) || c.Contains("namespaces", StringComparison.Ordinal));
        Assert.Null(_dynamic.Find(FakeDynamicApi.ConfigMaps, "team", "a"));
        Assert.NotNull(_dynamic.Find(FakeDynamicApi.ConfigMaps, "elsewhere", "c"));
        Assert.Equal("finalize example.com/other", _namespaces.Calls[^1]);
        Assert.Equal(5, _namespaces.Stored!.Status.Conditions.Count);
        Assert.All(_namespaces.Stored.Status.Conditions, c => Assert.Equal("False", c.Status));
        Assert.Equal(("ContentRemoved", "All content successfully removed"), (Condition(NamespaceConditions.ContentRemaining).Reason, Condition(NamespaceConditions.ContentRemaining).Message));
    }

    [Fact]
    public async Task Content_held_by_finalizers_is_reported_and_looked_at_again_later()
    {
        _namespaces.Stored = Deleting();
        _dynamic.Add(FakeDynamicApi.ConfigMaps, "team", "held", finalizers: ["example.com/hold"]);
        _dynamic.Add(FakeDynamicApi.Widgets, "team", "w", finalizers: ["example.com/hold", "example.com/other"]);

        var result = await Controller.SyncAsync("team", CancellationToken.None);

        // Upstream's 15 s finalizer estimate: again after 15/2 + 1 s.
        Assert.Equal(TimeSpan.FromSeconds(8), result.Requeue);
        Assert.DoesNotContain(_namespaces.Calls, c => c.StartsWith("finalize", StringComparison.Ordinal));
        var remaining = Condition(NamespaceConditions.ContentRemaining);
        Assert.Equal(("True", "SomeResourcesRemain", "Some resources are remaining: configmaps. has 1 resource instances, widgets.example.com has 1 resource instances"), (remaining.Status, remaining.Reason, remaining.Message));
        var finalizers = Condition(NamespaceConditions.FinalizersRemaining);
        Assert.Equal(("True", "SomeFinalizersRemain", "Some content in the namespace has finalizers remaining: example.com/hold in 2 resource instances, example.com/other in 1 resource instances"), (finalizers.Status, finalizers.Reason, finalizers.Message));
    }

    [Fact]
    public async Task Pods_in_their_grace_period_give_the_estimate_until_it_has_passed()
    {
        _namespaces.Stored = Deleting();
        _namespaces.Pods.Add(new V1Pod { Metadata = new V1ObjectMeta { Name = "p" }, Spec = new V1PodSpec { TerminationGracePeriodSeconds = 30 }, Status = new V1PodStatus { Phase = "Running" } });
        _namespaces.Pods.Add(new V1Pod { Metadata = new V1ObjectMeta { Name = "done" }, Spec = new V1PodSpec { TerminationGracePeriodSeconds = 600 }, Status = new V1PodStatus { Phase = "Succeeded" } });
        // Held (in the fake, by a finalizer) as a graceful pod is held by its kubelet.
        _dynamic.Add(FakeDynamicApi.Pods, "team", "p", finalizers: ["example.com/kubelet"]);

        var first = await Controller.SyncAsync("team", CancellationToken.None);
        _cluster.Clock.Advance(TimeSpan.FromSeconds(31));
        var second = await Controller.SyncAsync("team", CancellationToken.None);

        Assert.Equal(TimeSpan.FromSeconds(16), first.Requeue);
        Assert.Equal(TimeSpan.FromSeconds(8), second.Requeue);
    }

    [Fact]
    public async Task A_group_that_cannot_be_discovered_is_reported_and_retried_but_the_rest_is_deleted()
    {
        _namespaces.Stored = Deleting();
        _dynamic.FailedGroups["broken.example.com/v1"] = "boom";
        _dynamic.Add(FakeDynamicApi.ConfigMaps, "team", "a");

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => Controller.SyncAsync("team", CancellationToken.None));

        Assert.Contains("broken.example.com/v1: boom", failure.Message, StringComparison.Ordinal);
        Assert.Null(_dynamic.Find(FakeDynamicApi.ConfigMaps, "team", "a"));
        var discovery = Condition(NamespaceConditions.DiscoveryFailure);
        Assert.Equal(("True", "DiscoveryFailed", "Discovery failed for some groups, 1 failing: unable to retrieve the complete list of server APIs: broken.example.com/v1: boom"), (discovery.Status, discovery.Reason, discovery.Message));
        Assert.DoesNotContain(_namespaces.Calls, c => c.StartsWith("finalize", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_active_phase_is_moved_to_terminating_first_reading_again_after_a_conflict()
    {
        _namespaces.Stored = Deleting(phase: "Active");
        _namespaces.ConflictsOnStatus = 1;

        await Controller.SyncAsync("team", CancellationToken.None);

        Assert.Equal(["get", "status Terminating", "get", "status Terminating"], _namespaces.Calls.Take(4));
        Assert.Null(_namespaces.Stored);
    }

    [Fact]
    public async Task A_namespace_not_being_deleted_or_gone_is_left_alone()
    {
        _namespaces.Stored = Objects.Namespace("team");

        await Controller.SyncAsync("team", CancellationToken.None);
        await Controller.SyncAsync("gone", CancellationToken.None);

        Assert.Equal(["get", "get"], _namespaces.Calls);
        Assert.Empty(_dynamic.Calls);
    }

    [Fact]
    public void Conditions_change_their_transition_time_only_when_their_status_changes()
    {
        var status = new V1NamespaceStatus();
        var t0 = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var held = new NamespaceConditions();
        held.Remaining(new Dictionary<string, int> { ["pods."] = 2 }, new Dictionary<string, int>());
        var heldAgain = new NamespaceConditions();
        heldAgain.Remaining(new Dictionary<string, int> { ["pods."] = 1 }, new Dictionary<string, int>());

        Assert.True(new NamespaceConditions().ApplyTo(status, t0));
        Assert.False(new NamespaceConditions().ApplyTo(status, t0.AddSeconds(1)));
        Assert.True(held.ApplyTo(status, t0.AddSeconds(2)));
        Assert.True(heldAgain.ApplyTo(status, t0.AddSeconds(3)));

        var remaining = status.Conditions.Single(c => c.Type == NamespaceConditions.ContentRemaining);
        Assert.Equal(("True", "Some resources are remaining: pods. has 1 resource instances", t0.AddSeconds(2)), (remaining.Status, remaining.Message, remaining.LastTransitionTime));
        Assert.Equal(t0, status.Conditions.Single(c => c.Type == NamespaceConditions.DiscoveryFailure).LastTransitionTime);
    }
}
