using k8s;
using k8s.Models;
using Kubesharp.ApiServer.ServiceAllocation;

namespace Kubesharp.ApiServer.Tests.ServiceAllocation;

/// <summary>Repair across restarts, several API servers on one store, and the kubernetes Service with its live endpoints.</summary>
public sealed class SharedStoreAllocationTests
{
    private static V1Service Svc(string name, string type = "ClusterIP", string? clusterIp = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1ServiceSpec { Type = type, ClusterIP = clusterIp, Ports = [new V1ServicePort { Port = 80 }] },
    };

    /// <summary>Polls <paramref name="read"/> until <paramref name="done"/> holds; fails after a generous bound, naming the last value.</summary>
    private static async Task<T> EventuallyAsync<T>(Func<Task<T>> read, Func<T, bool> done, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        T last;
        while (true)
        {
            last = await read();
            if (done(last) || DateTime.UtcNow > deadline)
            {
                break;
            }

            await Task.Delay(100);
        }

        Assert.True(done(last), $"{what}; last seen: {System.Text.Json.JsonSerializer.Serialize(last)}");
        return last;
    }

    [SkippableFact]
    public async Task Allocations_survive_a_restart_and_are_rebuilt_from_the_services_when_the_bitmap_is_lost()
    {
        await using var server = new AllocationServer();
        await server.StartAsync();
        var client = server.Client();
        var fixedIp = await client.CreateNamespacedServiceAsync(Svc("fixed", clusterIp: "10.43.0.50"), "default");
        var dynamic = await client.CreateNamespacedServiceAsync(Svc("dynamic", "NodePort"), "default");
        var nodePort = dynamic.Spec.Ports[0].NodePort!.Value;

        await server.StopAllAsync();
        await server.StartAsync();
        client = server.Client();
        Assert.Equal("10.43.0.50", (await client.ReadNamespacedServiceAsync("fixed", "default")).Spec.ClusterIP);
        await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(() => client.CreateNamespacedServiceAsync(Svc("copy", clusterIp: dynamic.Spec.ClusterIP), "default"));

        // Lose both bitmaps while the server is down: the repair at start rebuilds them from the Services.
        await server.StopAllAsync();
        await server.StartAsync();
        await server.Store.DeleteAsync(RangeAllocationStore.ServiceIpsKey);
        await server.Store.DeleteAsync(RangeAllocationStore.NodePortsKey);
        await server.StopAllAsync();
        await server.StartAsync();
        client = server.Client();
        var (code, _, stderr) = await server.KubectlAsync("create", "service", "clusterip", "thief", "--clusterip=10.43.0.50", "--tcp=80:80");
        Assert.NotEqual(0, code);
        Assert.Contains("failed to allocate IP 10.43.0.50: provided IP is already allocated", stderr, StringComparison.Ordinal);
        var (portCode, _, portErr) = await server.KubectlAsync("create", "service", "nodeport", "port-thief", "--tcp=80:80", $"--node-port={nodePort}");
        Assert.NotEqual(0, portCode);
        Assert.Contains("provided port is already allocated", portErr, StringComparison.Ordinal);
        // The kubernetes Service's address is one of them too.
        var (kubeCode, _, kubeErr) = await server.KubectlAsync("create", "service", "clusterip", "kube-thief", "--clusterip=10.43.0.1", "--tcp=80:80");
        Assert.NotEqual(0, kubeCode);
        Assert.Contains("provided IP is already allocated", kubeErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_api_servers_on_one_store_never_hand_out_one_address_or_port_twice()
    {
        await using var server = new AllocationServer();
        await server.StartAsync();
        var second = await server.StartAnotherAsync("127.0.0.2");
        var clients = new[] { server.Client(), AllocationServer.ClientFor(second) };
        await clients[0].CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "race" } });
        var created = await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
            clients[i % 2].CreateNamespacedServiceAsync(Svc($"svc-{i}", "NodePort"), "race")));
        var ips = created.Select(s => s.Spec.ClusterIP).ToList();
        var ports = created.Select(s => s.Spec.Ports[0].NodePort!.Value).ToList();
        Assert.Equal(40, ips.Distinct().Count());
        Assert.Equal(40, ports.Distinct().Count());
    }

    [Fact]
    public async Task The_kubernetes_service_lists_the_live_api_servers()
    {
        await using var server = new AllocationServer();
        await server.StartAsync();
        var client = server.Client();
        var svc = await client.ReadNamespacedServiceAsync("kubernetes", "default");
        Assert.Equal("10.43.0.1", svc.Spec.ClusterIP);
        Assert.Equal("ClusterIP", svc.Spec.Type);
        var port = Assert.Single(svc.Spec.Ports);
        Assert.Equal(("https", 443, "TCP"), (port.Name, port.Port, port.Protocol));
        Assert.Equal(server.Host.Url!.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), port.TargetPort.Value);

        var endpoints = await client.ReadNamespacedEndpointsAsync("kubernetes", "default");
        Assert.Equal("true", endpoints.Metadata.Labels["endpointslice.kubernetes.io/skip-mirror"]);
        Assert.Equal(["127.0.0.1"], endpoints.Subsets.Single().Addresses.Select(a => a.Ip));
        Assert.Equal(("https", server.Host.Url.Port), (endpoints.Subsets[0].Ports[0].Name, endpoints.Subsets[0].Ports[0].Port));
        var slice = await client.ReadNamespacedEndpointSliceAsync("kubernetes", "default");
        Assert.Equal("kubernetes", slice.Metadata.Labels["kubernetes.io/service-name"]);
        Assert.Equal("IPv4", slice.AddressType);
        Assert.Equal(["127.0.0.1"], slice.Endpoints.SelectMany(e => e.Addresses));

        // A second server appears; stopped cleanly, it withdraws its address at once.
        var second = await server.StartAnotherAsync("127.0.0.2");
        await EventuallyAsync(() => AddressesAsync(client), a => a.SequenceEqual(["127.0.0.1", "127.0.0.2"]), "the second server should be listed");
        await server.StopAsync(second);
        await EventuallyAsync(() => AddressesAsync(client), a => a.SequenceEqual(["127.0.0.1"]), "the stopped server should be gone");

        // A third one dies without a word: its lease expires (2 s) and the survivor drops it.
        var third = await server.StartAnotherAsync("127.0.0.3", TimeSpan.FromSeconds(2));
        await EventuallyAsync(() => AddressesAsync(client), a => a.Contains("127.0.0.3"), "the third server should be listed");
        await server.KillAsync(third);
        await EventuallyAsync(() => AddressesAsync(client), a => a.SequenceEqual(["127.0.0.1"]), "the dead server should age out");
        var slices = await EventuallyAsync(
            async () => (await client.ReadNamespacedEndpointSliceAsync("kubernetes", "default")).Endpoints.SelectMany(e => e.Addresses).ToList(),
            a => a.SequenceEqual(["127.0.0.1"]), "the EndpointSlice should follow");
        Assert.Single(slices);
    }

    private static async Task<List<string>> AddressesAsync(Kubernetes client) =>
        [.. (await client.ReadNamespacedEndpointsAsync("kubernetes", "default")).Subsets.SelectMany(s => s.Addresses).Select(a => a.Ip)];
}
