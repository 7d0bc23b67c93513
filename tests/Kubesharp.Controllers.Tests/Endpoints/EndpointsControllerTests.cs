using k8s.Models;
using Kubesharp.Controllers.Endpoints;
using static Kubesharp.Controllers.Tests.Endpoints.ServiceObjects;
using ApiErrors = Kubesharp.Controllers.Common.ApiErrors;

namespace Kubesharp.Controllers.Tests.Endpoints;

public sealed class EndpointsControllerTests
{
    private static string Ips(IEnumerable<V1EndpointAddress>? addresses) => string.Join(",", (addresses ?? []).Select(a => a.Ip));

    private static string Ports(V1EndpointSubset subset) => string.Join(",", (subset.Ports ?? []).Select(p => $"{p.Name}:{p.Port}/{p.Protocol}"));

    /// <summary>"ready IPs | not-ready IPs" over all subsets.</summary>
    private static string Readiness(V1Endpoints endpoints) =>
        $"{string.Join(",", endpoints.Subsets.SelectMany(s => s.Addresses ?? []).Select(a => a.Ip).Order(StringComparer.Ordinal))}"
        + $" | {string.Join(",", endpoints.Subsets.SelectMany(s => s.NotReadyAddresses ?? []).Select(a => a.Ip).Order(StringComparer.Ordinal))}";

