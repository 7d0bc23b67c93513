using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using k8s;
using k8s.Models;
using Kubesharp.ApiServer.Hosting;
using Kubesharp.Client.Balancer;
using Kubesharp.Client.Cache;
using Kubesharp.Storage.Memory;
using Kubesharp.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.Client.Tests.Balancer;

/// <summary>
/// Two real API servers on one store and one data directory (so one CA), on 127.0.0.1 and 127.0.0.2 with the same
/// port, as two hosts of one cluster would be; a client and an informer reach them only through the balancer, which
/// is told about the first one and learns the second from the <c>kubernetes</c> Endpoints.
/// </summary>
public sealed class TwoApiServersTests : IAsyncLifetime
{
    private const string Ns = "balancer-test";
    private readonly string _dir = Directory.CreateTempSubdirectory("kubesharp-lb-").FullName;
    private readonly MemoryStore _store = new();
    private readonly int _port = FreePorts.Next();
    private ApiServerHost? _a;
    private ApiServerHost? _b;

    public async Task InitializeAsync()
    {
        _a = Host("127.0.0.1");
        await _a.StartAsync(CancellationToken.None);
        _b = Host("127.0.0.2");
        await _b.StartAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        foreach (var host in new[] { _b, _a })
        {
            if (host is not null)
            {
                await host.StopAsync(CancellationToken.None);
                await host.DisposeAsync();
            }
        }

        await _store.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task A_client_and_an_informer_through_the_balancer_keep_working_when_the_server_they_use_stops()
    {
        var a = ServerAddress.Join("127.0.0.1", _port);
        var b = ServerAddress.Join("127.0.0.2", _port);
        await using var balancer = ApiServerBalancer.Start(new BalancerOptions { Servers = [a], Port = 0, HealthCheckInterval = TimeSpan.Zero }, NullLogger.Instance);
        using var client = Client(balancer.LocalUrl);
        await using var source = EndpointsServerSource.Start(client, balancer, NullLogger.Instance);
        await EndpointsServerSourceTests.Until(() => balancer.Servers.Contains(b), "the second server being learned from the kubernetes Endpoints");
        Assert.Equal([a, b], balancer.Servers);

        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = Ns } });
        await using var informers = new SharedInformerFactory(new KubernetesListWatchFactory(client), TimeProvider.System, NullLoggerFactory.Instance);
        var configMaps = informers.GetInformer<V1ConfigMap>(Ns);
        using var stop = new CancellationTokenSource();
        informers.Start(stop.Token);
        await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("before"), Ns);
        await EndpointsServerSourceTests.Until(() => configMaps.Lister.Get(Ns, "before") is not null, "the informer seeing a ConfigMap made through the balancer");
        Assert.Equal(a, balancer.CurrentServer);
        Assert.True(balancer.ConnectionsTo(a) > 0);

        await _a!.StopAsync(CancellationToken.None);
        await _a.DisposeAsync();
        _a = null;
        using (var direct = Client($"https://{b}"))
        {
            await direct.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("after"), Ns);
        }

        // The informer's watch broke with the server; its retry goes through the balancer to the other server.
        await EndpointsServerSourceTests.Until(() => configMaps.Lister.Get(Ns, "after") is not null, "the informer seeing a ConfigMap made after the first server stopped");
        Assert.Equal(b, balancer.CurrentServer);
        Assert.Equal(0, balancer.ConnectionsTo(a));
        var read = await client.CoreV1.ReadNamespacedConfigMapAsync("after", Ns);
        Assert.Equal("after", read.Metadata.Name);
        await client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("through-b"), Ns);
        await EndpointsServerSourceTests.Until(() => configMaps.Lister.Get(Ns, "through-b") is not null, "the informer seeing a ConfigMap made through the balancer after the failover");
        await stop.CancelAsync();
    }

    [Fact]
    public async Task The_readyz_check_with_a_kubeconfig_s_credentials_says_whether_a_server_serves()
    {
        var a = ServerAddress.Join("127.0.0.1", _port);
        var b = ServerAddress.Join("127.0.0.2", _port);
        var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(Path.Combine(_dir, "admin.kubeconfig"));
        using var check = ReadyzHealthCheck.For(config);
        using var strangers = new ReadyzHealthCheck([StrangerCa()], null);

        Assert.True(await check.CheckAsync(a, CancellationToken.None));
        Assert.True(await check.CheckAsync(b, CancellationToken.None));
        Assert.False(await strangers.CheckAsync(a, CancellationToken.None));

        await _a!.StopAsync(CancellationToken.None);
        await _a.DisposeAsync();
        _a = null;
        Assert.False(await check.CheckAsync(a, CancellationToken.None));
        Assert.True(await check.CheckAsync(b, CancellationToken.None));
    }

    private static X509Certificate2 StrangerCa()
    {
        using var key = ECDsa.Create();
        var request = new CertificateRequest("CN=stranger", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadCertificate(ca.Export(X509ContentType.Cert));
    }

    private ApiServerHost Host(string address) => new(
        new ApiServerOptions { DataDir = _dir, BindAddress = address, Port = _port, RequireServiceAccounts = false },
        _store,
        NullLoggerFactory.Instance);

    private Kubernetes Client(string url)
    {
        var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(Path.Combine(_dir, "admin.kubeconfig"));
        config.Host = url;
        return new Kubernetes(config);
    }

    private static V1ConfigMap ConfigMap(string name) => new() { Metadata = new V1ObjectMeta { Name = name }, Data = new Dictionary<string, string> { ["v"] = "1" } };
}
