using System.Net;
using k8s;
using k8s.Models;
using Kubesharp.ApiServer.Hosting;
using Kubesharp.Dns.Registration;
using Kubesharp.Dns.Tests.Server;
using Kubesharp.Dns.Wire;
using Kubesharp.Storage;
using Kubesharp.Storage.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.Dns.Tests.Integration;

/// <summary>The DNS server against a real in-process API server, with the identity <c>kubesharp server</c> gives it (system:kube-dns).</summary>
public sealed class DnsIntegrationTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kubesharp-dns-").FullName;
    private IStore? _store;
    private ApiServerHost? _host;
    private Kubernetes? _admin;
    private DnsServer? _dns;

    public async Task InitializeAsync()
    {
        _store = await SqliteStore.OpenAsync(new SqliteStoreOptions { Path = Path.Combine(_dir, "db", "state.db"), CompactionInterval = TimeSpan.Zero });
        _host = new ApiServerHost(new ApiServerOptions { DataDir = _dir, Port = 0 }, _store, NullLoggerFactory.Instance);
        await _host.StartAsync(CancellationToken.None);
        _admin = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(_host.KubeconfigPath));
        var kubeconfig = Path.Combine(_dir, "kube-dns.kubeconfig");
        _host.Pki!.WriteKubeconfig(kubeconfig, _host.Url!.ToString(), _host.Pki.LoadOrIssueClient("kube-dns", "system:kube-dns", []), "kube-dns");
        _dns = DnsServer.FromKubeconfig(kubeconfig, new DnsServerOptions
        {
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
            Upstreams = [],
            AdvertiseAddresses = [IPAddress.Parse("10.99.0.1")],
        }, NullLoggerFactory.Instance);
        await _dns.StartAsync(CancellationToken.None);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await _dns.WaitForSyncAsync(timeout.Token);
    }

    public async Task DisposeAsync()
    {
        if (_dns is not null)
        {
            await _dns.DisposeAsync();
        }

        _admin?.Dispose();
        if (_host is not null)
        {
            await _host.StopAsync(CancellationToken.None);
            await _host.DisposeAsync();
        }

        if (_store is not null)
        {
            await _store.DisposeAsync();
        }

        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>Asks until the answer satisfies <paramref name="done"/>: informer events arrive asynchronously. Bounded: 300 tries.</summary>
    private async Task<DnsResponse> AskUntilAsync(string name, ushort type, Func<DnsResponse, bool> done)
    {
        DnsResponse last = null!;
        for (var i = 0; i < 300; i++)
        {
            last = await DnsClient.UdpAsync(_dns!.EndPoint!, DnsMessages.Query(name, type, id: (ushort)i));
            if (done(last))
            {
                return last;
            }

            await Task.Delay(100);
        }

        return last;
    }

    [Fact]
    public async Task A_Service_created_through_the_API_resolves()
    {
        await _admin!.CoreV1.CreateNamespacedServiceAsync(new V1Service
        {
            Metadata = new V1ObjectMeta { Name = "web" },
            Spec = new V1ServiceSpec { ClusterIP = "10.43.0.50", Ports = [new V1ServicePort { Name = "http", Port = 80 }], Selector = new Dictionary<string, string> { ["app"] = "web" } },
        }, "default");
        var response = await AskUntilAsync("web.default.svc.cluster.local", DnsType.A, r => r.Answers.Count > 0);
        Assert.Equal(["web.default.svc.cluster.local. 30 A 10.43.0.50"], response.Answers);
        Assert.Equal(DnsRcode.NxDomain, (await DnsClient.UdpAsync(_dns!.EndPoint!, DnsMessages.Query("nope.default.svc.cluster.local", DnsType.A))).Rcode);
    }

    [Fact]
    public async Task A_headless_Service_resolves_to_the_endpoints_of_its_EndpointSlice()
    {
        await _admin!.CoreV1.CreateNamespacedServiceAsync(new V1Service
        {
            Metadata = new V1ObjectMeta { Name = "db" },
            Spec = new V1ServiceSpec { ClusterIP = "None", Ports = [new V1ServicePort { Name = "pg", Port = 5432 }] },
        }, "default");
        await _admin.DiscoveryV1.CreateNamespacedEndpointSliceAsync(new V1EndpointSlice
        {
            Metadata = new V1ObjectMeta { Name = "db-1", Labels = new Dictionary<string, string> { ["kubernetes.io/service-name"] = "db" } },
            AddressType = "IPv4",
            Endpoints =
            [
                new V1Endpoint { Addresses = ["10.42.0.11"], Hostname = "db-0", Conditions = new V1EndpointConditions { Ready = true } },
                new V1Endpoint { Addresses = ["10.42.1.12"], Conditions = new V1EndpointConditions { Ready = true } },
            ],
            Ports = [new Discoveryv1EndpointPort { Name = "pg", Port = 5432, Protocol = "TCP" }],
        }, "default");
        var response = await AskUntilAsync("db.default.svc.cluster.local", DnsType.A, r => r.Answers.Count == 2);
        Assert.Equal(["db.default.svc.cluster.local. 30 A 10.42.0.11", "db.default.svc.cluster.local. 30 A 10.42.1.12"], response.Answers);
        var host = await DnsClient.UdpAsync(_dns!.EndPoint!, DnsMessages.Query("db-0.db.default.svc.cluster.local", DnsType.A));
        Assert.Equal(["db-0.db.default.svc.cluster.local. 30 A 10.42.0.11"], host.Answers);
    }

    [Fact]
    public async Task The_kube_dns_Service_is_registered_and_restored_after_an_edit()
    {
        V1EndpointSlice? slice = null;
        for (var i = 0; i < 300 && slice is null; i++)
        {
            try
            {
                slice = await _admin!.DiscoveryV1.ReadNamespacedEndpointSliceAsync(KubeDnsRegistration.SliceName, "kube-system");
            }
            catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
                await Task.Delay(100);
            }
        }

        Assert.NotNull(slice);
        Assert.Equal(["10.99.0.1"], slice.Endpoints.Single().Addresses);
        Assert.Equal([("dns", _dns!.EndPoint!.Port, "UDP"), ("dns-tcp", _dns.EndPoint.Port, "TCP")], slice.Ports.Select(p => (p.Name, p.Port ?? 0, p.Protocol)));
        var service = await _admin!.CoreV1.ReadNamespacedServiceAsync("kube-dns", "kube-system");
        Assert.Equal("10.43.0.10", service.Spec.ClusterIP);
        Assert.Equal("kube-dns", service.Metadata.Labels["k8s-app"]);
        Assert.Equal("CoreDNS", service.Metadata.Labels["kubernetes.io/name"]);
        Assert.Null(service.Spec.Selector);
        Assert.Equal([("dns", 53, "UDP"), ("dns-tcp", 53, "TCP"), ("metrics", 9153, "TCP")], service.Spec.Ports.Select(p => (p.Name, p.Port, p.Protocol)));
        var endpoints = await _admin.CoreV1.ReadNamespacedEndpointsAsync("kube-dns", "kube-system");
        Assert.Equal("10.99.0.1", endpoints.Subsets.Single().Addresses.Single().Ip);

        // Someone rewrites the slice: the server puts it back.
        slice.Endpoints.Single().Addresses = ["10.99.0.2"];
        await _admin.DiscoveryV1.ReplaceNamespacedEndpointSliceAsync(slice, slice.Metadata.Name, "kube-system");
        for (var i = 0; i < 300; i++)
        {
            slice = await _admin.DiscoveryV1.ReadNamespacedEndpointSliceAsync(KubeDnsRegistration.SliceName, "kube-system");
            if (slice.Endpoints.Single().Addresses.Single() == "10.99.0.1")
            {
                break;
            }

            await Task.Delay(100);
        }

        Assert.Equal(["10.99.0.1"], slice.Endpoints.Single().Addresses);

        // And it resolves itself.
        var response = await AskUntilAsync("kube-dns.kube-system.svc.cluster.local", DnsType.A, r => r.Answers.Count > 0);
        Assert.Equal(["kube-dns.kube-system.svc.cluster.local. 30 A 10.43.0.10"], response.Answers);
    }
}