    /// <summary>The pods of the readiness table, by case name.</summary>
    internal static V1Pod ReadinessPod(string name) => name switch
    {
        "ready" => Pod("a", "10.42.0.1", ready: true),
        "not ready" => Pod("a", "10.42.0.1", ready: false),
        "being deleted" => Pod("a", "10.42.0.1", deleting: true),
        "being deleted, not ready" => Pod("a", "10.42.0.1", ready: false, deleting: true),
        "Succeeded" => Pod("a", "10.42.0.1", phase: "Succeeded"),
        "Failed" => Pod("a", "10.42.0.1", phase: "Failed"),
        "no IP" => Pod("a", null),
        "Pending, not ready" => Pod("a", "10.42.0.1", ready: false, phase: "Pending"),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    [Theory]
    [InlineData("ready", false, "10.42.0.1 | ")]
    [InlineData("not ready", false, " | 10.42.0.1")]
    [InlineData("not ready", true, "10.42.0.1 | ")]
    [InlineData("being deleted", false, " | ")]
    [InlineData("being deleted, not ready", true, "10.42.0.1 | ")]
    [InlineData("Succeeded", false, " | ")]
    [InlineData("Failed", true, " | ")]
    [InlineData("no IP", false, " | ")]
    [InlineData("Pending, not ready", false, " | 10.42.0.1")]
    public async Task Readiness_decides_the_list_and_terminal_or_unaddressed_pods_are_left_out(string pod, bool publishNotReady, string expected)
    {
        using var h = new EndpointsHarness().With(Service(publishNotReady: publishNotReady)).With(ReadinessPod(pod));

        await h.SyncAsync();

        Assert.Equal(expected, Readiness(h.Api.Get()));
    }

    [Fact]
    public async Task The_endpoints_list_each_pod_with_its_node_and_target_and_the_service_port()
    {
        using var h = new EndpointsHarness()
            .With(Service(labels: new() { ["tier"] = "front" }))
            .With(Pod("b", "10.42.0.2"), Pod("a", "10.42.0.1", node: "node-b"), Pod("other", "10.42.0.9", labels: new() { ["app"] = "db" }));

        await h.SyncAsync();

        Assert.Equal(["create default/web"], h.Api.Calls);
        var endpoints = h.Api.Get();
        var subset = Assert.Single(endpoints.Subsets);
        Assert.Equal("10.42.0.1,10.42.0.2", Ips(subset.Addresses));
        Assert.Equal("http:8080/TCP", Ports(subset));
        var a = subset.Addresses[0];
        Assert.Equal(("node-b", "Pod", "default", "a", "uid-a"), (a.NodeName, a.TargetRef.Kind, a.TargetRef.NamespaceProperty, a.TargetRef.Name, a.TargetRef.Uid));
        // The service's labels; no headless label for a service with a cluster IP.
        Assert.Equal(new Dictionary<string, string> { ["tier"] = "front" }, endpoints.Metadata.Labels);
        Assert.Equal("2026-01-02T00:00:00Z", endpoints.Metadata.Annotations[ServiceEndpoints.LastChangeTriggerTimeAnnotation]);
    }

    [Fact]
    public async Task A_named_target_port_is_resolved_per_pod_and_pods_without_it_are_left_out()
    {
        using var h = new EndpointsHarness()
            .With(Service(ports: [Port(80, "web-port", name: "http")]))
            .With(
                Pod("a", "10.42.0.1", containerPorts: [ContainerPort("web-port", 8080)]),
                Pod("b", "10.42.0.2", containerPorts: [ContainerPort("web-port", 9090)]),
                Pod("c", "10.42.0.3", containerPorts: [ContainerPort("metrics", 9100)]),
                Pod("d", "10.42.0.4", containerPorts: [ContainerPort("web-port", 7070, "UDP")]));

        await h.SyncAsync();

        var subsets = h.Api.Get().Subsets;
        Assert.Equal(["10.42.0.1 http:8080/TCP", "10.42.0.2 http:9090/TCP"], subsets.Select(s => $"{Ips(s.Addresses)} {Ports(s)}"));
    }

    [Fact]
    public async Task A_named_port_of_a_sidecar_counts_but_not_one_of_a_plain_init_container()
    {
        var sidecar = Pod("a", "10.42.0.1");
        sidecar.Spec.InitContainers = [new V1Container { Name = "proxy", Image = "envoy", RestartPolicy = "Always", Ports = [ContainerPort("web-port", 15001)] }];
        var init = Pod("b", "10.42.0.2");
        init.Spec.InitContainers = [new V1Container { Name = "setup", Image = "busybox", Ports = [ContainerPort("web-port", 15002)] }];
        using var h = new EndpointsHarness().With(Service(ports: [Port(80, "web-port")])).With(sidecar, init);

        await h.SyncAsync();

        Assert.Equal(["10.42.0.1 :15001/TCP"], h.Api.Get().Subsets.Select(s => $"{Ips(s.Addresses)} {Ports(s)}"));
    }

    [Fact]
    public async Task Subsets_group_ports_by_the_addresses_offering_them()
    {
        using var h = new EndpointsHarness()
            .With(Service(ports: [Port(80, "8080", name: "http"), Port(443, "tls", name: "https")]))
            .With(
                Pod("a", "10.42.0.1", containerPorts: [ContainerPort("tls", 8443)]),
                Pod("b", "10.42.0.2"),
                Pod("c", "10.42.0.3", containerPorts: [ContainerPort("tls", 8443)]),
                Pod("d", "10.42.0.4", ready: false, containerPorts: [ContainerPort("tls", 8443)]));

        await h.SyncAsync();

        var subsets = h.Api.Get().Subsets;
        Assert.Equal(
            ["10.42.0.1,10.42.0.2,10.42.0.3 | 10.42.0.4 | http:8080/TCP", "10.42.0.1,10.42.0.3 | 10.42.0.4 | https:8443/TCP"],
            subsets.Select(s => $"{Ips(s.Addresses)} | {Ips(s.NotReadyAddresses)} | {Ports(s)}"));
    }

    [Fact]
    public async Task A_headless_service_is_labelled_and_one_without_ports_lists_bare_addresses()
    {
        using var h = new EndpointsHarness().With(Service(clusterIp: "None", ports: [])).With(Pod("a", "10.42.0.1"), Pod("b", "10.42.0.2", ready: false));

        await h.SyncAsync();

        var endpoints = h.Api.Get();
        var subset = Assert.Single(endpoints.Subsets);
        Assert.Equal(("10.42.0.1", "10.42.0.2"), (Ips(subset.Addresses), Ips(subset.NotReadyAddresses)));
        Assert.Empty(subset.Ports ?? []);
        Assert.Equal(new Dictionary<string, string> { [ServiceEndpoints.HeadlessLabel] = "" }, endpoints.Metadata.Labels);
    }

    [Fact]
    public async Task A_pod_whose_hostname_names_the_service_subdomain_gets_a_hostname()
    {
        var pod = Pod("a", "10.42.0.1");
        pod.Spec.Hostname = "a0";
        pod.Spec.Subdomain = "web";
        using var h = new EndpointsHarness().With(Service()).With(pod);

        await h.SyncAsync();

        Assert.Equal("a0", h.Api.Get().Subsets[0].Addresses[0].Hostname);
    }

    [Fact]
    public async Task Nothing_is_written_when_nothing_endpoints_show_changed()
    {
        using var h = new EndpointsHarness().With(Service()).With(Pod("a", "10.42.0.1"));
        await h.SyncAsync();

        // A pod update endpoints do not show (another resourceVersion, new annotations).
        var touched = Pod("a", "10.42.0.1", resourceVersion: "2");
        touched.Metadata.Annotations = new Dictionary<string, string> { ["x"] = "y" };
        h.Pods.Upsert(touched);
        await h.SyncAsync();
        Assert.Equal(["create default/web"], h.Api.Calls);

        h.Pods.Upsert(Pod("a", "10.42.0.1", ready: false, resourceVersion: "3", readySince: Created.AddMinutes(5)));
        await h.SyncAsync();

        Assert.Equal(["create default/web", "update default/web"], h.Api.Calls);
        Assert.Equal(" | 10.42.0.1", Readiness(h.Api.Get()));
        // The change that triggered the write: the pod's readiness transition.
        Assert.Equal("2026-01-02T00:05:00Z", h.Api.Get().Metadata.Annotations[ServiceEndpoints.LastChangeTriggerTimeAnnotation]);
    }

    [Fact]
    public async Task Labels_follow_the_service()
    {
        using var h = new EndpointsHarness().With(Service(labels: new() { ["tier"] = "front" })).With(Pod("a", "10.42.0.1"));
        await h.SyncAsync();

        h.Services.Upsert(Service(labels: new() { ["tier"] = "back" }));
        await h.SyncAsync();

        Assert.Equal(["create default/web", "update default/web"], h.Api.Calls);
        Assert.Equal(new Dictionary<string, string> { ["tier"] = "back" }, h.Api.Get().Metadata.Labels);
    }

    [Fact]
    public async Task The_endpoints_go_with_the_service()
    {
        using var h = new EndpointsHarness().With(Service()).With(Pod("a", "10.42.0.1"));
        await h.SyncAsync();

        h.Services.Delete("default/web");
        await h.SyncAsync();
        // Gone already: nothing to do.
        await h.SyncAsync();

        Assert.Equal(["create default/web", "delete default/web", "delete default/web"], h.Api.Calls);
        Assert.Empty(h.Api.Stored);
    }

    [Theory]
    [InlineData("no selector")]
    [InlineData("empty selector")]
    [InlineData("ExternalName")]
    public async Task Services_without_a_selector_are_left_to_their_user(string kind)
    {
        var service = Service();
        switch (kind)
        {
            case "no selector":
                service.Spec.Selector = null;
                break;
            case "empty selector":
                service.Spec.Selector = new Dictionary<string, string>();
                break;
            default:
                service.Spec.Type = "ExternalName";
                service.Spec.ExternalName = "example.com";
                break;
        }

        using var h = new EndpointsHarness().With(service).With(Pod("a", "10.42.0.1"));

        await h.SyncAsync();

        Assert.Empty(h.Api.Calls);
    }

    [Fact]
    public async Task Over_a_thousand_addresses_are_cut_ready_ones_first_and_annotated()
    {
        using var h = new EndpointsHarness().With(Service());
        for (var i = 0; i < 1100; i++)
        {
            h.Pods.Upsert(Numbered(i, ready: i < 900));
        }

        await h.SyncAsync();

        var endpoints = h.Api.Get();
        Assert.Equal(900, endpoints.Subsets.Sum(s => s.Addresses?.Count ?? 0));
        Assert.Equal(100, endpoints.Subsets.Sum(s => s.NotReadyAddresses?.Count ?? 0));
        Assert.Equal("truncated", endpoints.Metadata.Annotations[EndpointSubsets.OverCapacityAnnotation]);

        // Back under capacity: the annotation goes.
        for (var i = 1000; i < 1100; i++)
        {
            h.Pods.Delete($"default/p{i:D3}");
        }

        await h.SyncAsync();
        Assert.Equal(1000, EndpointSubsets.Count(h.Api.Get().Subsets));
        Assert.False(h.Api.Get().Metadata.Annotations.ContainsKey(EndpointSubsets.OverCapacityAnnotation));
    }

    [Fact]
    public async Task A_sync_that_reads_the_version_it_replaced_fails_until_the_cache_catches_up()
    {
        using var h = new EndpointsHarness().With(Service()).With(Pod("a", "10.42.0.1"));
        await h.SyncAsync();
        var before = h.Endpoints.List().Single();

        h.Pods.Upsert(Pod("a", "10.42.0.1", ready: false, resourceVersion: "2"));
        await h.Controller.SyncAsync("default/web", CancellationToken.None);
        // The cache still holds the version that update replaced.
        Assert.Same(before, h.Endpoints.List().Single());

        h.Pods.Upsert(Pod("a", "10.42.0.2", ready: false, resourceVersion: "3"));
        await Assert.ThrowsAsync<StaleCacheException>(() => h.Controller.SyncAsync("default/web", CancellationToken.None));

        h.Observe();
        await h.SyncAsync();
        Assert.Equal(["create default/web", "update default/web", "update default/web"], h.Api.Calls);
    }

    [Fact]
    public async Task A_failed_write_is_reported_on_the_endpoints_and_retried()
    {
        using var h = new EndpointsHarness().With(Service()).With(Pod("a", "10.42.0.1"));
        h.Api.FailNext = ApiErrors.Status(500, "InternalError", "etcd is sad");

        await Assert.ThrowsAnyAsync<Exception>(() => h.Controller.SyncAsync("default/web", CancellationToken.None));

        Assert.Equal(["Warning FailedToCreateEndpoint Failed to create endpoint for service default/web: etcd is sad"], h.Events.On("web"));
    }

    [Fact]
    public async Task A_create_refused_in_a_terminating_namespace_is_dropped_quietly()
    {
        using var h = new EndpointsHarness().With(Service()).With(Pod("a", "10.42.0.1"));
        h.Api.FailNext = new Kubesharp.Client.Cache.ApiStatusException(new V1Status
        {
            Code = 403,
            Reason = "Forbidden",
            Message = "namespace default is being terminated",
            Details = new V1StatusDetails { Causes = [new V1StatusCause { Reason = "NamespaceTerminating" }] },
        });

        var result = await h.Controller.SyncAsync("default/web", CancellationToken.None);

        Assert.Null(result.Requeue);
        Assert.Empty(h.Events.Events);
    }

    [Fact]
    public async Task Pod_changes_wake_the_services_that_select_the_pod_before_or_after()
    {
        var manual = Service("manual");
        manual.Spec.Selector = null;
        using var h = new EndpointsHarness()
            .With(Service("web", selector: new() { ["app"] = "web" }))
            .With(Service("canary", selector: new() { ["track"] = "canary" }))
            .With(Service("all", selector: new() { ["team"] = "a" }))
            .With(manual);
        var handler = h.Controller.PodHandler();
        var old = Pod("a", "10.42.0.1", labels: new() { ["app"] = "web", ["team"] = "a" });

        handler.OnAdd(old);
        Assert.Equal(["default/all", "default/web"], (await h.DrainQueueAsync()).Order(StringComparer.Ordinal));

        // A resync: nothing.
        handler.OnUpdate(old, old);
        Assert.Empty(await h.DrainQueueAsync());

        // Labels only: the services that gained or lost the pod.
        var relabelled = Pod("a", "10.42.0.1", labels: new() { ["track"] = "canary", ["team"] = "a" }, resourceVersion: "2");
        handler.OnUpdate(old, relabelled);
        Assert.Equal(["default/canary", "default/web"], (await h.DrainQueueAsync()).Order(StringComparer.Ordinal));

        // Labels and readiness: every service before and after.
        var both = Pod("a", "10.42.0.1", ready: false, labels: new() { ["app"] = "web", ["team"] = "a" }, resourceVersion: "3");
        handler.OnUpdate(relabelled, both);
        Assert.Equal(["default/all", "default/canary", "default/web"], (await h.DrainQueueAsync()).Order(StringComparer.Ordinal));

        // A change endpoints do not show: nothing.
        var annotated = Pod("a", "10.42.0.1", ready: false, labels: new() { ["app"] = "web", ["team"] = "a" }, resourceVersion: "4");
        annotated.Metadata.Annotations = new Dictionary<string, string> { ["x"] = "y" };
        handler.OnUpdate(both, annotated);
        Assert.Empty(await h.DrainQueueAsync());

        handler.OnDelete(annotated, false);
        Assert.Equal(["default/all", "default/web"], (await h.DrainQueueAsync()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Endpoints_of_the_first_list_are_synced_once_but_leader_locks_are_left_alone()
    {
        using var h = new EndpointsHarness();
        var handler = h.Controller.EndpointsHandler();
        var leftover = new V1Endpoints { Metadata = new V1ObjectMeta { Name = "gone", NamespaceProperty = Ns } };
        var lockObject = new V1Endpoints
        {
            Metadata = new V1ObjectMeta { Name = "kube-scheduler", NamespaceProperty = "kube-system", Annotations = new Dictionary<string, string> { [EndpointsController.LeaderAnnotation] = "{}" } },
        };

        handler.OnAdd(leftover);
        handler.OnAdd(lockObject);
        handler.OnDelete(lockObject, false);

        Assert.Equal(["default/gone", "kube-system/kube-scheduler"], await h.DrainQueueAsync());
        await h.Controller.SyncAsync("default/gone", CancellationToken.None);
        Assert.Equal(["delete default/gone"], h.Api.Calls);
    }
}
