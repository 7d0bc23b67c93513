// proxy-bench: kube-proxy's full sync (render + apply) of 1,000 and 10,000 Services of 10 endpoints each, and the time
// from an EndpointSlice change to the rules applied (p99), inside a network namespace this program creates (root).
// Usage: Kubesharp.Bench.Proxy [--mode iptables|nftables] [--changes N] [--large N (default 10000; the sync_10k figure's size)]
// The synthetic endpoints sit on 20 nodes, one in 20 on this one (as in a 20-node cluster); with
// KUBESHARP_BENCH_UNKNOWN_NODES=1 they have no node name (the nftables fast path then lists every endpoint as a
// possible hairpin).
using System.Diagnostics;
using System.Globalization;
using k8s;
using k8s.Models;
using Kubesharp.ApiServer.Hosting;
using Kubesharp.Proxy.Model;
using Kubesharp.Proxy.Proxier;
using Kubesharp.Storage.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

var mode = ProxyBackends.Iptables;
var changes = 100;
var large = 10_000;
for (var i = 0; i < args.Length - 1; i++)
{
    if (args[i] == "--mode")
    {
        mode = args[++i];
    }
    else if (args[i] == "--large")
    {
        large = int.Parse(args[++i], CultureInfo.InvariantCulture);
    }
    else if (args[i] == "--changes")
    {
        changes = int.Parse(args[++i], CultureInfo.InvariantCulture);
    }
}

var nsName = $"ks-benchproxy-{Environment.ProcessId}";
Run("ip", "netns", "add", nsName);
try
{
    var tool = new RuleTool("/var/run/netns/" + nsName);
    var node = new NodeProxyContext { NodeName = "bench-node" };

    var sync1k = await FullSyncAsync(1_000);
    var sync10k = await FullSyncAsync(large);
    var p99 = await ChangeToRulesAsync();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  mode {mode}; sync_10k_ms is for {large} services"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"proxy-bench: sync_1k_ms={sync1k:F0} sync_10k_ms={sync10k:F0} change_to_rules_p99_ms={p99:F0}"));

    // A full sync: render the snapshot and apply it. The first apply of a size creates every chain; the figure is the
    // median of three syncs after it (the steady state a periodic resync costs), each printed.
    async Task<double> FullSyncAsync(int services)
    {
        var backend = ProxyBackends.Create(mode, tool) ?? throw new InvalidOperationException($"no {mode} backend in this build");
        var snapshot = Synthetic(services, 10, 0);
        var times = new List<double>();
        for (var round = 0; round < 4; round++)
        {
            var sw = Stopwatch.StartNew();
            var rules = backend.Render(snapshot, node);
            var rendered = sw.Elapsed.TotalMilliseconds;
            if (round == 0 && Environment.GetEnvironmentVariable("KUBESHARP_BENCH_DUMP") is { Length: > 0 } dump)
            {
                // The exact input of one apply, to time the rule tool alone (iptables-restore / nft -f) by hand.
                await File.WriteAllTextAsync($"{dump}.{mode}.{services}", rules);
            }

            await backend.ApplyAsync(rules, CancellationToken.None);
            var total = sw.Elapsed.TotalMilliseconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {services} services x 10 endpoints, sync {round}: render {rendered:F0} ms, total {total:F0} ms ({rules.Length / 1024} KiB of rules)"));
            if (round > 0)
            {
                times.Add(total);
            }
        }

        await backend.CleanupAsync(CancellationToken.None);
        times.Sort();
        return times[times.Count / 2];
    }

    // An EndpointSlice update through a real API server, seen by kube-proxy's informer, synced by its runner (upstream's
    // default 1 s minimum interval) and applied: the time from the update call to the apply that carries it.
    async Task<double> ChangeToRulesAsync()
    {
        var dir = Directory.CreateTempSubdirectory("kubesharp-bench-proxy-").FullName;
        await using var store = await SqliteStore.OpenAsync(new SqliteStoreOptions { Path = Path.Combine(dir, "db", "state.db"), CompactionInterval = TimeSpan.Zero });
        var host = new ApiServerHost(new ApiServerOptions { DataDir = dir, Port = 0, RequireServiceAccounts = false }, store, NullLoggerFactory.Instance);
        await host.StartAsync(CancellationToken.None);
        try
        {
            using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(host.KubeconfigPath));
            const int services = 100;
            for (var s = 0; s < services; s++)
            {
                await client.CoreV1.CreateNamespacedServiceAsync(
                    new V1Service
                    {
                        Metadata = new V1ObjectMeta { Name = $"svc{s}" },
                        Spec = new V1ServiceSpec { ClusterIP = $"10.43.{1 + (s / 250)}.{1 + (s % 250)}", Ports = [new V1ServicePort { Name = "http", Port = 80, TargetPort = 8080 }] },
                    },
                    "default");
                await client.DiscoveryV1.CreateNamespacedEndpointSliceAsync(Slice(s, 0), "default");
            }

            var backend = new Marked(ProxyBackends.Create(mode, tool) ?? throw new InvalidOperationException($"no {mode} backend in this build"));
            await using var proxy = new KubeProxy(client, backend, new KubeProxyOptions { NodeName = "bench-node", HealthzPort = 0, MetricsPort = 0 }, NullLoggerFactory.Instance);
            await proxy.StartAsync(CancellationToken.None);
            using (var first = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
            {
                // The last Service's own endpoint: the first apply carries every Service. (This waited for
                // 10.200.0.99, an address only change 98 brings, so the first apply was never seen.)
                await backend.WaitForAsync(Slice(services - 1, 0).Endpoints[1].Addresses[0], first.Token);
            }

            var latencies = new List<double>();
            for (var c = 1; c <= changes; c++)
            {
                var svc = c % services;
                var current = await client.DiscoveryV1.ReadNamespacedEndpointSliceAsync($"svc{svc}-bench", "default");
                var next = Slice(svc, c);
                next.Metadata.ResourceVersion = current.Metadata.ResourceVersion;
                var marker = next.Endpoints[0].Addresses[0];
                var waiter = backend.Expect(marker);
                var sw = Stopwatch.StartNew();
                await client.DiscoveryV1.ReplaceNamespacedEndpointSliceAsync(next, next.Metadata.Name, "default");
                using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                await waiter.WaitAsync(bound.Token);
                latencies.Add(sw.Elapsed.TotalMilliseconds);
            }

            await backend.Inner.CleanupAsync(CancellationToken.None);
            latencies.Sort();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  change to rules over {changes} changes: p50 {latencies[latencies.Count / 2]:F0} ms, p99 {latencies[(int)Math.Ceiling(latencies.Count * 0.99) - 1]:F0} ms, max {latencies[^1]:F0} ms"));
            return latencies[(int)Math.Ceiling(latencies.Count * 0.99) - 1];
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
            Directory.Delete(dir, recursive: true);
        }
    }
}
finally
{
    Run("ip", "netns", "delete", nsName);
}

