using Kubesharp.Proxy.Model;
using Kubesharp.Proxy.Nftables;

namespace Kubesharp.Proxy.Tests.Nftables;

/// <summary>
/// Lines upstream's pkg/proxy/nftables/proxier_test.go (TestOverallNFTablesRules) expects, rendered from the same
/// Services and endpoints (cluster CIDR 10.0.0.0/8, node IP 192.168.0.2): the hashed chain names and the rule text match.
/// <para>
/// What no longer matches, on purpose (docs/flows/nftables-fast-path.md): ns1/svc1, ns3/svc3 and ns4/svc4 need no
/// per-endpoint state (no affinity, no Local policy), so they take the fast path: no <c>service-</c>,
/// <c>external-</c> or <c>endpoint-</c> chains, but <c>service-ips</c>/<c>service-nodeports</c> entries to shared
/// <c>fast-*</c> chains and elements of the <c>fast-endpoints-tcp</c> maps (their upstream lines were dropped here and
/// the fast-path form is checked in <see cref="FastPathServicesGoThroughTheSharedMaps"/>). ns2/svc2 (external
/// policy Local) and ns5/svc5 (affinity) keep upstream's chains line for line, except that the endpoint pick is a
/// named map (<c>vmap @lb-service-...</c>), not upstream's anonymous <c>vmap { 0 : goto ... }</c>.
/// </para>
/// </summary>
public sealed class NftablesUpstreamTests
{
    private static ServicePortInfo Svc(string ns, string name, string ip) =>
        new() { Name = new(ns, name, "p80", "TCP"), ClusterIp = ip, Port = 80, Protocol = "TCP" };

    private static EndpointInfo Ep(string ip, bool local = false) => new() { Ip = ip, Port = 80, IsLocal = local };

    private static readonly string Rendered = NftablesRenderer.Render(
        new ProxySnapshot([
            new(Svc("ns1", "svc1", "172.30.0.41"), [Ep("10.180.0.1")]),
            new(Svc("ns2", "svc2", "172.30.0.42") with
            {
                NodePort = 3001, ExternalPolicyLocal = true, LoadBalancerIps = ["1.2.3.4"], ExternalIps = ["192.168.99.22"], HealthCheckNodePort = 30000,
            }, [Ep("10.180.0.2")]),
            new(Svc("ns3", "svc3", "172.30.0.43") with { NodePort = 3003 }, [Ep("10.180.0.3")]),
            new(Svc("ns4", "svc4", "172.30.0.44") with { ExternalIps = ["192.168.99.33"] }, [Ep("10.180.0.4"), Ep("10.180.0.5", local: true)]),
            new(Svc("ns5", "svc5", "172.30.0.45") with { NodePort = 3002, LoadBalancerIps = ["5.6.7.8"], StickyMaxAgeSeconds = 10800 }, [Ep("10.180.0.3")]),
            new(Svc("ns6", "svc6", "172.30.0.46"), []),
        ]),
        new NodeProxyContext { NodeName = "test-node", NodeIps = ["192.168.0.2"], ClusterCidr = "10.0.0.0/8" });

