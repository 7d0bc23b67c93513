// proxy-bench: kube-proxy's full sync (render + apply) of 1,000 and 10,000 Services of 10 endpoints each, and the time
// from an EndpointSlice change to the rules applied (p99), inside a network namespace this program creates (root).
// Usage: Kubesharp.Bench.Proxy [--mode iptables|nftables] [--changes N] [--large N (default 10000; the sync_10k figure's size)]
//   [--change-services N (the change bench's size; default: --large in nftables mode, 1,000 (or --large if smaller) in
//   iptables mode: changes are partial restores there too, but the first, full, sync of 10,000 Services takes minutes)]
// The change bench runs twice on the same cluster: changes at a steady one per min-sync-period (1 s, the rate the
// proxy is configured to absorb: the headline change_to_rules_p99_ms), and back to back (the next change as soon as the
// previous one is applied, so each waits for the min-sync-period token bucket).
// The synthetic endpoints sit on 20 nodes, one in 20 on this one (as in a 20-node cluster); with
// KUBESHARP_BENCH_UNKNOWN_NODES=1 they have no node name (the nftables fast path then lists every endpoint as a
// possible hairpin).
using System.Diagnostics;
using System.Globalization;
using k8s;
using k8s.Models;
using Kubesharp.ApiServer.Hosting;
using Kubesharp.Proxy.Model;
using Kubesharp.Proxy.Nftables;
using Kubesharp.Proxy.Proxier;
using Kubesharp.Storage.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