static V1EndpointSlice Slice(int service, int change) => new()
{
    Metadata = new V1ObjectMeta { Name = $"svc{service}-bench", Labels = new Dictionary<string, string> { ["kubernetes.io/service-name"] = $"svc{service}" } },
    AddressType = "IPv4",
    Ports = [new Discoveryv1EndpointPort { Name = "http", Port = 8080, Protocol = "TCP" }],
    Endpoints =
    [
        // The first address changes with every change: the marker the benchmark looks for in the applied rules.
        new V1Endpoint { Addresses = [$"10.200.{change / 250}.{(change % 250) + 1}"], Conditions = new V1EndpointConditions { Ready = true } },
        new V1Endpoint { Addresses = [$"10.201.{service / 250}.{(service % 250) + 1}"], Conditions = new V1EndpointConditions { Ready = true } },
    ],
};

static ProxySnapshot Synthetic(int services, int endpoints, int salt)
{
    var unknownNodes = Environment.GetEnvironmentVariable("KUBESHARP_BENCH_UNKNOWN_NODES") == "1";
    var list = new List<ServicePortEndpoints>(services);
    for (var s = 0; s < services; s++)
    {
        var svc = new ServicePortInfo
        {
            Name = new ServicePortName("bench", $"svc{s}", "http", "TCP"),
            ClusterIp = $"10.43.{s / 250}.{(s % 250) + 1}",
            Port = 80,
            Protocol = "TCP",
        };
        var eps = new List<EndpointInfo>(endpoints);
        for (var e = 0; e < endpoints; e++)
        {
            var n = (s * endpoints) + e + salt;
            var local = n % 20 == 0;
            eps.Add(new EndpointInfo
            {
                Ip = $"10.42.{n / 250 % 250}.{(n % 250) + 1}",
                Port = 8080 + (n / 62500),
                NodeName = unknownNodes ? null : local ? "bench-node" : $"node-{n % 20}",
                IsLocal = !unknownNodes && local,
            });
        }

        list.Add(new ServicePortEndpoints(svc, eps));
    }

    return new ProxySnapshot(list);
}

static void Run(params string[] args)
{
    var start = new ProcessStartInfo(args[0]) { UseShellExecute = false };
    foreach (var a in args.Skip(1))
    {
        start.ArgumentList.Add(a);
    }

    using var p = Process.Start(start)!;
    p.WaitForExit();
    if (p.ExitCode != 0)
    {
        throw new InvalidOperationException($"{string.Join(' ', args)} exited with {p.ExitCode}");
    }
}

/// <summary>
/// A backend that tells when an applied ruleset first carries an endpoint address on port 8080, as the chain layouts
/// write it (<c>IP:8080</c>) or the nftables fast path's maps do (<c>IP . 8080</c>).
/// </summary>
internal sealed class Marked(IProxyBackend inner) : IProxyBackend
{
    private readonly Lock _lock = new();
    private (string Marker, TaskCompletionSource Done)? _expected;

    public IProxyBackend Inner => inner;

    public string Mode => inner.Mode;

    public string Render(ProxySnapshot snapshot, NodeProxyContext node) => inner.Render(snapshot, node);

    public Task WaitForAsync(string marker, CancellationToken cancellationToken) => Expect(marker).WaitAsync(cancellationToken);

    public Task Expect(string marker)
    {
        lock (_lock)
        {
            var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _expected = (marker, tcs);
            return tcs.Task;
        }
    }

    public async Task ApplyAsync(string rules, CancellationToken cancellationToken)
    {
        await inner.ApplyAsync(rules, cancellationToken).ConfigureAwait(false);
        lock (_lock)
        {
            if (_expected is { } e && (rules.Contains(e.Marker + ":8080", StringComparison.Ordinal) || rules.Contains(e.Marker + " . 8080", StringComparison.Ordinal)))
            {
                e.Done.TrySetResult();
                _expected = null;
            }
        }
    }

    public Task CleanupAsync(CancellationToken cancellationToken) => inner.CleanupAsync(cancellationToken);
}
