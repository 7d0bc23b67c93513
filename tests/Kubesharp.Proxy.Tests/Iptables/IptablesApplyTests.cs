using Kubesharp.Proxy.Iptables;
using Kubesharp.Proxy.Model;
using Kubesharp.Proxy.Tests.Nftables;

namespace Kubesharp.Proxy.Tests.Iptables;

/// <summary>The rendered rules applied for real with iptables-restore, inside a network namespace of the test's own (root).</summary>
public sealed class IptablesApplyTests
{
    private static readonly NodeProxyContext Node = new() { NodeName = "test-node", ClusterCidr = "10.0.0.0/8" };

    private static readonly ServicePortInfo Svc1 = new()
    {
        Name = new ServicePortName("ns1", "svc1", "p80", "TCP"),
        ClusterIp = "172.30.0.41",
        Port = 80,
        Protocol = "TCP",
        NodePort = 30080,
    };

    private static readonly ServicePortInfo Empty = new()
    {
        Name = new ServicePortName("ns1", "empty", "", "TCP"),
        ClusterIp = "172.30.0.42",
        Port = 80,
        Protocol = "TCP",
    };

    [SkippableFact]
    public async Task ApplyReapplyAndCleanup()
    {
        using var ns = NetworkNamespace.Create();
        Skip.If(ns is null, NetworkNamespace.SkipReason);
        var backend = new IptablesBackend(ns.Tool);
        var ct = TestContext.Timeout(60);
        var sepA = ChainNames.Endpoint("ns1/svc1:p80", "tcp", "10.180.0.1:80");
        var sepB = ChainNames.Endpoint("ns1/svc1:p80", "tcp", "10.180.0.2:80");

        await backend.ApplyAsync(backend.Render(Snapshot(Ep("10.180.0.1"), Ep("10.180.0.2")), Node), ct);
        var saved = ns.Exec("iptables-save").ThrowIfFailed().Stdout;
        Assert.Contains(":KUBE-SVC-XPGD46QRK7WJZT7O", saved, StringComparison.Ordinal);
        Assert.Contains(":" + sepA, saved, StringComparison.Ordinal);
        Assert.Contains(":" + sepB, saved, StringComparison.Ordinal);
        Assert.Contains("-A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES", saved, StringComparison.Ordinal);
        Assert.Contains("-A POSTROUTING -m comment --comment \"kubernetes postrouting rules\" -j KUBE-POSTROUTING", saved, StringComparison.Ordinal);
        Assert.Contains("-j REJECT --reject-with icmp-port-unreachable", saved, StringComparison.Ordinal);
        Assert.Equal("1", ns.Exec("sysctl", "-n", "net.ipv4.conf.all.route_localnet").ThrowIfFailed().Stdout.Trim());

        // An endpoint gone: its chain is deleted, the other stays; applying twice changes nothing.
        var rules = backend.Render(Snapshot(Ep("10.180.0.2")), Node);
        await backend.ApplyAsync(rules, ct);
        await backend.ApplyAsync(rules, ct);
        saved = ns.Exec("iptables-save").ThrowIfFailed().Stdout;
        Assert.DoesNotContain(sepA, saved, StringComparison.Ordinal);
        Assert.Contains(":" + sepB, saved, StringComparison.Ordinal);
        Assert.Single(saved.Split('\n'), l => l == "-A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES");

        // A fresh backend (a restarted proxy) finds the stale chains in the kernel.
        var restarted = new IptablesBackend(ns.Tool);
        await restarted.ApplyAsync(restarted.Render(ProxySnapshot.Empty, Node), ct);
        saved = ns.Exec("iptables-save").ThrowIfFailed().Stdout;
        Assert.DoesNotContain("KUBE-SVC-", saved, StringComparison.Ordinal);
        Assert.DoesNotContain("KUBE-SEP-", saved, StringComparison.Ordinal);

        await restarted.CleanupAsync(ct);
        saved = ns.Exec("iptables-save").ThrowIfFailed().Stdout;
        Assert.DoesNotContain("KUBE-", saved, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task TrafficToTheClusterIpReachesTheEndpointAndAServiceWithoutEndpointsRefusesAtOnce()
    {
        using var ns = NetworkNamespace.Create();
        Skip.If(ns is null, NetworkNamespace.SkipReason);
        var ct = TestContext.Timeout(60);
        // A veth pair (no dummy module in this kernel): 10.181.0.1 is the client's source, 10.181.0.9 the endpoint; the service range is routed to it.
        ns.Exec("ip", "link", "add", "ks0", "type", "veth", "peer", "name", "ks1").ThrowIfFailed();
        ns.Exec("ip", "link", "set", "ks1", "up").ThrowIfFailed();
        ns.Exec("ip", "addr", "add", "10.181.0.1/24", "dev", "ks0").ThrowIfFailed();
        ns.Exec("ip", "addr", "add", "10.181.0.9/32", "dev", "ks0").ThrowIfFailed();
        ns.Exec("ip", "link", "set", "ks0", "up").ThrowIfFailed();
        ns.Exec("ip", "route", "add", "172.30.0.0/16", "dev", "ks0").ThrowIfFailed();
        using var listener = ns.Start("socat", "TCP-LISTEN:8080,bind=10.181.0.9,reuseaddr,fork", "SYSTEM:echo hello-from-endpoint");
        try
        {
            var backend = new IptablesBackend(ns.Tool);
            var snapshot = new ProxySnapshot(
            [
                new ServicePortEndpoints(Svc1, [new EndpointInfo { Ip = "10.181.0.9", Port = 8080 }]),
                new ServicePortEndpoints(Empty, []),
            ]);
            await backend.ApplyAsync(backend.Render(snapshot, Node), ct);

            // The listener may need a moment to bind: a bounded number of attempts, each bounded in time.
            RuleToolResult reply = default;
            for (var attempt = 0; attempt < 50; attempt++)
            {
                reply = await ns.Tool.RunAsync("socat", ["-T", "5", "-", "TCP:172.30.0.41:80,connect-timeout=5"], "", ct);
                if (reply.Succeeded && reply.Stdout.Contains("hello-from-endpoint", StringComparison.Ordinal))
                {
                    break;
                }

                await Task.Delay(100, ct);
            }

            Assert.True(reply.Succeeded, $"socat to the cluster IP failed: {reply.Stderr}");
            Assert.Equal("hello-from-endpoint", reply.Stdout.Trim());

            var refused = await ns.Tool.RunAsync("socat", ["-T", "5", "-", "TCP:172.30.0.42:80,connect-timeout=5"], "", ct);
            Assert.False(refused.Succeeded);
            Assert.Contains("Connection refused", refused.Stderr, StringComparison.Ordinal);

            await backend.CleanupAsync(ct);
        }
        finally
        {
            listener.Kill(entireProcessTree: true);
            await listener.WaitForExitAsync(CancellationToken.None);
        }
    }

    private static ProxySnapshot Snapshot(params EndpointInfo[] endpoints) => new(
    [
        new ServicePortEndpoints(Svc1, endpoints),
        new ServicePortEndpoints(Empty, []),
    ]);

    private static EndpointInfo Ep(string ip) => new() { Ip = ip, Port = 80 };
}

internal static class TestContext
{
    /// <summary>A token that bounds a test in time.</summary>
    public static CancellationToken Timeout(int seconds) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;
}
