using k8s.Models;
using Kubesharp.Controllers.Endpoints;
using Kubesharp.Controllers.EndpointSlices;
using static Kubesharp.Controllers.Tests.Endpoints.ServiceObjects;

namespace Kubesharp.Controllers.Tests.EndpointSlices;

public sealed class EndpointSliceControllerTests
{
    private static V1Endpoint EndpointOf(V1EndpointSlice slice, string pod) => slice.Endpoints.Single(e => e.TargetRef.Name == pod);

    private static string Conditions(V1Endpoint e) => $"ready={e.Conditions.Ready} serving={e.Conditions.Serving} terminating={e.Conditions.Terminating}";

    [Fact]
    public async Task Three_pods_make_one_slice_owned_and_labelled_by_the_service()
    {
        using var h = new EndpointSliceHarness()
            .With(Service(labels: new() { ["tier"] = "front" }))
            .With(Pod("a", "10.42.0.1"), Pod("b", "10.42.0.2"), Pod("c", "10.42.0.3"), Pod("other", "10.42.0.9", labels: new() { ["app"] = "db" }));

        await h.SyncAsync();

        Assert.Equal(["create web-00001"], h.Api.Calls);
        var slice = Assert.Single(h.Api.Slices);
        Assert.Equal("web-", slice.Metadata.GenerateName);
        Assert.Equal("IPv4", slice.AddressType);
        Assert.Equal(
            new Dictionary<string, string> { ["tier"] = "front", ["kubernetes.io/service-name"] = "web", ["endpointslice.kubernetes.io/managed-by"] = "endpointslice-controller.k8s.io" },
            slice.Metadata.Labels);
        var owner = Assert.Single(slice.Metadata.OwnerReferences);
        Assert.Equal(("v1", "Service", "web", "svc-uid", true, true), (owner.ApiVersion, owner.Kind, owner.Name, owner.Uid, owner.Controller, owner.BlockOwnerDeletion));
        var port = Assert.Single(slice.Ports);
        Assert.Equal(("http", 8080, "TCP"), (port.Name, port.Port, port.Protocol));
        Assert.Equal(["a", "b", "c"], slice.Endpoints.Select(e => e.TargetRef.Name));
        var a = EndpointOf(slice, "a");
        Assert.Equal(["10.42.0.1"], a.Addresses);
        Assert.Equal("ready=True serving=True terminating=False", Conditions(a));
        Assert.Equal(("node-a", "zone-1", "Pod", "default", "uid-a"), (a.NodeName, a.Zone, a.TargetRef.Kind, a.TargetRef.NamespaceProperty, a.TargetRef.Uid));
        Assert.Equal("2026-01-02T00:00:00Z", slice.Metadata.Annotations[ServiceEndpoints.LastChangeTriggerTimeAnnotation]);

        // Nothing changed: nothing written.
        await h.SyncAsync();
        Assert.Single(h.Api.Calls);
    }

    [Fact]
    public async Task Two_hundred_and_fifty_pods_make_three_slices_of_at_most_a_hundred()
    {
        using var h = new EndpointSliceHarness().With(Service()).WithPods(250);

        await h.SyncAsync();

        Assert.Equal(["create web-00001", "create web-00002", "create web-00003"], h.Api.Calls);
        Assert.Equal([100, 100, 50], h.Counts());
        Assert.Equal(250, h.Api.Slices.SelectMany(s => s.Endpoints).Select(e => e.TargetRef.Name).Distinct().Count());
    }

    [Theory]
    [InlineData(1, new[] { 1, 1, 1 })]
    [InlineData(2, new[] { 2, 1 })]
    [InlineData(3, new[] { 3 })]
    public async Task Max_endpoints_per_slice_is_honoured(int max, int[] expected)
    {
        using var h = new EndpointSliceHarness(max).With(Service()).WithPods(3);

        await h.SyncAsync();

        Assert.Equal(expected, h.Counts());
    }

    [Fact]
    public async Task A_pod_turning_not_ready_updates_its_slice_in_place()
    {
        using var h = new EndpointSliceHarness().With(Service()).WithPods(250);
        await h.SyncAsync();
        h.Api.ClearCalls();

        h.Pods.Upsert(Numbered(5, ready: false));
        await h.SyncAsync();

        Assert.Equal(["update web-00001"], h.Api.Calls);
        Assert.Equal([100, 100, 50], h.Counts());
        Assert.Equal("ready=False serving=False terminating=False", Conditions(EndpointOf(h.Api.Slices[0], "p005")));
    }

