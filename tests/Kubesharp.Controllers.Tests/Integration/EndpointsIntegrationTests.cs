using System.Globalization;
using k8s;
using k8s.Models;

namespace Kubesharp.Controllers.Tests.Integration;

/// <summary>
/// The endpoints and EndpointSlice controllers in a controller manager against a real API server. There is no
/// kubelet: the tests create a node, bind pods to it and write their IPs and Ready conditions themselves.
/// This server allocates no cluster IPs yet, so services name theirs (and their IP family), as the allocator would.
/// </summary>
public sealed class EndpointsIntegrationTests(ManagedClusterFixture cluster) : IClassFixture<ManagedClusterFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private static async Task CreateNodeAsync(Kubernetes client, string name)
    {
        await client.CoreV1.CreateNodeAsync(new V1Node
        {
            Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["topology.kubernetes.io/zone"] = "zone-a" } },
        });
    }

    private static V1Service Service(string clusterIp, IntOrString targetPort) => new()
    {
        Metadata = new V1ObjectMeta { Name = "web", Labels = new Dictionary<string, string> { ["tier"] = "front" } },
        Spec = new V1ServiceSpec
        {
            Selector = new Dictionary<string, string> { ["app"] = "web" },
            Ports = [new V1ServicePort { Name = "http", Port = 80, TargetPort = targetPort }],
            ClusterIP = clusterIp,
            ClusterIPs = [clusterIp],
            IpFamilies = ["IPv4"],
        },
    };

    /// <summary>Creates a pod of app=web bound to <paramref name="node"/>, then writes its status as a kubelet would.</summary>
    private static async Task RunPodAsync(Kubernetes client, string ns, string name, string ip, string node, bool ready = true, V1ContainerPort[]? ports = null)
    {
        await client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["app"] = "web" } },
            Spec = new V1PodSpec { NodeName = node, Containers = [new V1Container { Name = "c", Image = "nginx:1", Ports = ports }] },
        }, ns);
        await SetReadyAsync(client, ns, name, ip, ready);
    }

    private static async Task SetReadyAsync(Kubernetes client, string ns, string name, string ip, bool ready)
    {
        var now = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var status = ready ? "True" : "False";
        var patch = $$$"""{"status":{"phase":"Running","podIP":"{{{ip}}}","podIPs":[{"ip":"{{{ip}}}"}],"conditions":[{"type":"Ready","status":"{{{status}}}","lastTransitionTime":"{{{now}}}"}]}}""";
        await client.CoreV1.PatchNamespacedPodStatusAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), name, ns);
    }

    private static async Task<V1Endpoints?> EndpointsAsync(Kubernetes client, string ns)
    {
        try
        {
            return await client.CoreV1.ReadNamespacedEndpointsAsync("web", ns);
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private static async Task<IList<V1EndpointSlice>> SlicesAsync(Kubernetes client, string ns) =>
        (await client.DiscoveryV1.ListNamespacedEndpointSliceAsync(ns, labelSelector: "kubernetes.io/service-name=web")).Items;

    private static List<string> Ips(IEnumerable<V1EndpointAddress>? addresses) => [.. (addresses ?? []).Select(a => a.Ip).Order(StringComparer.Ordinal)];

    private static string Describe(V1Endpoints? endpoints) => endpoints is null ? "no Endpoints" : KubernetesJson.Serialize(endpoints.Subsets);

    private static string Describe(IList<V1EndpointSlice> slices) => string.Join(" ", slices.Select(s => $"{s.Metadata.Name}:{s.Endpoints?.Count ?? 0}"));

    [Fact]
    public async Task A_service_selecting_three_pods_gets_endpoints_and_a_slice_of_three()
    {
        using var client = cluster.Client();
        const string ns = "ep-three";
        await TestCluster.CreateNamespaceAsync(client, ns);
        await CreateNodeAsync(client, "ep-three-node");
        for (var i = 1; i <= 3; i++)
        {
            await RunPodAsync(client, ns, $"web-{i}", $"10.42.1.{i}", "ep-three-node");
        }

        await client.CoreV1.CreateNamespacedServiceAsync(Service("10.43.1.1", 8080), ns);

        V1Endpoints? endpoints = null;
        await Eventually.HoldsAsync(
            async () =>
            {
                endpoints = await EndpointsAsync(client, ns);
                return (endpoints?.Subsets is [{ Addresses.Count: 3 }], Describe(endpoints));
            },
            "Endpoints with 3 ready addresses",
            Bound);
        var subset = endpoints!.Subsets[0];
        Assert.Equal(["10.42.1.1", "10.42.1.2", "10.42.1.3"], Ips(subset.Addresses));
        Assert.Equal(("http", 8080, "TCP"), (subset.Ports[0].Name, subset.Ports[0].Port, subset.Ports[0].Protocol));
        Assert.All(subset.Addresses, a => Assert.Equal(("Pod", ns, "ep-three-node"), (a.TargetRef.Kind, a.TargetRef.NamespaceProperty, a.NodeName)));
        Assert.Equal("front", endpoints.Metadata.Labels["tier"]);
        Assert.True(endpoints.Metadata.Annotations.ContainsKey("endpoints.kubernetes.io/last-change-trigger-time"));

        IList<V1EndpointSlice> slices = [];
        await Eventually.HoldsAsync(
            async () =>
            {
                slices = await SlicesAsync(client, ns);
                return (slices is [{ Endpoints.Count: 3 }], Describe(slices));
            },
            "one EndpointSlice with 3 endpoints",
            Bound);
        var slice = slices[0];
        Assert.StartsWith("web-", slice.Metadata.Name, StringComparison.Ordinal);
        Assert.Equal(("IPv4", "endpointslice-controller.k8s.io", "front"), (slice.AddressType, slice.Metadata.Labels["endpointslice.kubernetes.io/managed-by"], slice.Metadata.Labels["tier"]));
        var owner = Assert.Single(slice.Metadata.OwnerReferences);
        Assert.Equal(("Service", "web", true), (owner.Kind, owner.Name, owner.Controller));
        Assert.All(slice.Endpoints, e => Assert.Equal((true, true, false, "zone-a"), (e.Conditions.Ready, e.Conditions.Serving, e.Conditions.Terminating, e.Zone)));
        Assert.Equal(8080, Assert.Single(slice.Ports).Port);
    }

    [Fact]
    public async Task A_pod_turning_not_ready_moves_to_not_ready_addresses_and_ready_false()
    {
        using var client = cluster.Client();
        const string ns = "ep-ready";
        await TestCluster.CreateNamespaceAsync(client, ns);
        await CreateNodeAsync(client, "ep-ready-node");
        await RunPodAsync(client, ns, "web-1", "10.42.2.1", "ep-ready-node");
        await RunPodAsync(client, ns, "web-2", "10.42.2.2", "ep-ready-node");
        await client.CoreV1.CreateNamespacedServiceAsync(Service("10.43.2.1", 8080), ns);
        await Eventually.HoldsAsync(async () => (await EndpointsAsync(client, ns) is { Subsets: [{ Addresses.Count: 2 }] }, "not yet"), "Endpoints with 2 ready addresses", Bound);

        await SetReadyAsync(client, ns, "web-2", "10.42.2.2", ready: false);

        await Eventually.HoldsAsync(
            async () =>
            {
                var endpoints = await EndpointsAsync(client, ns);
                var ok = endpoints?.Subsets is [{ } s] && Ips(s.Addresses) is ["10.42.2.1"] && Ips(s.NotReadyAddresses) is ["10.42.2.2"];
                return (ok, Describe(endpoints));
            },
            "web-2 among the not-ready addresses",
            Bound);
        await Eventually.HoldsAsync(
            async () =>
            {
                var slices = await SlicesAsync(client, ns);
                var web2 = slices.SelectMany(s => s.Endpoints ?? []).FirstOrDefault(e => e.TargetRef.Name == "web-2");
                return (web2?.Conditions is { Ready: false, Serving: false, Terminating: false }, Describe(slices));
            },
            "web-2 ready=false in its slice",
            Bound);
    }

    [Fact]
    public async Task A_named_target_port_resolves_to_the_container_port()
    {
        using var client = cluster.Client();
        const string ns = "ep-named";
        await TestCluster.CreateNamespaceAsync(client, ns);
        await CreateNodeAsync(client, "ep-named-node");
        await RunPodAsync(client, ns, "web-1", "10.42.3.1", "ep-named-node", ports: [new V1ContainerPort { Name = "web", ContainerPort = 9376 }]);
        await RunPodAsync(client, ns, "web-2", "10.42.3.2", "ep-named-node", ports: [new V1ContainerPort { Name = "metrics", ContainerPort = 9100 }]);

        await client.CoreV1.CreateNamespacedServiceAsync(Service("10.43.3.1", "web"), ns);

        await Eventually.HoldsAsync(
            async () =>
            {
                var endpoints = await EndpointsAsync(client, ns);
                var ok = endpoints?.Subsets is [{ } s] && Ips(s.Addresses) is ["10.42.3.1"] && s.Ports is [{ Port: 9376, Name: "http" }];
                return (ok, Describe(endpoints));
            },
            "Endpoints of web-1 on port 9376 (web-2 has no port named web)",
            Bound);
        await Eventually.HoldsAsync(
            async () =>
            {
                // As upstream, the pod without the port is listed too, in a slice without ports (which proxies ignore).
                var slices = await SlicesAsync(client, ns);
                var shapes = slices.Select(s => $"{string.Join(",", (s.Ports ?? []).Select(p => p.Port))}: {string.Join(",", (s.Endpoints ?? []).Select(e => e.TargetRef.Name))}").Order(StringComparer.Ordinal);
                return (shapes.SequenceEqual(["9376: web-1", ": web-2"]), string.Join(" ", shapes));
            },
            "a slice of web-1 on port 9376 and a portless slice of web-2",
            Bound);
    }

    [Fact]
    public async Task Deleting_the_service_removes_its_endpoints_and_slices()
    {
        using var client = cluster.Client();
        const string ns = "ep-delete";
        await TestCluster.CreateNamespaceAsync(client, ns);
        await CreateNodeAsync(client, "ep-delete-node");
        await RunPodAsync(client, ns, "web-1", "10.42.4.1", "ep-delete-node");
        await client.CoreV1.CreateNamespacedServiceAsync(Service("10.43.4.1", 8080), ns);
        await Eventually.HoldsAsync(async () => (await EndpointsAsync(client, ns) is not null && (await SlicesAsync(client, ns)).Count == 1, "not yet"), "Endpoints and a slice", Bound);

        await client.CoreV1.DeleteNamespacedServiceAsync("web", ns);

        // The Endpoints by the endpoints controller, the slice by the garbage collector (the service owned it).
        await Eventually.HoldsAsync(
            async () =>
            {
                var endpoints = await EndpointsAsync(client, ns);
                var slices = await SlicesAsync(client, ns);
                return (endpoints is null && slices.Count == 0, $"{Describe(endpoints)}; slices {Describe(slices)}");
            },
            "no Endpoints and no slices",
            Bound);
    }

    [Fact]
    public async Task Two_hundred_and_fifty_pods_give_three_slices()
    {
        using var client = cluster.Client();
        const string ns = "ep-many";
        await TestCluster.CreateNamespaceAsync(client, ns);
        await CreateNodeAsync(client, "ep-many-node");
        await client.CoreV1.CreateNamespacedServiceAsync(Service("10.43.5.1", 8080), ns);
        using var parallel = new SemaphoreSlim(16);
        await Task.WhenAll(Enumerable.Range(0, 250).Select(async i =>
        {
            await parallel.WaitAsync();
            try
            {
                await RunPodAsync(client, ns, $"web-{i:D3}", $"10.42.{10 + (i / 200)}.{(i % 200) + 1}", "ep-many-node");
            }
            finally
            {
                parallel.Release();
            }
        }));

        IList<V1EndpointSlice> slices = [];
        await Eventually.HoldsAsync(
            async () =>
            {
                slices = await SlicesAsync(client, ns);
                return (slices.Sum(s => s.Endpoints?.Count ?? 0) == 250 && slices.All(s => s.Endpoints.All(e => e.Conditions.Ready == true)), Describe(slices));
            },
            "250 ready endpoints in the slices",
            Bound);
        // Three slices of at most 100; how full each is depends on how the pods arrived (the reconciler fills
        // slices as it goes and never repacks them).
        Assert.Equal(3, slices.Count);
        Assert.All(slices, s => Assert.InRange(s.Endpoints.Count, 1, 100));
        Assert.Equal(250, slices.SelectMany(s => s.Endpoints).Select(e => e.TargetRef.Name).Distinct().Count());
        await Eventually.HoldsAsync(
            async () =>
            {
                var endpoints = await EndpointsAsync(client, ns);
                return (endpoints?.Subsets is [{ Addresses.Count: 250 }], Describe(endpoints));
            },
            "Endpoints with 250 ready addresses",
            Bound);
    }
}
