using k8s;
using k8s.Models;
using Kubesharp.ApiServer.Hosting;
using Kubesharp.Proxy.Iptables;
using Kubesharp.Proxy.Model;
using Kubesharp.Proxy.Nftables;
using Kubesharp.Proxy.Proxier;
using Kubesharp.Proxy.Tests.Nftables;
using Kubesharp.Storage.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using IptablesPartialSyncTests = Kubesharp.Proxy.Tests.Iptables.IptablesPartialSyncTests;

namespace Kubesharp.Proxy.Tests.Proxier;

/// <summary>
/// kube-proxy in nftables and iptables mode against a real API server (in process) and a real table in a network namespace (root;
/// skipped visibly otherwise): the first sync is full, the syncs that follow changes are partial, and the table they
/// leave is the one a full sync of the same state writes (nftables: the table; iptables: nat and filter).
/// </summary>
public sealed class KubeProxyPartialSyncTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [SkippableFact]
    public async Task FirstSyncFullThenPartialSyncsThatMatchAFullOne() => await FirstFullThenPartialAsync(
        ns => new NftablesBackend(ns.Tool),
        ns => Contains(ns, "10.43.9.2 . 80 . 1 : 10.42.5.2 . 8080"),
        ns => Contains(ns, "10.43.9.1 . 80 . 2 : 10.42.5.3 . 8080") && !Contains(ns, "10.43.9.2 . 80"),
        async (proxy, cancellationToken) =>
        {
            using var metrics = new MemoryStream();
            await proxy.Metrics.WriteAsync(metrics, cancellationToken);
            var text = System.Text.Encoding.UTF8.GetString(metrics.ToArray());
            Assert.Contains("kubeproxy_sync_full_proxy_rules_duration_seconds_count 1", text, StringComparison.Ordinal);
            Assert.Contains("kubeproxy_sync_partial_proxy_rules_duration_seconds_count", text, StringComparison.Ordinal);
        },
        ns => [NftablesPartialSyncTests.Table(ns)]);

    [SkippableFact]
    public async Task IptablesFirstSyncFullThenPartialSyncsThatMatchAFullOne() => await FirstFullThenPartialAsync(
        ns => new IptablesBackend(ns.Tool),
        ns => NatContains(ns, "beta:http cluster IP"),
        ns => NatContains(ns, "--to-destination 10.42.5.3:8080") && !NatContains(ns, "beta:http"),
        (_, _) => Task.CompletedTask,
        ns => [IptablesPartialSyncTests.Table(ns, "nat"), IptablesPartialSyncTests.Table(ns, "filter")]);

    /// <summary>
    /// kube-proxy on a real API server and table: Services alpha and beta of two endpoints each; the first sync is
    /// full; a third endpoint for alpha and beta's deletion go in partial syncs; the table then equals what a full sync
    /// of the same state writes into a fresh namespace.
    /// </summary>
    private static async Task FirstFullThenPartialAsync(
        Func<NetworkNamespace, IProxyBackend> create,
        Func<NetworkNamespace, bool> firstApplied,
        Func<NetworkNamespace, bool> changeApplied,
        Func<KubeProxy, CancellationToken, Task> alsoCheck,
        Func<NetworkNamespace, string[]> tables)
    {
        using var ns = NetworkNamespace.Create();
        Skip.If(ns is null, NetworkNamespace.SkipReason);
        using var cts = new CancellationTokenSource(Bound);
        var dir = Directory.CreateTempSubdirectory("kubesharp-proxy-partial-").FullName;
        await using var store = await SqliteStore.OpenAsync(new SqliteStoreOptions { Path = Path.Combine(dir, "db", "state.db"), CompactionInterval = TimeSpan.Zero });
        var host = new ApiServerHost(new ApiServerOptions { DataDir = dir, Port = 0, RequireServiceAccounts = false }, store, NullLoggerFactory.Instance);
        await host.StartAsync(cts.Token);
        try
        {
            using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(host.KubeconfigPath));
            foreach (var (name, ip) in new[] { ("alpha", "10.43.9.1"), ("beta", "10.43.9.2") })
            {
                await client.CoreV1.CreateNamespacedServiceAsync(
                    new V1Service { Metadata = new() { Name = name }, Spec = new() { ClusterIP = ip, Ports = [new() { Name = "http", Port = 80, TargetPort = 8080 }] } },
                    "default",
                    cancellationToken: cts.Token);
                await client.DiscoveryV1.CreateNamespacedEndpointSliceAsync(Slice(name, "10.42.5.1", "10.42.5.2"), "default", cancellationToken: cts.Token);
            }

            var options = new KubeProxyOptions { NodeName = "node-a", HealthzPort = 0, MetricsPort = 0, MinSyncPeriod = TimeSpan.FromMilliseconds(100) };
            await using var proxy = new KubeProxy(client, create(ns), options, NullLoggerFactory.Instance);
            await proxy.StartAsync(cts.Token);
            await UntilAsync(() => proxy.SyncCounts.Full == 1 && firstApplied(ns), cts.Token);

            // A third endpoint for alpha (in nftables mode it moves to the 3-endpoint shared chain), beta deleted.
            var alpha = await client.DiscoveryV1.ReadNamespacedEndpointSliceAsync("alpha-1", "default", cancellationToken: cts.Token);
            var next = Slice("alpha", "10.42.5.1", "10.42.5.2", "10.42.5.3");
            next.Metadata.ResourceVersion = alpha.Metadata.ResourceVersion;
            await client.DiscoveryV1.ReplaceNamespacedEndpointSliceAsync(next, "alpha-1", "default", cancellationToken: cts.Token);
            await client.CoreV1.DeleteNamespacedServiceAsync("beta", "default", cancellationToken: cts.Token);
            await UntilAsync(() => changeApplied(ns), cts.Token);

            Assert.Equal(1, proxy.SyncCounts.Full);
            Assert.True(proxy.SyncCounts.Partial >= 1);
            await alsoCheck(proxy, cts.Token);
            using var fullNs = NetworkNamespace.Create()!;
            var reference = create(fullNs);
            await reference.ApplyAsync(reference.Render(proxy.Tracker.Snapshot(), new() { NodeName = "node-a" }), cts.Token);
            Assert.Equal(tables(fullNs), tables(ns));
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
            Directory.Delete(dir, recursive: true);
        }
    }

    private static V1EndpointSlice Slice(string service, params string[] ips) => new()
    {
        Metadata = new() { Name = service + "-1", Labels = new Dictionary<string, string> { [ProxyStateTracker.ServiceNameLabel] = service } },
        AddressType = "IPv4",
        Ports = [new() { Name = "http", Port = 8080, Protocol = "TCP" }],
        Endpoints = [.. ips.Select(ip => new V1Endpoint { Addresses = [ip], Conditions = new() { Ready = true }, NodeName = "node-b" })],
    };

    private static bool Contains(NetworkNamespace ns, string text)
    {
        var listing = ns.Exec("nft", "list", "map", "ip", "kube-proxy", "fast-endpoints-tcp");
        return listing.ExitCode == 0 && listing.Stdout.Contains(text, StringComparison.Ordinal);
    }

    private static bool NatContains(NetworkNamespace ns, string text)
    {
        var saved = ns.Exec("iptables-save", "-t", "nat");
        return saved.ExitCode == 0 && saved.Stdout.Contains(text, StringComparison.Ordinal);
    }

    private static async Task UntilAsync(Func<bool> condition, CancellationToken cancellationToken)
    {
        while (!condition())
        {
            await Task.Delay(50, cancellationToken);
        }
    }
}