    [Theory]
    [InlineData("add table ip kube-proxy { comment \"rules for kube-proxy\" ; }")]
    [InlineData("add rule ip kube-proxy mark-for-masquerade mark set mark or 0x004000")]
    [InlineData("add rule ip kube-proxy masquerading mark and 0x004000 == 0 return")]
    [InlineData("add rule ip kube-proxy masquerading masquerade fully-random")]
    [InlineData("add rule ip kube-proxy filter-input ct state new jump nodeport-endpoints-check")]
    [InlineData("add rule ip kube-proxy filter-output-post-dnat ct state new jump cluster-ips-check")]
    [InlineData("add rule ip kube-proxy cluster-ips-check ip daddr @cluster-ips reject comment \"Reject traffic to invalid ports of ClusterIPs\"")]
    [InlineData("add rule ip kube-proxy nodeport-endpoints-check ip daddr @nodeport-ips meta l4proto . th dport vmap @no-endpoint-nodeports")]
    [InlineData("add rule ip kube-proxy services ip daddr . meta l4proto . th dport vmap @service-ips")]
    [InlineData("add rule ip kube-proxy services ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports")]
    [InlineData("add element ip kube-proxy nodeport-ips { 192.168.0.2 }")]
    [InlineData("add rule ip kube-proxy service-endpoints-check ip daddr . meta l4proto . th dport vmap @no-endpoint-services")]
    [InlineData("add rule ip kube-proxy external-42NFTM6N-ns2/svc2/tcp/p80 ip saddr 10.0.0.0/8 goto service-42NFTM6N-ns2/svc2/tcp/p80 comment \"short-circuit pod traffic\"")]
    [InlineData("add rule ip kube-proxy external-42NFTM6N-ns2/svc2/tcp/p80 fib saddr type local jump mark-for-masquerade comment \"masquerade local traffic\"")]
    [InlineData("add rule ip kube-proxy external-42NFTM6N-ns2/svc2/tcp/p80 fib saddr type local goto service-42NFTM6N-ns2/svc2/tcp/p80 comment \"short-circuit local traffic\"")]
    [InlineData("add rule ip kube-proxy endpoint-SGOXE6O3-ns2/svc2/tcp/p80__10.180.0.2/80 meta l4proto tcp dnat to 10.180.0.2:80")]
    [InlineData("add element ip kube-proxy service-ips { 192.168.99.22 . tcp . 80 : goto external-42NFTM6N-ns2/svc2/tcp/p80 }")]
    [InlineData("add element ip kube-proxy service-ips { 1.2.3.4 . tcp . 80 : goto external-42NFTM6N-ns2/svc2/tcp/p80 }")]
    [InlineData("add element ip kube-proxy service-nodeports { tcp . 3001 : goto external-42NFTM6N-ns2/svc2/tcp/p80 }")]
    [InlineData("add element ip kube-proxy no-endpoint-nodeports { tcp . 3001 comment \"ns2/svc2:p80\" : drop }")]
    [InlineData("add element ip kube-proxy no-endpoint-services { 1.2.3.4 . tcp . 80 comment \"ns2/svc2:p80\" : drop }")]
    [InlineData("add element ip kube-proxy no-endpoint-services { 192.168.99.22 . tcp . 80 comment \"ns2/svc2:p80\" : drop }")]
    [InlineData("add set ip kube-proxy affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 { type ipv4_addr ; flags dynamic,timeout ; timeout 10800s ; }")]
    [InlineData("add rule ip kube-proxy service-HVFWP5L3-ns5/svc5/tcp/p80 ip saddr @affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 goto endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80")]
    [InlineData("add rule ip kube-proxy endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 update @affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 { ip saddr }")]
    [InlineData("add element ip kube-proxy service-ips { 5.6.7.8 . tcp . 80 : goto external-HVFWP5L3-ns5/svc5/tcp/p80 }")]
    [InlineData("add element ip kube-proxy cluster-ips { 172.30.0.46 }")]
    [InlineData("add element ip kube-proxy no-endpoint-services { 172.30.0.46 . tcp . 80 comment \"ns6/svc6:p80\" : goto reject-chain }")]
    public void RendersUpstreamsLine(string line) =>
        Assert.True(Rendered.Split('\n').Contains(line), $"expected line not rendered:\n{line}");

    [Theory]
    [InlineData("add element ip kube-proxy cluster-ips { 172.30.0.41, 172.30.0.43, 172.30.0.44 }")]
    [InlineData("add element ip kube-proxy service-ips { 172.30.0.41 . tcp . 80 : goto fast-clusterip-tcp-1, 172.30.0.43 . tcp . 80 : goto fast-clusterip-tcp-1, 172.30.0.44 . tcp . 80 : goto fast-clusterip-tcp-2, 192.168.99.33 . tcp . 80 : goto fast-external-tcp-2 }")]
    [InlineData("add element ip kube-proxy service-nodeports { tcp . 3003 : goto fast-nodeport-tcp-1 }")]
    [InlineData("add element ip kube-proxy fast-endpoints-tcp { 172.30.0.41 . 80 . 0 : 10.180.0.1 . 80, 172.30.0.43 . 80 . 0 : 10.180.0.3 . 80, 172.30.0.44 . 80 . 0 : 10.180.0.4 . 80, 172.30.0.44 . 80 . 1 : 10.180.0.5 . 80, 192.168.99.33 . 80 . 0 : 10.180.0.4 . 80, 192.168.99.33 . 80 . 1 : 10.180.0.5 . 80 }")]
    [InlineData("add element ip kube-proxy fast-nodeport-endpoints-tcp { 3003 . 0 : 10.180.0.3 . 80 }")]
    [InlineData("add rule ip kube-proxy fast-clusterip-tcp-2 ip saddr != 10.0.0.0/8 jump mark-for-masquerade")]
    [InlineData("add rule ip kube-proxy fast-clusterip-tcp-2 meta l4proto tcp dnat ip to ip daddr . tcp dport . numgen random mod 2 map @fast-endpoints-tcp")]
    [InlineData("add rule ip kube-proxy fast-external-tcp-2 jump mark-for-masquerade")]
    [InlineData("add rule ip kube-proxy fast-nodeport-tcp-1 jump mark-for-masquerade")]
    [InlineData("add rule ip kube-proxy fast-nodeport-tcp-1 meta l4proto tcp dnat ip to tcp dport . numgen random mod 1 map @fast-nodeport-endpoints-tcp")]
    // Upstream's "ip saddr 10.180.0.1 jump mark-for-masquerade" of each endpoint chain: endpoints without a node name
    // (these) may be on this node.
    [InlineData("add rule ip kube-proxy masquerading ct status dnat ip saddr . ip daddr @fast-hairpin jump mark-for-masquerade")]
    [InlineData("add element ip kube-proxy fast-hairpin { 10.180.0.1 . 10.180.0.1, 10.180.0.3 . 10.180.0.3, 10.180.0.4 . 10.180.0.4, 10.180.0.5 . 10.180.0.5 }")]
    // ns2/svc2 keeps upstream's chains; its endpoint pick goes through a named map.
    [InlineData("add element ip kube-proxy lb-service-42NFTM6N-ns2/svc2/tcp/p80 { 0 : goto endpoint-SGOXE6O3-ns2/svc2/tcp/p80__10.180.0.2/80 }")]
    [InlineData("add rule ip kube-proxy service-42NFTM6N-ns2/svc2/tcp/p80 numgen random mod 1 vmap @lb-service-42NFTM6N-ns2/svc2/tcp/p80")]
    public void FastPathServicesGoThroughTheSharedMaps(string line) =>
        Assert.True(Rendered.Split('\n').Contains(line), $"expected line not rendered:\n{line}");

