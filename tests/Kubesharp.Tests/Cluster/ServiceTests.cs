using System.Diagnostics;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Kubesharp.Tests.Cluster;

/// <summary>
/// Services across the nodes of the <see cref="MultiNodeCluster"/> (issue 8): node 1's kube-proxy runs in iptables mode,
/// node 2's in nftables mode, so every check made from a client pod on each node covers both modes. A Deployment of
/// three HTTP pods spread over both nodes answers by DNS name and cluster IP from pods, by NodePort from the host; a
/// Service scaled to zero refuses at once; a deleted pod leaves the rules; a headless Service resolves to pod IPs.
/// Needs root: skipped visibly otherwise.
/// </summary>
[Collection(MultiNodeClusterCollection.Name)]
public sealed class ServiceTests(MultiNodeCluster cluster, ITestOutputHelper output)
{
    // busybox httpd answering its pod's name.
    private const string NameServer = "mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8080 -h /www";

    private static readonly SemaphoreSlim Setup = new(1, 1);
    private static bool _webReady;

    /// <summary>The <c>web</c> Deployment (3 replicas, at most one more on either node), its NodePort Service and one client pod per node; created once for the class.</summary>
    private async Task<IReadOnlyList<(string Name, string Node, string Ip)>> WebAsync()
    {
        await Setup.WaitAsync();
        try
        {
            if (!_webReady)
            {
                await DeploySpreadAsync("web", 3);
                await ServiceAsync("web", "NodePort");
                await WaitServedAsync("web");
                for (var i = 1; i <= MultiNodeCluster.Nodes; i++)
                {
                    await cluster.RunPodAsync(Client(i), i, "exec sleep 3600");
                }

                _webReady = true;
            }
        }
        finally
        {
            Setup.Release();
        }

        var pods = await cluster.PodsAsync("web");
        Assert.Equal(3, pods.Count);
        Assert.Equal(MultiNodeCluster.Nodes, pods.Select(p => p.Node).Distinct().Count());
        return pods;
    }

    private static string Client(int node) => $"client-{node}";

    [SkippableFact]
    public async Task A_service_name_reaches_every_backend_from_pods_on_both_nodes()
    {
        Skip.IfNot(cluster.Available, cluster.SkipReason);
        var pods = await WebAsync();
        var clusterIp = (await cluster.KubectlAsync("get", "service", "web", "-o", "jsonpath={.spec.clusterIP}")).Trim();
        Assert.StartsWith("10.43.", clusterIp, StringComparison.Ordinal);

        for (var node = 1; node <= MultiNodeCluster.Nodes; node++)
        {
            // The search path of resolv.conf makes the short name work too; the full name goes through the cluster DNS.
            var lookup = await cluster.ExecAsync(Client(node), "nslookup", "web.default.svc.cluster.local");
            Assert.True(lookup.ExitCode == 0, $"nslookup on {MultiNodeCluster.NodeName(node)}: {lookup.Stdout}{lookup.Stderr}");
            Assert.Contains(clusterIp, lookup.Stdout, StringComparison.Ordinal);

            var seen = await FetchManyAsync(Client(node), "web.default.svc.cluster.local", 40);
            output.WriteLine($"{MultiNodeCluster.NodeName(node)} ({MultiNodeCluster.ProxyModes[node - 1]}): {string.Join(", ", seen.Select(kv => $"{kv.Key}={kv.Value}"))}");
            Assert.Equal(pods.Select(p => p.Name).Order(), seen.Keys.Order());

            // The short name through resolv.conf's search path (busybox's nslookup also prints the NXDOMAINs of the
            // other search domains and exits 1 for them).
            var shortName = await cluster.ExecAsync(Client(node), "nslookup", "web");
            Assert.Contains("Name:\tweb.default.svc.cluster.local", shortName.Stdout, StringComparison.Ordinal);
            Assert.Contains(clusterIp, shortName.Stdout, StringComparison.Ordinal);
        }
    }