    [Fact]
    public async Task New_endpoints_go_into_the_partial_slice_they_fit_best()
    {
        using var h = new EndpointSliceHarness().With(Service()).WithPods(250);
        await h.SyncAsync();
        h.Api.ClearCalls();

        for (var i = 250; i < 280; i++)
        {
            h.Pods.Upsert(Numbered(i));
        }

        await h.SyncAsync();

        Assert.Equal(["update web-00003"], h.Api.Calls);
        Assert.Equal([100, 100, 80], h.Counts());
    }

    [Fact]
    public async Task Removals_shrink_a_slice_without_repacking_and_a_slice_being_written_takes_the_new_endpoints()
    {
        using var h = new EndpointSliceHarness().With(Service()).WithPods(250);
        await h.SyncAsync();
        h.Api.ClearCalls();

        for (var i = 0; i < 60; i++)
        {
            h.Pods.Delete($"default/p{i:D3}");
        }

        await h.SyncAsync();
        Assert.Equal(["update web-00001"], h.Api.Calls);
        Assert.Equal([40, 100, 50], h.Counts());

        h.Api.ClearCalls();
        for (var i = 60; i < 70; i++)
        {
            h.Pods.Delete($"default/p{i:D3}");
        }

        for (var i = 250; i < 290; i++)
        {
            h.Pods.Upsert(Numbered(i));
        }

        await h.SyncAsync();
        Assert.Equal(["update web-00001"], h.Api.Calls);
        Assert.Equal([70, 100, 50], h.Counts());
    }

    [Theory]
    [InlineData(true, false, "ready=False serving=True terminating=True")]
    [InlineData(false, false, "ready=False serving=False terminating=True")]
    [InlineData(true, true, "ready=True serving=True terminating=True")]
    public async Task Terminating_pods_stay_listed_with_their_conditions(bool podReady, bool publishNotReady, string expected)
    {
        using var h = new EndpointSliceHarness().With(Service(publishNotReady: publishNotReady)).With(Pod("a", "10.42.0.1", ready: podReady, deleting: true));

        await h.SyncAsync();

        Assert.Equal(expected, Conditions(EndpointOf(Assert.Single(h.Api.Slices), "a")));
    }

    [Fact]
    public async Task Terminal_and_unaddressed_pods_are_left_out()
    {
        using var h = new EndpointSliceHarness().With(Service()).With(Pod("a", "10.42.0.1", phase: "Succeeded"), Pod("b", "10.42.0.2", phase: "Failed"), Pod("c", null), Pod("d", "10.42.0.4"));

        await h.SyncAsync();

        Assert.Equal(["d"], Assert.Single(h.Api.Slices).Endpoints.Select(e => e.TargetRef.Name));
    }

    [Fact]
    public async Task A_service_without_endpoints_keeps_one_empty_placeholder_slice_reused_as_pods_come_and_go()
    {
        using var h = new EndpointSliceHarness().With(Service());

        await h.SyncAsync();
        await h.SyncAsync();
        Assert.Equal(["create web-00001"], h.Api.Calls);
        var placeholder = Assert.Single(h.Api.Slices);
        Assert.Empty(placeholder.Endpoints);
        Assert.Empty(placeholder.Ports);

        h.With(Pod("a", "10.42.0.1"));
        await h.SyncAsync();
        h.Pods.Delete("default/a");
        await h.SyncAsync();

        // Each time, the slice to delete is rewritten as the slice to create.
        Assert.Equal(["create web-00001", "update web-00001", "update web-00001"], h.Api.Calls);
        var again = Assert.Single(h.Api.Slices);
        Assert.Empty(again.Endpoints);
        Assert.Empty(again.Ports);
    }

