using System.Net;

namespace Kubesharp.Tests.Cluster;

/// <summary>
/// Pod networking across the nodes of the <see cref="MultiNodeCluster"/>: every node Ready with its own pod CIDR, pods
/// on different nodes reach each other with their own addresses (routes via the node addresses, no masquerade between
/// pods), and the host reaches pod IPs and hostPorts. Needs root: skipped visibly otherwise.
/// </summary>
[Collection(MultiNodeClusterCollection.Name)]
public sealed class PodNetworkTests(MultiNodeCluster cluster)
{
    // busybox httpd with one CGI script that answers the client's address as the server saw it.
    private const string EchoSourceServer =
        "mkdir -p /www/cgi-bin && printf '#!/bin/sh\\necho Content-Type: text/plain\\necho\\necho $REMOTE_ADDR\\n' > /www/cgi-bin/ip && " +
        "chmod +x /www/cgi-bin/ip && exec httpd -f -p 8080 -h /www";

    [SkippableFact]
    public async Task Both_nodes_are_Ready_with_their_own_pod_cidrs_and_addresses()
    {
        Skip.IfNot(cluster.Available, cluster.SkipReason);

        var lines = await cluster.KubectlAsync("get", "nodes", "-o",
            "jsonpath={range .items[*]}{.metadata.name} {.status.conditions[?(@.type==\"Ready\")].status} {.spec.podCIDR} {.status.addresses[?(@.type==\"InternalIP\")].address}{\"\\n\"}{end}");
        var nodes = lines.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')).ToDictionary(f => f[0]);

        var cidrs = new List<IPNetwork>();
        for (var i = 1; i <= MultiNodeCluster.Nodes; i++)
        {
            Assert.True(nodes.TryGetValue(MultiNodeCluster.NodeName(i), out var node), $"no node {MultiNodeCluster.NodeName(i)} in: {lines}");
            Assert.Equal("True", node[1]);
            Assert.True(IPNetwork.TryParse(node[2], out var cidr) && cidr.PrefixLength == 24 && IPNetwork.Parse(MultiNodeCluster.ClusterCidr).Contains(cidr.BaseAddress), $"{node[0]}: pod CIDR {node[2]}");
            Assert.Equal(MultiNodeCluster.NodeIp(i), node[3]);
            cidrs.Add(cidr);
        }

        Assert.Equal(cidrs.Count, cidrs.Distinct().Count());
    }

    [SkippableFact]
    public void Each_agent_runs_as_the_ahead_of_time_compiled_node_executable()
    {
        Skip.IfNot(cluster.Available, cluster.SkipReason);
        var binary = Environment.GetEnvironmentVariable("KUBESHARP_BIN") is { Length: > 0 } b ? b : Path.Combine(AppContext.BaseDirectory, "kubesharp");
        var node = Path.Combine(Path.GetDirectoryName(binary)!, "kubesharp-node");
        Skip.If(
            !File.Exists(node) && Environment.GetEnvironmentVariable("KUBESHARP_REQUIRE_RUNTIME") != "1",
            $"no {node}: scripts/build-node.sh builds it (make test does)");

        // `kubesharp agent` executes kubesharp-node in its own process (same PID) when it sits beside it (docs/adr/0023).
        for (var i = 1; i <= MultiNodeCluster.Nodes; i++)
        {
            var pid = File.ReadAllText(Path.Combine(cluster.Dir, $"node{i}", "agent.pid")).Trim();
            Assert.Equal(Path.GetFullPath(node), new FileInfo($"/proc/{pid}/exe").LinkTarget);
        }
    }