    [Fact]
    public void FastPathServicesHaveNoChainsOfTheirOwnAndNoAnonymousVmapIsWritten()
    {
        var chains = Rendered.Split('\n').Where(l => l.StartsWith("add chain", StringComparison.Ordinal)).ToList();
        foreach (var svc in new[] { "ns1/svc1", "ns3/svc3", "ns4/svc4" })
        {
            Assert.DoesNotContain(chains, c => c.Contains(svc, StringComparison.Ordinal));
        }

        Assert.Contains(chains, c => c.Contains("service-42NFTM6N-ns2/svc2/tcp/p80", StringComparison.Ordinal));
        Assert.Contains(chains, c => c.Contains("service-HVFWP5L3-ns5/svc5/tcp/p80", StringComparison.Ordinal));
        Assert.DoesNotContain("vmap {", Rendered, StringComparison.Ordinal);
    }

    [Fact]
    public void ServiceWithoutEndpointsHasNoChains() =>
        Assert.DoesNotContain("ns6/svc6", Rendered.Split('\n').Where(l => l.StartsWith("add chain", StringComparison.Ordinal)), StringComparer.Ordinal);

    [Fact]
    public void LocalPolicyWithoutLocalEndpointsHasNoLocalChain()
    {
        // ns2/svc2's only endpoint is on another node: external traffic is dropped, and there is no local- chain.
        Assert.DoesNotContain("add chain ip kube-proxy local-42NFTM6N-ns2/svc2/tcp/p80", Rendered, StringComparison.Ordinal);
        Assert.DoesNotContain("goto local-42NFTM6N", Rendered, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ns1/svc1/tcp/p80", "ULMVA6XW")]
    [InlineData("ns2/svc2/tcp/p80", "42NFTM6N")]
    [InlineData("ns3/svc3/tcp/p80", "4AT6LBPK")]
    [InlineData("ns4/svc4/tcp/p80", "LAUZTJTB")]
    [InlineData("ns5/svc5/tcp/p80", "HVFWP5L3")]
    public void ServiceChainHashMatchesUpstream(string name, string hash)
    {
        var parts = name.Split('/');
        Assert.Equal(hash + "-" + name, NftablesNames.ServiceBase(new(parts[0], parts[1], parts[3], "TCP"), "TCP"));
    }

    [Fact]
    public void UnnamedPortLeavesTheLastPartEmpty() =>
        Assert.EndsWith("-ns/svc/udp/", NftablesNames.ServiceBase(new("ns", "svc", "", "UDP"), "UDP"), StringComparison.Ordinal);

    [Fact]
    public void OverlongNamesAreTruncatedWithAnEllipsis()
    {
        var name = NftablesNames.EndpointBase(new(new string('n', 100), new string('s', 63), new string('p', 63), "SCTP"), "SCTP", Ep("10.1.2.3") with { Port = 65535 });
        Assert.True(name.Length <= 240, $"length {name.Length}");
        Assert.EndsWith("...", name, StringComparison.Ordinal);
    }
}
