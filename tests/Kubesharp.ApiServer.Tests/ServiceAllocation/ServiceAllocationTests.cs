using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Kubesharp.ApiServer.ServiceAllocation;

namespace Kubesharp.ApiServer.Tests.ServiceAllocation;

/// <summary>Cluster IP and node port allocation through the real API (the C# client and kubectl) on SQLite.</summary>
public sealed class ServiceAllocationTests(AllocationServer server) : IClassFixture<AllocationServer>
{
    private static readonly ServiceIpRange Range = ServiceIpRange.Parse("10.43.0.0/16");

    private static V1Service Svc(string name, string type = "ClusterIP", string? clusterIp = null, params V1ServicePort[] ports) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1ServiceSpec
        {
            Type = type,
            ClusterIP = clusterIp,
            Selector = new Dictionary<string, string> { ["app"] = name },
            Ports = ports.Length > 0 ? ports : [new V1ServicePort { Name = "http", Port = 80, TargetPort = 8080 }],
        },
    };

    private static V1ServicePort Port(int port, int nodePort = 0, string protocol = "TCP", string? name = null) =>
        new() { Name = name ?? $"p{port}-{protocol.ToLowerInvariant()}", Port = port, Protocol = protocol, NodePort = nodePort == 0 ? null : nodePort };

    private async Task<V1Service> CreateAsync(string ns, V1Service svc) => await server.Client().CreateNamespacedServiceAsync(svc, ns);

    private async Task<string> NamespaceAsync(string name)
    {
        await server.Client().CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = name } });
        return name;
    }

    private static async Task<HttpOperationException> RefusedAsync(Func<Task> action)
    {
        var e = await Assert.ThrowsAsync<HttpOperationException>(action);
        Assert.Equal((HttpStatusCode)422, e.Response.StatusCode);
        return e;
    }

    [Fact]
    public async Task A_new_service_gets_a_random_address_of_the_upper_band_and_ipv4_single_stack()
    {
        var ns = await NamespaceAsync("alloc-dynamic");
        var svc = await CreateAsync(ns, Svc("web"));
        var ip = svc.Spec.ClusterIP;
        Assert.NotNull(ip);
        Assert.Equal([ip], svc.Spec.ClusterIPs);
        Assert.True(Range.ItemOf(ip) >= Range.Offset, $"{ip} should be in the upper band (item >= {Range.Offset})");
        Assert.Equal(["IPv4"], svc.Spec.IpFamilies);
        Assert.Equal("SingleStack", svc.Spec.IpFamilyPolicy);
        Assert.Null(svc.Spec.Ports[0].NodePort);
    }

    [SkippableFact]
    public async Task A_requested_address_is_honoured_once_and_kubectl_prints_upstreams_error_for_the_second()
    {
        var ns = await NamespaceAsync("alloc-requested");
        var svc = await CreateAsync(ns, Svc("first", clusterIp: "10.43.0.5"));
        Assert.Equal("10.43.0.5", svc.Spec.ClusterIP);
        Assert.Equal(["10.43.0.5"], svc.Spec.ClusterIPs);

        var (code, _, stderr) = await server.KubectlAsync("create", "service", "clusterip", "second", "-n", ns, "--clusterip=10.43.0.5", "--tcp=80:8080");
        Assert.NotEqual(0, code);
        Assert.Contains("Service \"second\" is invalid: spec.clusterIPs: Invalid value: []string{\"10.43.0.5\"}: failed to allocate IP 10.43.0.5: provided IP is already allocated", stderr, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [InlineData("10.44.0.5")]
    [InlineData("10.43.0.0")]
    [InlineData("10.43.255.255")]
    public async Task An_address_outside_the_range_is_refused(string ip)
    {
        var ns = await NamespaceAsync("alloc-out-" + ip.Replace('.', '-'));
        var (code, _, stderr) = await server.KubectlAsync("create", "service", "clusterip", "out", "-n", ns, $"--clusterip={ip}", "--tcp=80:8080");
        Assert.NotEqual(0, code);
        Assert.Contains($"spec.clusterIPs: Invalid value: []string{{\"{ip}\"}}: failed to allocate IP {ip}: the provided IP ({ip}) is not in the valid range. The range of valid IPs is 10.43.0.0/16", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Headless_and_external_name_services_get_no_address()
    {
        var ns = await NamespaceAsync("alloc-headless");
        var headless = await CreateAsync(ns, Svc("headless", clusterIp: "None"));
        Assert.Equal("None", headless.Spec.ClusterIP);
        Assert.Equal(["None"], headless.Spec.ClusterIPs);
        Assert.Equal("SingleStack", headless.Spec.IpFamilyPolicy);

        var bare = Svc("bare", clusterIp: "None");
        bare.Spec.Selector = null;
        var selectorless = await CreateAsync(ns, bare);
        Assert.Equal("RequireDualStack", selectorless.Spec.IpFamilyPolicy);
        Assert.Equal(["IPv4"], selectorless.Spec.IpFamilies);

        var external = await CreateAsync(ns, new V1Service
        {
            Metadata = new V1ObjectMeta { Name = "external" },
            Spec = new V1ServiceSpec { Type = "ExternalName", ExternalName = "example.com" },
        });
        Assert.Null(external.Spec.ClusterIP);
        Assert.Null(external.Spec.ClusterIPs);
        Assert.Null(external.Spec.IpFamilies);
        Assert.Null(external.Spec.IpFamilyPolicy);
    }

    [SkippableFact]
    public async Task Node_ports_are_allocated_honoured_shared_across_protocols_and_refused_twice()
    {
        var ns = await NamespaceAsync("alloc-nodeports");
        var dynamic = await CreateAsync(ns, Svc("dynamic", "NodePort", null, Port(80), Port(443)));
        var ports = dynamic.Spec.Ports.Select(p => p.NodePort!.Value).ToList();
        Assert.All(ports, p => Assert.InRange(p, 30000 + 86, 32767));
        Assert.Equal(2, ports.Distinct().Count());

        var dns = await CreateAsync(ns, Svc("dns", "NodePort", null, Port(53, protocol: "UDP"), Port(53, protocol: "TCP")));
        Assert.Equal(dns.Spec.Ports[0].NodePort, dns.Spec.Ports[1].NodePort);

        var fixedPort = await CreateAsync(ns, Svc("fixed", "NodePort", null, Port(80, 30080)));
        Assert.Equal(30080, fixedPort.Spec.Ports[0].NodePort);

        var (code, _, stderr) = await server.KubectlAsync("create", "service", "nodeport", "again", "-n", ns, "--tcp=80:8080", "--node-port=30080");
        Assert.NotEqual(0, code);
        Assert.Contains("Service \"again\" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Load_balancers_get_node_ports_unless_told_not_to_and_a_health_check_port_with_local_traffic()
    {
        var ns = await NamespaceAsync("alloc-lb");
        var client = server.Client();
        var local = Svc("local", "LoadBalancer", null, Port(80));
        local.Spec.ExternalTrafficPolicy = "Local";
        local = await CreateAsync(ns, local);
        Assert.NotNull(local.Spec.Ports[0].NodePort);
        var health = local.Spec.HealthCheckNodePort!.Value;
        Assert.InRange(health, 30000, 32767);
        Assert.NotEqual(local.Spec.Ports[0].NodePort, health);

        // Back to Cluster: the health check port goes and is free again.
        local = await client.PatchNamespacedServiceAsync(new V1Patch("{\"spec\":{\"externalTrafficPolicy\":\"Cluster\"}}", V1Patch.PatchType.MergePatch), "local", ns);
        Assert.Null(local.Spec.HealthCheckNodePort);
        var taker = await CreateAsync(ns, Svc("health-taker", "NodePort", null, Port(80, health)));
        Assert.Equal(health, taker.Spec.Ports[0].NodePort);

        var bare = Svc("no-node-ports", "LoadBalancer", null, Port(80));
        bare.Spec.AllocateLoadBalancerNodePorts = false;
        bare = await CreateAsync(ns, bare);
        Assert.Null(bare.Spec.Ports[0].NodePort);
    }

    [Fact]
    public async Task A_refused_create_gives_back_what_it_took_first()
    {
        var ns = await NamespaceAsync("alloc-no-leak");
        await CreateAsync(ns, Svc("holder", "NodePort", null, Port(80, 30090)));
        // The address is taken first, then the node port is refused: the address must be free again.
        await RefusedAsync(() => CreateAsync(ns, Svc("loser", "NodePort", "10.43.0.20", Port(80, 30090))));
        var winner = await CreateAsync(ns, Svc("winner", clusterIp: "10.43.0.20"));
        Assert.Equal("10.43.0.20", winner.Spec.ClusterIP);
    }

    [SkippableFact]
    public async Task A_dry_run_shows_the_allocation_and_holds_nothing()
    {
        var ns = await NamespaceAsync("alloc-dry-run");
        var (code, stdout, stderr) = await server.KubectlAsync("create", "service", "nodeport", "dry", "-n", ns, "--tcp=80:8080", "--node-port=30120", "--dry-run=server", "-o", "jsonpath={.spec.clusterIP} {.spec.ports[0].nodePort}");
        Assert.True(code == 0, stderr);
        var parts = stdout.Split(' ');
        Assert.NotNull(Range.ItemOf(parts[0]));
        Assert.Equal("30120", parts[1]);
        var real = await CreateAsync(ns, Svc("real", "NodePort", parts[0], Port(80, 30120)));
        Assert.Equal(parts[0], real.Spec.ClusterIP);
    }

    [Fact]
    public async Task Deleting_a_service_releases_its_address_and_node_ports_for_reuse()
    {
        var ns = await NamespaceAsync("alloc-delete");
        await CreateAsync(ns, Svc("old", "NodePort", "10.43.0.30", Port(80, 30100)));
        await RefusedAsync(() => CreateAsync(ns, Svc("blocked", "NodePort", "10.43.0.30", Port(80, 30101))));
        await server.Client().DeleteNamespacedServiceAsync("old", ns);
        var reused = await CreateAsync(ns, Svc("new", "NodePort", "10.43.0.30", Port(80, 30100)));
        Assert.Equal("10.43.0.30", reused.Spec.ClusterIP);
        Assert.Equal(30100, reused.Spec.Ports[0].NodePort);
    }

    [Fact]
    public async Task Deleting_a_collection_releases_every_allocation_as_namespace_deletion_does()
    {
        var ns = await NamespaceAsync("alloc-ns-delete");
        await CreateAsync(ns, Svc("gone", "NodePort", "10.43.0.31", Port(80, 30110)));
        var services = Kubesharp.Api.Resources.BuiltinResources.Table.Find("", "v1", "services")!;
        // The namespace controller and the garbage collector delete through the API like this; no controller runs here.
        await server.Client().DeleteCollectionNamespacedServiceAsync(ns);
        Assert.Null(await server.Store.GetAsync(services.StorageKey(ns, "gone")));
        var other = await NamespaceAsync("alloc-ns-delete-2");
        var reused = await CreateAsync(other, Svc("reuse", "NodePort", "10.43.0.31", Port(80, 30110)));
        Assert.Equal("10.43.0.31", reused.Spec.ClusterIP);
    }

    [Fact]
    public async Task Type_changes_allocate_and_release()
    {
        var ns = await NamespaceAsync("alloc-types");
        var client = server.Client();
        var svc = await CreateAsync(ns, Svc("morph", clusterIp: "10.43.0.40"));

        // ClusterIP -> NodePort: node ports appear, the address stays.
        svc = await client.PatchNamespacedServiceAsync(new V1Patch("{\"spec\":{\"type\":\"NodePort\"}}", V1Patch.PatchType.MergePatch), "morph", ns);
        var nodePort = svc.Spec.Ports[0].NodePort!.Value;
        Assert.InRange(nodePort, 30000, 32767);
        Assert.Equal("10.43.0.40", svc.Spec.ClusterIP);

        // A replace that leaves out what was allocated keeps it (upstream's patchAllocatedValues).
        svc.Spec.ClusterIP = null;
        svc.Spec.ClusterIPs = null;
        svc.Spec.Ports[0].NodePort = null;
        svc = await client.ReplaceNamespacedServiceAsync(svc, "morph", ns);
        Assert.Equal("10.43.0.40", svc.Spec.ClusterIP);
        Assert.Equal(nodePort, svc.Spec.Ports[0].NodePort);

        // NodePort -> ClusterIP: the node ports are cleared and free again.
        svc = await client.PatchNamespacedServiceAsync(new V1Patch("{\"spec\":{\"type\":\"ClusterIP\"}}", V1Patch.PatchType.MergePatch), "morph", ns);
        Assert.Null(svc.Spec.Ports[0].NodePort);
        var taker = await CreateAsync(ns, Svc("port-taker", "NodePort", null, Port(80, nodePort)));
        Assert.Equal(nodePort, taker.Spec.Ports[0].NodePort);

        // -> ExternalName: the address is cleared and free again.
        svc = await client.PatchNamespacedServiceAsync(new V1Patch("{\"spec\":{\"type\":\"ExternalName\",\"externalName\":\"example.com\"}}", V1Patch.PatchType.MergePatch), "morph", ns);
        Assert.Null(svc.Spec.ClusterIP);
        Assert.Null(svc.Spec.IpFamilies);
        var ipTaker = await CreateAsync(ns, Svc("ip-taker", clusterIp: "10.43.0.40"));
        Assert.Equal("10.43.0.40", ipTaker.Spec.ClusterIP);

        // ExternalName -> ClusterIP: a new address.
        svc = await client.PatchNamespacedServiceAsync(new V1Patch("{\"spec\":{\"type\":\"ClusterIP\",\"externalName\":null}}", V1Patch.PatchType.MergePatch), "morph", ns);
        Assert.NotNull(Range.ItemOf(svc.Spec.ClusterIP));
        Assert.NotEqual("10.43.0.40", svc.Spec.ClusterIP);
    }

    [SkippableFact]
    public async Task Allocation_ranges_never_show_in_the_api()
    {
        var (code, stdout, stderr) = await server.KubectlAsync("get", "all", "-A", "-o", "name");
        Assert.True(code == 0, stderr);
        Assert.DoesNotContain("range", stdout, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("masterlease", stdout, StringComparison.OrdinalIgnoreCase);
        Assert.NotNull(await server.Store.GetAsync(RangeAllocationStore.ServiceIpsKey));
    }
}