    [SkippableFact]
    public async Task Logs_and_exec_with_its_exit_code_come_through_a_node_executables_kubelet()
    {
        Skip.IfNot(cluster.Available, cluster.SkipReason);
        // The streams go API server -> the agent's kubelet HTTPS server (kubesharp-node, ahead of time compiled) ->
        // containerd: WebSocket upgrades, TLS with the cluster CA, the log reader.
        var pod = await cluster.RunPodAsync("aot-streams", 2, "echo first; echo second; exec sleep 3600");

        var logs = await cluster.KubectlAsync("logs", pod);
        var tail = await cluster.KubectlAsync("logs", pod, "--tail=1");
        var (code, stdout, stderr) = await cluster.ExecAsync(pod, "sh", "-c", "echo out; echo err >&2; exit 7");

        Assert.Equal("first\nsecond\n", logs);
        Assert.Equal("second\n", tail);
        Assert.True(code == 7, $"kubectl exec: exit {code}, stdout '{stdout}', stderr '{stderr}'");
        Assert.Equal("out", stdout.Trim());
        Assert.Contains("err", stderr, StringComparison.Ordinal);
        await cluster.KubectlAsync("delete", "pod", pod, "--wait=false");
    }

    [SkippableFact]
    public async Task A_pod_reaches_a_pod_on_the_other_node_with_its_own_address()
    {
        Skip.IfNot(cluster.Available, cluster.SkipReason);
        var server = await cluster.RunPodAsync("cross-server", 1, EchoSourceServer, containerPort: 8080);
        var client = await cluster.RunPodAsync("cross-client", 2, "exec sleep 3600");
        var serverIp = await cluster.PodIpAsync(server);
        var clientIp = await cluster.PodIpAsync(client);
        Assert.True(IPNetwork.Parse(await cluster.PodCidrAsync(1)).Contains(IPAddress.Parse(serverIp)), $"server pod {serverIp} is not in ks-node1's pod CIDR");
        Assert.True(IPNetwork.Parse(await cluster.PodCidrAsync(2)).Contains(IPAddress.Parse(clientIp)), $"client pod {clientIp} is not in ks-node2's pod CIDR");

        var (code, stdout, stderr) = await cluster.ExecAsync(client, "timeout", "10", "wget", "-qO-", $"http://{serverIp}:8080/cgi-bin/ip");

        Assert.True(code == 0, $"wget from {clientIp} (ks-node2) to {serverIp} (ks-node1) failed: exit {code}: {stderr}");
        // Not ks-node2's address: pod to pod traffic is not masqueraded.
        Assert.Equal(clientIp, SeenAddress(stdout));
    }

    [SkippableFact]
    public async Task The_host_reaches_a_pod_ip_and_a_host_port_on_a_node()
    {
        Skip.IfNot(cluster.Available, cluster.SkipReason);
        // The pod goes on a node whose pod CIDR this host routes through the cluster's bridge (another test's cni0 on
        // this host may own the same CIDR, and its connected route wins).
        int? node = null;
        for (var i = MultiNodeCluster.Nodes; i >= 1 && node is null; i--)
        {
            var cidr = IPNetwork.Parse(await cluster.PodCidrAsync(i));
            if (await MultiNodeCluster.HostRoutesThroughBridgeAsync(cidr.BaseAddress.ToString()))
            {
                node = i;
            }
        }

        Assert.True(node is not null, "this host routes no node's pod CIDR through ksbr0 (a cni0 of another runtime on this host shadows them all)");
        var pod = await cluster.RunPodAsync("host-reach", node.Value, EchoSourceServer, containerPort: 8080, hostPort: 18080);
        var podIp = await cluster.PodIpAsync(pod);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };

        var byPodIp = await http.GetStringAsync($"http://{podIp}:8080/cgi-bin/ip");
        var byHostPort = await http.GetStringAsync($"http://{MultiNodeCluster.NodeIp(node.Value)}:18080/cgi-bin/ip");

        // The host's own address on the bridge: traffic to a pod keeps its source.
        Assert.Equal("10.77.0.1", SeenAddress(byPodIp));
        Assert.True(IPAddress.TryParse(SeenAddress(byHostPort), out _), $"the hostPort answered {byHostPort}");
    }

    // busybox httpd gives CGI scripts the client's address as an IPv4-mapped IPv6 address in brackets: [::ffff:10.44.1.2].
    private static string SeenAddress(string remoteAddr)
    {
        var address = remoteAddr.Trim().TrimStart('[').TrimEnd(']');
        return address.StartsWith("::ffff:", StringComparison.OrdinalIgnoreCase) ? address["::ffff:".Length..] : address;
    }
}