    [Fact]
    public async Task Pods_resolving_a_named_port_differently_go_to_slices_of_their_own_ports()
    {
        using var h = new EndpointSliceHarness()
            .With(Service(ports: [Port(80, "web-port", name: "http")]))
            .With(
                Pod("a", "10.42.0.1", containerPorts: [ContainerPort("web-port", 8080)]),
                Pod("b", "10.42.0.2", containerPorts: [ContainerPort("web-port", 9090)]),
                Pod("c", "10.42.0.3", containerPorts: [ContainerPort("web-port", 8080)]),
                Pod("d", "10.42.0.4", containerPorts: [ContainerPort("metrics", 9100)]));

        await h.SyncAsync();

        // As upstream, a pod without the port still gets an endpoint, in a slice without ports.
        Assert.Equal(
            ["8080: a,c", "9090: b", ": d"],
            h.Api.Slices.Select(s => $"{string.Join(",", s.Ports.Select(p => p.Port))}: {string.Join(",", s.Endpoints.Select(e => e.TargetRef.Name))}").Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_headless_service_without_ip_families_gets_both_address_types_and_the_headless_label()
    {
        using var h = new EndpointSliceHarness().With(Service(clusterIp: "None", families: [])).With(Pod("a", "10.42.0.1"));

        await h.SyncAsync();

        var slices = h.Api.Slices;
        Assert.Equal(["IPv4 1", "IPv6 0"], slices.Select(s => $"{s.AddressType} {s.Endpoints.Count}").Order(StringComparer.Ordinal));
        Assert.All(slices, s => Assert.Equal("", s.Metadata.Labels[ServiceEndpoints.HeadlessLabel]));
    }

    [Fact]
    public async Task Slices_of_an_earlier_service_or_an_unwanted_address_type_are_deleted()
    {
        using var h = new EndpointSliceHarness().With(Service()).With(Pod("a", "10.42.0.1"));
        var earlier = EndpointSliceParts.NewSlice(Service(uid: "old-uid"), [], "IPv4");
        earlier.Metadata.Name = "web-old";
        var v6 = EndpointSliceParts.NewSlice(Service(), [], "IPv6");
        v6.Metadata.Name = "web-v6";
        h.Api.Put(earlier);
        h.Api.Put(v6);
        h.Observe();

        await h.SyncAsync();

        // The earlier service's slice is not reused (the garbage collector may be deleting it).
        Assert.Equal(["create web-00001", "delete web-old", "delete web-v6"], h.Api.Calls);
        Assert.Equal(["web-00001"], h.Api.Slices.Select(s => s.Metadata.Name));
    }

    [Fact]
    public async Task Slice_labels_follow_the_service()
    {
        using var h = new EndpointSliceHarness().With(Service(labels: new() { ["tier"] = "front" })).With(Pod("a", "10.42.0.1"));
        await h.SyncAsync();

        h.Services.Upsert(Service(labels: new() { ["tier"] = "back", ["kubernetes.io/service-name"] = "spoof" }));
        await h.SyncAsync();

        Assert.Equal(["create web-00001", "update web-00001"], h.Api.Calls);
        var labels = Assert.Single(h.Api.Slices).Metadata.Labels;
        Assert.Equal(("back", "web"), (labels["tier"], labels["kubernetes.io/service-name"]));
    }

    [Fact]
    public async Task A_pod_on_a_node_missing_from_the_cache_is_left_out_and_the_service_retried()
    {
        using var h = new EndpointSliceHarness().With(Service()).With(Pod("a", "10.42.0.1"), Pod("b", "10.42.0.2", node: "ghost"));

        var error = await Assert.ThrowsAsync<NodeNotFoundException>(() => h.Controller.SyncAsync("default/web", CancellationToken.None));

        Assert.Equal("skipping Pod b for Service default/web: Node ghost Not Found", error.Message);
        Assert.Equal(["a"], Assert.Single(h.Api.Slices).Endpoints.Select(e => e.TargetRef.Name));
        Assert.Equal(["Warning FailedToUpdateEndpointSlices Error updating Endpoint Slices for Service default/web: skipping Pod b for Service default/web: Node ghost Not Found"], h.Events.On("web"));
    }

    [Fact]
    public async Task With_publish_not_ready_addresses_a_pod_on_a_missing_node_is_listed_without_a_zone()
    {
        using var h = new EndpointSliceHarness().With(Service(publishNotReady: true)).With(Pod("b", "10.42.0.2", node: "ghost"));

        await h.SyncAsync();

        var b = EndpointOf(Assert.Single(h.Api.Slices), "b");
        Assert.Equal(("ghost", null), (b.NodeName, b.Zone));
    }

    [Fact]
    public async Task A_service_being_deleted_gets_no_new_slices_and_a_deleted_one_only_loses_its_tracking()
    {
        var deleting = Service();
        deleting.Metadata.DeletionTimestamp = Created.AddHours(1);
        using var h = new EndpointSliceHarness().With(deleting).With(Pod("a", "10.42.0.1"));

        await h.SyncAsync();
        Assert.Empty(h.Api.Calls);

        h.Services.Delete("default/web");
        await h.SyncAsync();
        Assert.Empty(h.Api.Calls);
    }

    [Fact]
    public async Task A_sync_on_a_cache_behind_its_own_writes_fails_until_the_cache_catches_up()
    {
        using var h = new EndpointSliceHarness().With(Service()).With(Pod("a", "10.42.0.1"));
        await h.Controller.SyncAsync("default/web", CancellationToken.None);

        await Assert.ThrowsAsync<StaleCacheException>(() => h.Controller.SyncAsync("default/web", CancellationToken.None));

        h.Observe();
        await h.SyncAsync();
        Assert.Equal(["create web-00001"], h.Api.Calls);
    }

    [Fact]
    public async Task Slice_events_wake_the_service_only_when_they_are_news()
    {
        using var h = new EndpointSliceHarness().With(Service()).With(Pod("a", "10.42.0.1"));
        await h.SyncAsync();
        var handler = h.Controller.SliceHandler();
        var own = h.Api.Slices.Single();

        // This controller's own write coming back.
        handler.OnAdd(own);
        Assert.Equal((0, 0), (h.Controller.Queue.Count, h.Controller.Queue.WaitingCount));

        // Someone else changed it: synced after the 1 s batching delay.
        var edited = h.Api.Put(own);
        edited.Metadata.Generation = 2;
        handler.OnUpdate(own, edited);
        Assert.Equal((0, 1), (h.Controller.Queue.Count, h.Controller.Queue.WaitingCount));
        h.Clock.Advance(EndpointSliceController.SliceChangeDelay);
        Assert.Equal(1, h.Controller.Queue.Count);
        var (key, _) = await h.Controller.Queue.GetAsync(CancellationToken.None);
        Assert.Equal("default/web", key);
        h.Controller.Queue.Done(key);

        // Someone else deleted it.
        handler.OnDelete(own, false);
        h.Clock.Advance(EndpointSliceController.SliceChangeDelay);
        Assert.Equal(1, h.Controller.Queue.Count);

        // A slice of another manager is none of its business.
        var foreign = EndpointSliceParts.NewSlice(Service(), [], "IPv4");
        foreign.Metadata.Labels["endpointslice.kubernetes.io/managed-by"] = "someone-else";
        handler.OnAdd(foreign);
        Assert.Equal(0, h.Controller.Queue.WaitingCount);
    }

    [Fact]
    public async Task Its_own_deletions_do_not_wake_the_service()
    {
        using var h = new EndpointSliceHarness().With(Service()).WithPods(150);
        await h.SyncAsync();
        var second = h.Api.Slices[1];
        for (var i = 100; i < 150; i++)
        {
            h.Pods.Delete($"default/p{i:D3}");
        }

        await h.SyncAsync();
        Assert.DoesNotContain(h.Api.Slices, s => s.Metadata.Name == second.Metadata.Name);

        h.Controller.SliceHandler().OnDelete(second, false);

        Assert.Equal((0, 0), (h.Controller.Queue.Count, h.Controller.Queue.WaitingCount));
    }

    [Fact]
    public async Task Pod_changes_wake_the_selecting_services()
    {
        using var h = new EndpointSliceHarness().With(Service("web")).With(Service("db", selector: new() { ["app"] = "db" }));
        var handler = h.Controller.PodHandler();
        var pod = Pod("a", "10.42.0.1");

        handler.OnAdd(pod);
        handler.OnUpdate(pod, Pod("a", "10.42.0.1", labels: new() { ["app"] = "db" }, resourceVersion: "2"));

        var keys = new List<string>();
        while (h.Controller.Queue.Count > 0)
        {
            var (key, _) = await h.Controller.Queue.GetAsync(CancellationToken.None);
            keys.Add(key);
            h.Controller.Queue.Done(key);
        }

        Assert.Equal(["default/web", "default/db"], keys);
    }
}
