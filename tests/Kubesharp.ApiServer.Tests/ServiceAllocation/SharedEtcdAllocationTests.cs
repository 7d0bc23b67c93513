using k8s;
using k8s.Models;
using Kubesharp.ApiServer.Hosting;
using Kubesharp.Storage;
using Kubesharp.Storage.Etcd;
using Kubesharp.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.ApiServer.Tests.ServiceAllocation;

/// <summary>
/// Two API servers, each with its own etcd client, on one private etcd: concurrent creates through both never
/// get one address or node port twice, and the kubernetes Service lists both servers. Skips visibly without
/// etcd (fails instead when KUBESHARP_REQUIRE_ETCD=1).
/// </summary>
public sealed class SharedEtcdAllocationTests : IAsyncLifetime
{
    private readonly List<(ApiServerHost Host, IStore Store, string Dir)> _servers = [];
    private EtcdProcess? _etcd;
    private string? _skipReason;

    public async Task InitializeAsync()
    {
        if (EtcdProcess.FindBinary() is not { } binary)
        {
            if (Environment.GetEnvironmentVariable("KUBESHARP_REQUIRE_ETCD") == "1")
            {
                throw new InvalidOperationException("etcd is not on PATH, and KUBESHARP_REQUIRE_ETCD=1 requires it");
            }

            _skipReason = "etcd is not on PATH";
            return;
        }

        _etcd = await EtcdProcess.StartNewAsync(binary);
        foreach (var advertise in new[] { "127.0.0.1", "127.0.0.2" })
        {
            var dir = Directory.CreateTempSubdirectory("kubesharp-alloc-etcd-").FullName;
            var store = new EtcdStore(new EtcdStoreOptions { Endpoints = _etcd.Endpoint });
            var host = new ApiServerHost(
                new ApiServerOptions { DataDir = dir, Port = 0, RequireServiceAccounts = false, AdvertiseAddress = advertise, EndpointReconcileInterval = TimeSpan.FromMilliseconds(300) },
                store,
                NullLoggerFactory.Instance);
            await host.StartAsync(CancellationToken.None);
            _servers.Add((host, store, dir));
        }
    }

    private Kubernetes Client(int i)
    {
        Skip.If(_skipReason is not null, _skipReason);
        return AllocationServer.ClientFor(_servers[i].Host);
    }

    [SkippableFact]
    public async Task Concurrent_creates_on_two_servers_never_share_an_address_or_a_node_port()
    {
        var clients = new[] { Client(0), Client(1) };
        await clients[0].CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "etcd-race" } });
        var created = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => clients[i % 2].CreateNamespacedServiceAsync(
            new V1Service
            {
                Metadata = new V1ObjectMeta { Name = $"svc-{i}" },
                Spec = new V1ServiceSpec { Type = "NodePort", Ports = [new V1ServicePort { Port = 80 }] },
            },
            "etcd-race")));
        Assert.Equal(40, created.Select(s => s.Spec.ClusterIP).Distinct().Count());
        Assert.Equal(40, created.Select(s => s.Spec.Ports[0].NodePort).Distinct().Count());

        // Both servers are live endpoints of the one kubernetes Service.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        List<string> addresses;
        do
        {
            addresses = [.. (await clients[1].ReadNamespacedEndpointsAsync("kubernetes", "default")).Subsets.SelectMany(s => s.Addresses).Select(a => a.Ip)];
            if (addresses.Count == 2)
            {
                break;
            }

            await Task.Delay(100);
        }
        while (DateTime.UtcNow < deadline);
        Assert.Equal(["127.0.0.1", "127.0.0.2"], addresses);
        Assert.Equal("10.43.0.1", (await clients[0].ReadNamespacedServiceAsync("kubernetes", "default")).Spec.ClusterIP);
    }

    public async Task DisposeAsync()
    {
        foreach (var (host, store, dir) in _servers)
        {
            await host.StopAsync(CancellationToken.None);
            await host.DisposeAsync();
            await store.DisposeAsync();
            Directory.Delete(dir, recursive: true);
        }

        if (_etcd is not null)
        {
            await _etcd.DisposeAsync();
        }
    }
}