var mode = ProxyBackends.Iptables;
var changes = 100;
var large = 10_000;
int? changeServices = null;
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
    else if (args[i] == "--change-services")
    {
        changeServices = int.Parse(args[++i], CultureInfo.InvariantCulture);
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
    var p99 = await ChangeToRulesAsync(changeServices ?? (mode == ProxyBackends.Nftables ? large : Math.Min(large, 1_000)));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  mode {mode}; sync_10k_ms is for {large} services; change_to_rules_p99_ms is the steady-rate figure"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"proxy-bench: sync_1k_ms={sync1k:F0} sync_10k_ms={sync10k:F0} change_to_rules_p99_ms={p99:F0}"));

    // A full sync: render the snapshot and apply it. The first apply of a size creates every chain; the figure is the
    // median of three syncs after it (the steady state a periodic resync costs), each printed, with its split: render,
    // the rule tool (nftables: nft -f alone), and the rest of the apply (nftables: finding stale objects in the text).
    async Task<double> FullSyncAsync(int services)
    {
        var backend = ProxyBackends.Create(mode, tool) ?? throw new InvalidOperationException($"no {mode} backend in this build");
        var snapshot = Synthetic(services, 10, 0);
        var times = new List<(double Total, double Render, double Tool)>();
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
            var toolMs = backend is NftablesBackend nft ? nft.LastRunElapsed.TotalMilliseconds : double.NaN;
            var split = double.IsNaN(toolMs) ? $"apply {total - rendered:F0} ms" : $"nft -f {toolMs:F0} ms";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {services} services x 10 endpoints, sync {round}: render {rendered:F0} ms, {split}, total {total:F0} ms ({rules.Length / 1024} KiB of rules)"));
            if (round > 0)
            {
                times.Add((total, rendered, toolMs));
            }
        }

        await backend.CleanupAsync(CancellationToken.None);
        times.Sort();
        var median = times[times.Count / 2];
        Console.WriteLine(double.IsNaN(median.Tool)
            ? string.Create(CultureInfo.InvariantCulture, $"  {services} services full sync, median of 3: total {median.Total:F0} ms = render {median.Render:F0} ms + apply {median.Total - median.Render:F0} ms")
            : string.Create(CultureInfo.InvariantCulture, $"  {services} services full sync, median of 3: total {median.Total:F0} ms = render {median.Render:F0} ms + nft -f {median.Tool:F0} ms + other {median.Total - median.Render - median.Tool:F0} ms (stale-object scan, input assembly)"));
        return median.Total;
    }

    // EndpointSlice updates through a real API server, seen by kube-proxy's informer, synced by its runner (upstream's
    // default 1 s minimum interval, burst 2) and applied: the time from each update call to the apply that carries it.
    // Returns the steady-rate p99.
    async Task<double> ChangeToRulesAsync(int services)
    {
        var dir = Directory.CreateTempSubdirectory("kubesharp-bench-proxy-").FullName;
        await using var store = await SqliteStore.OpenAsync(new SqliteStoreOptions { Path = Path.Combine(dir, "db", "state.db"), CompactionInterval = TimeSpan.Zero });
        var host = new ApiServerHost(new ApiServerOptions { DataDir = dir, Port = 0, RequireServiceAccounts = false }, store, NullLoggerFactory.Instance);
        await host.StartAsync(CancellationToken.None);
        try
        {
            using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(host.KubeconfigPath));
            var created = Stopwatch.StartNew();
            await Parallel.ForAsync(0, services, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (s, ct) =>
            {
                await client.CoreV1.CreateNamespacedServiceAsync(
                    new V1Service
                    {
                        Metadata = new V1ObjectMeta { Name = $"svc{s}" },
                        Spec = new V1ServiceSpec { ClusterIP = $"10.43.{1 + (s / 250)}.{1 + (s % 250)}", Ports = [new V1ServicePort { Name = "http", Port = 80, TargetPort = 8080 }] },
                    },
                    "default",
                    cancellationToken: ct);
                await client.DiscoveryV1.CreateNamespacedEndpointSliceAsync(Slice(s, 0), "default", cancellationToken: ct);
            });
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  change bench: {services} Services and EndpointSlices (10 endpoints) created through the API server in {created.Elapsed.TotalSeconds:F1} s"));

            var backend = new Marked(ProxyBackends.Create(mode, tool) ?? throw new InvalidOperationException($"no {mode} backend in this build"));
            var options = new KubeProxyOptions { NodeName = "bench-node", HealthzPort = 0, MetricsPort = 0 };
            await using var proxy = new KubeProxy(client, backend, options, NullLoggerFactory.Instance);
            var firstSync = Stopwatch.StartNew();
            await proxy.StartAsync(CancellationToken.None);
            using (var first = new CancellationTokenSource(TimeSpan.FromMinutes(5)))
            {
                // The last Service's own endpoint: the first apply carries every Service.
                await backend.WaitForAsync(Slice(services - 1, 0).Endpoints[1].Addresses[0], first.Token);
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  change bench: first (full) sync of {services} Services applied {firstSync.Elapsed.TotalMilliseconds:F0} ms after the proxy started"));

            var change = 0;
            var before = proxy.SyncCounts;
            var steady = await MeasureAsync(options.MinSyncPeriod);
            var afterSteady = proxy.SyncCounts;
            Report($"change to rules, {services} services, one change per {options.MinSyncPeriod.TotalSeconds:F0} s (min-sync-period) [headline]", steady, (afterSteady.Full - before.Full, afterSteady.Partial - before.Partial));
            var backToBack = await MeasureAsync(null);
            var after = proxy.SyncCounts;
            Report($"change to rules BACK-TO-BACK, {services} services, next change as soon as the previous is applied (waits for the min-sync-period token bucket)", backToBack, (after.Full - afterSteady.Full, after.Partial - afterSteady.Partial));

            await backend.Inner.CleanupAsync(CancellationToken.None);
            return P99(steady);

            // Each change replaces one Service's slice (a new first endpoint, the marker); with a period, change k is
            // made at start + k periods (or when change k-1 is applied, if that is later).
            async Task<List<double>> MeasureAsync(TimeSpan? period)
            {
                var latencies = new List<double>();
                var clock = Stopwatch.StartNew();
                for (var k = 1; k <= changes; k++)
                {
                    if (period is { } p && p * k - clock.Elapsed is { } wait && wait > TimeSpan.Zero)
                    {
                        await Task.Delay(wait);
                    }

                    change++;
                    var svc = (int)((long)change * 7919 % services);
                    var current = await client.DiscoveryV1.ReadNamespacedEndpointSliceAsync($"svc{svc}-bench", "default");
                    var next = Slice(svc, change);
                    next.Metadata.ResourceVersion = current.Metadata.ResourceVersion;
                    var waiter = backend.Expect(next.Endpoints[0].Addresses[0]);
                    var sw = Stopwatch.StartNew();
                    await client.DiscoveryV1.ReplaceNamespacedEndpointSliceAsync(next, next.Metadata.Name, "default");
                    using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                    await waiter.WaitAsync(bound.Token);
                    latencies.Add(sw.Elapsed.TotalMilliseconds);
                }

                latencies.Sort();
                return latencies;
            }
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

static double P99(List<double> sorted) => sorted[(int)Math.Ceiling(sorted.Count * 0.99) - 1];

static void Report(string what, List<double> sorted, (long Full, long Partial) syncs) =>
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {what}: p50 {sorted[sorted.Count / 2]:F0} ms, p99 {P99(sorted):F0} ms, max {sorted[^1]:F0} ms over {sorted.Count} changes ({syncs.Full} full and {syncs.Partial} partial syncs during them)"));

static V1EndpointSlice Slice(int service, int change) => new()
{
    Metadata = new V1ObjectMeta { Name = $"svc{service}-bench", Labels = new Dictionary<string, string> { ["kubernetes.io/service-name"] = $"svc{service}" } },
    AddressType = "IPv4",
    Ports = [new Discoveryv1EndpointPort { Name = "http", Port = 8080, Protocol = "TCP" }],
    Endpoints =
    [
        // The first address changes with every change: the marker the benchmark looks for in the applied rules.
        new V1Endpoint { Addresses = [$"10.200.{change / 250}.{(change % 250) + 1}"], Conditions = new V1EndpointConditions { Ready = true } },
        // Nine more that stay: 10 endpoints per Service, as in the sync bench.
        .. Enumerable.Range(0, 9).Select(k => new V1Endpoint { Addresses = [$"10.{201 + k}.{service / 250}.{(service % 250) + 1}"], Conditions = new V1EndpointConditions { Ready = true } }),
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
internal sealed class Marked(IProxyBackend inner) : IPartialSyncBackend
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

    /// <summary>Forwards to the inner backend's partial syncs, or makes every sync a full one when it has none.</summary>
    public ProxySync Prepare(ProxySnapshot snapshot, NodeProxyContext node, IReadOnlySet<(string Namespace, string Name)>? changedServices) =>
        inner is IPartialSyncBackend partial ? partial.Prepare(snapshot, node, changedServices) : new FullText(inner.Render(snapshot, node));

    public async Task ApplyAsync(ProxySync sync, CancellationToken cancellationToken)
    {
        if (sync is FullText full)
        {
            await inner.ApplyAsync(full.Rules, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await ((IPartialSyncBackend)inner).ApplyAsync(sync, cancellationToken).ConfigureAwait(false);
        }

        Seen(sync.Rules);
    }

    public async Task ApplyAsync(string rules, CancellationToken cancellationToken)
    {
        await inner.ApplyAsync(rules, cancellationToken).ConfigureAwait(false);
        Seen(rules);
    }

    private void Seen(string rules)
    {
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

    private sealed class FullText(string rules) : ProxySync
    {
        public override string Rules => rules;

        public override bool Full => true;
    }
}