    [SkippableFact]
    public async Task A_node_port_reaches_every_backend_from_the_host_on_both_nodes()
    {
        Skip.IfNot(cluster.Available, cluster.SkipReason);
        var pods = await WebAsync();
        var nodePort = (await cluster.KubectlAsync("get", "service", "web", "-o", "jsonpath={.spec.ports[0].nodePort}")).Trim();
        Assert.InRange(int.Parse(nodePort, System.Globalization.CultureInfo.InvariantCulture), 30000, 32767);

        using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero, MaxConnectionsPerServer = 1 }) { Timeout = TimeSpan.FromSeconds(5) };
        for (var node = 1; node <= MultiNodeCluster.Nodes; node++)
        {
            var seen = new Dictionary<string, int>();
            for (var i = 0; i < 40; i++)
            {
                // A new connection each time: the choice of backend is per connection.
                using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{MultiNodeCluster.NodeIp(node)}:{nodePort}/") { Headers = { ConnectionClose = true } };
                using var response = await http.SendAsync(request);
                var name = (await response.Content.ReadAsStringAsync()).Trim();
                seen[name] = seen.GetValueOrDefault(name) + 1;
            }

            output.WriteLine($"{MultiNodeCluster.NodeIp(node)}:{nodePort}: {string.Join(", ", seen.Select(kv => $"{kv.Key}={kv.Value}"))}");
            Assert.Equal(pods.Select(p => p.Name).Order(), seen.Keys.Order());
        }
    }

    [SkippableFact]
    public async Task A_headless_service_resolves_to_the_pod_ips()
    {
        Skip.IfNot(cluster.Available, cluster.SkipReason);
        var pods = await WebAsync();
        await cluster.ApplyAsync(ServiceManifest("web-headless", "ClusterIP", "web", headless: true));

        for (var node = 1; node <= MultiNodeCluster.Nodes; node++)
        {
            string answer = "";
            var deadline = Stopwatch.StartNew();
            while (deadline.Elapsed < TimeSpan.FromSeconds(30))
            {
                var lookup = await cluster.ExecAsync(Client(node), "nslookup", "web-headless.default.svc.cluster.local");
                answer = lookup.Stdout + lookup.Stderr;
                if (pods.All(p => answer.Contains(p.Ip, StringComparison.Ordinal)))
                {
                    break;
                }

                await Task.Delay(500);
            }

            foreach (var pod in pods)
            {
                Assert.Contains(pod.Ip, answer, StringComparison.Ordinal);
            }
        }
    }

    [SkippableFact]
    public async Task A_service_scaled_to_zero_refuses_connections_at_once()
    {
        Skip.IfNot(cluster.Available, cluster.SkipReason);
        await WebAsync();
        await DeploySpreadAsync("fleeting", 2);
        await ServiceAsync("fleeting", "ClusterIP");
        await WaitServedAsync("fleeting");
        for (var node = 1; node <= MultiNodeCluster.Nodes; node++)
        {
            Assert.NotEmpty(await FetchManyAsync(Client(node), "fleeting.default.svc.cluster.local", 4));
        }

        var before = await cluster.PodsAsync("fleeting");
        await cluster.KubectlAsync("scale", "deployment/fleeting", "--replicas=0");
        await cluster.KubectlAsync("wait", "--for=delete", "pod", "-l", "app=fleeting", "--timeout=60s");
        for (var node = 1; node <= MultiNodeCluster.Nodes; node++)
        {
            // A connection made before the node's rules caught up would go to a pod that is gone and hang: wait for
            // the rules first. From then on every attempt is refused (an ICMP port unreachable from the REJECT rule).
            foreach (var pod in before)
            {
                Assert.True(await WaitRulesAsync(node, pod.Ip, present: false), $"{pod.Ip} still in the rules of {MultiNodeCluster.NodeName(node)}");
            }

            string last = "";
            var deadline = Stopwatch.StartNew();
            while (deadline.Elapsed < TimeSpan.FromSeconds(60))
            {
                var r = await cluster.ExecAsync(Client(node), "timeout", "10", "wget", "-qO-", "http://fleeting.default.svc.cluster.local/");
                last = r.Stdout + r.Stderr;
                if (r.ExitCode != 0 && last.Contains("refused", StringComparison.OrdinalIgnoreCase))
                {
                    break;
                }

                await Task.Delay(300);
            }

            output.WriteLine($"{MultiNodeCluster.NodeName(node)} ({MultiNodeCluster.ProxyModes[node - 1]}), after scaling to 0: {last.Trim()}");
            Assert.Contains("refused", last, StringComparison.OrdinalIgnoreCase);
        }

        await cluster.KubectlAsync("delete", "deployment/fleeting", "service/fleeting", "--wait=false");
    }

    [SkippableFact]
    public async Task A_deleted_pod_leaves_the_rules_of_both_nodes()
    {
        Skip.IfNot(cluster.Available, cluster.SkipReason);
        await WebAsync();
        await DeploySpreadAsync("doomed", 2);
        await ServiceAsync("doomed", "ClusterIP");
        var pods = await cluster.PodsAsync("doomed");
        var victim = pods[0];
        for (var node = 1; node <= MultiNodeCluster.Nodes; node++)
        {
            await WaitRulesAsync(node, victim.Ip, present: true);
        }

        var clock = Stopwatch.StartNew();
        await cluster.KubectlAsync("delete", "pod", victim.Name, "--wait=false");
        for (var node = 1; node <= MultiNodeCluster.Nodes; node++)
        {
            var gone = await WaitRulesAsync(node, victim.Ip, present: false);
            output.WriteLine($"{MultiNodeCluster.NodeName(node)} ({MultiNodeCluster.ProxyModes[node - 1]}): {victim.Ip} out of the rules {clock.ElapsedMilliseconds} ms after the delete request");
            Assert.True(gone, $"{victim.Ip} still in the {MultiNodeCluster.ProxyModes[node - 1]} rules of {MultiNodeCluster.NodeName(node)}");
        }

        await cluster.KubectlAsync("delete", "deployment/doomed", "service/doomed", "--wait=false");
    }

    /// <summary>Waits (bounded) until every node's rules lead to every pod of <paramref name="app"/>.</summary>
    private async Task WaitServedAsync(string app)
    {
        foreach (var pod in await cluster.PodsAsync(app))
        {
            for (var node = 1; node <= MultiNodeCluster.Nodes; node++)
            {
                Assert.True(await WaitRulesAsync(node, pod.Ip, present: true), $"{pod.Ip} ({pod.Name}) never reached the {MultiNodeCluster.ProxyModes[node - 1]} rules of {MultiNodeCluster.NodeName(node)}");
            }
        }
    }

    /// <summary>Whether the node's kube-proxy rules name <paramref name="ip"/> as an endpoint, polled until it is <paramref name="present"/> (bounded).</summary>
    private static async Task<bool> WaitRulesAsync(int node, string ip, bool present)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var rules = MultiNodeCluster.ProxyModes[node - 1] == "nftables"
                ? await MultiNodeCluster.InNodeAsync(node, "nft", "list", "table", "ip", "kube-proxy")
                : await MultiNodeCluster.InNodeAsync(node, "iptables-save", "-t", "nat");
            // nftables: an endpoint chain's "dnat to IP:port", or a fast-path map element "... : IP . port".
            var has = rules.Stdout.Contains("dnat to " + ip + ":", StringComparison.Ordinal)
                || rules.Stdout.Contains(": " + ip + " . ", StringComparison.Ordinal)
                || rules.Stdout.Contains("--to-destination " + ip + ":", StringComparison.Ordinal);
            if (has == present)
            {
                return true;
            }

            if (deadline.Elapsed > TimeSpan.FromSeconds(30))
            {
                return false;
            }

            await Task.Delay(100);
        }
    }

    /// <summary>
    /// Fetches <c>http://NAME/</c> <paramref name="count"/> times from a pod, each time resolving the name through the
    /// cluster DNS and on a new connection: how often each pod answered. (busybox's <c>wget -T</c> crashes: the
    /// timeout comes from <c>timeout</c>.)
    /// </summary>
    private async Task<Dictionary<string, int>> FetchManyAsync(string pod, string name, int count)
    {
        var r = await cluster.ExecAsync(pod, "sh", "-c",
            $"for i in $(seq {count}); do timeout 30 wget -qO- http://{name}/ 2>&1 || echo FAILED; done");
        Assert.True(r.ExitCode == 0, $"{pod}: {r.Stderr}");
        var seen = new Dictionary<string, int>();
        foreach (var line in r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            seen[line] = seen.GetValueOrDefault(line) + 1;
        }

        Assert.False(seen.Keys.Any(k => k.StartsWith("FAILED", StringComparison.Ordinal)), $"{pod}: some requests to {name} failed: {r.Stdout}{r.Stderr}");
        return seen;
    }

    /// <summary>A Deployment whose pods the scheduler must spread over the nodes (a topology spread constraint on the hostname).</summary>
    private async Task DeploySpreadAsync(string name, int replicas)
    {
        var labels = new JsonObject { ["app"] = name };
        await cluster.ApplyAsync(new JsonObject
        {
            ["apiVersion"] = "apps/v1",
            ["kind"] = "Deployment",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "default" },
            ["spec"] = new JsonObject
            {
                ["replicas"] = replicas,
                ["selector"] = new JsonObject { ["matchLabels"] = labels.DeepClone() },
                ["template"] = new JsonObject
                {
                    ["metadata"] = new JsonObject { ["labels"] = labels.DeepClone() },
                    ["spec"] = new JsonObject
                    {
                        ["terminationGracePeriodSeconds"] = 1,
                        ["topologySpreadConstraints"] = new JsonArray(new JsonObject
                        {
                            ["maxSkew"] = 1,
                            ["topologyKey"] = "kubernetes.io/hostname",
                            ["whenUnsatisfiable"] = "DoNotSchedule",
                            ["labelSelector"] = new JsonObject { ["matchLabels"] = labels.DeepClone() },
                        }),
                        ["containers"] = new JsonArray(new JsonObject
                        {
                            ["name"] = "web",
                            ["image"] = MultiNodeCluster.Busybox,
                            ["command"] = new JsonArray("sh", "-c", NameServer),
                            ["ports"] = new JsonArray(new JsonObject { ["name"] = "http", ["containerPort"] = 8080 }),
                            ["readinessProbe"] = new JsonObject
                            {
                                ["tcpSocket"] = new JsonObject { ["port"] = 8080 },
                                ["periodSeconds"] = 1,
                            },
                        }),
                    },
                },
            },
        });
        await cluster.KubectlAsync("rollout", "status", "deployment/" + name, "--timeout=120s");
    }

    private Task ServiceAsync(string name, string type) => cluster.ApplyAsync(ServiceManifest(name, type, name, headless: false));

    private static JsonObject ServiceManifest(string name, string type, string app, bool headless)
    {
        var spec = new JsonObject
        {
            ["type"] = type,
            ["selector"] = new JsonObject { ["app"] = app },
            ["ports"] = new JsonArray(new JsonObject { ["name"] = "http", ["port"] = 80, ["targetPort"] = "http" }),
        };
        if (headless)
        {
            spec["clusterIP"] = "None";
        }

        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Service",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "default" },
            ["spec"] = spec,
        };
    }
}
