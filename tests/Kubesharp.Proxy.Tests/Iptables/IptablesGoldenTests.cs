using System.Runtime.CompilerServices;
using Kubesharp.Proxy.Iptables;
using Kubesharp.Proxy.Model;

namespace Kubesharp.Proxy.Tests.Iptables;

/// <summary>
/// The rendered ruleset for one case per upstream behaviour, against golden files in <c>Iptables/golden/</c>
/// (<c>KUBESHARP_UPDATE_GOLDEN=1</c> rewrites them). Inputs use proxier_test.go's conventions (pod IPs in 10.0.0.0/8,
/// service IPs in 172.30.0.0/16, <c>ns1/svc1:p80</c>) so that chain names can be compared with its expectations.
/// </summary>
public sealed class IptablesGoldenTests
{
    private static readonly NodeProxyContext Node = new() { NodeName = "test-node", NodeIps = ["192.168.0.2"], ClusterCidr = "10.0.0.0/8" };

    private static readonly ServicePortInfo Svc1 = new()
    {
        Name = new ServicePortName("ns1", "svc1", "p80", "TCP"),
        ClusterIp = "172.30.0.41",
        Port = 80,
        Protocol = "TCP",
    };

    public static TheoryData<string> Cases => [.. Inputs.Keys];

    private static Dictionary<string, ProxySnapshot> Inputs => new()
    {
        ["clusterip-3-endpoints"] = One(Svc1, Ep("10.180.0.1"), Ep("10.180.0.2"), Ep("10.180.0.3")),
        ["no-endpoints"] = One(Svc1 with { NodePort = 3001 }),
        ["nodeport"] = One(Svc1 with { NodePort = 3001 }, Ep("10.180.0.1"), Ep("10.180.2.1", local: true)),
        ["external-policy-local"] = One(
            Svc1 with { NodePort = 3001, ExternalPolicyLocal = true, HealthCheckNodePort = 30000, ExternalIps = ["192.168.99.11"] },
            Ep("10.180.0.1"),
            Ep("10.180.2.1", local: true)),
        ["external-policy-local-no-local-endpoints"] = One(Svc1 with { NodePort = 3001, ExternalPolicyLocal = true }, Ep("10.180.0.1")),
        ["internal-policy-local"] = One(Svc1 with { InternalPolicyLocal = true }, Ep("10.180.0.1"), Ep("10.180.2.1", local: true)),
        ["internal-policy-local-no-local-endpoints"] = One(Svc1 with { InternalPolicyLocal = true }, Ep("10.180.0.1")),
        ["session-affinity"] = One(Svc1 with { StickyMaxAgeSeconds = 10800 }, Ep("10.180.0.1"), Ep("10.180.0.2")),
        ["terminating-fallback"] = One(
            Svc1,
            Ep("10.180.0.1", ready: false, serving: true, terminating: true),
            Ep("10.180.0.2", ready: false, serving: false, terminating: true),
            Ep("10.180.0.3", ready: false, serving: false)),
        ["not-ready-only"] = One(Svc1, Ep("10.180.0.3", ready: false, serving: false)),
        ["hairpin"] = One(Svc1 with { Name = new ServicePortName("ns1", "svc1", "", "TCP") }, Ep("10.180.0.1")),
        ["udp-and-loadbalancer"] = One(
            Svc1 with { Name = new ServicePortName("ns2", "dns", "dns", "UDP"), Protocol = "UDP", Port = 53, ClusterIp = "172.30.0.10", LoadBalancerIps = ["1.2.3.4"], NodePort = 3053 },
            Ep("10.180.0.5", port: 53)),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void RendersAsTheGoldenFile(string name)
    {
        var rendered = IptablesRenderer.Render(Inputs[name], Node, new IptablesRenderOptions());
        var goldenPath = Path.Combine(AppContext.BaseDirectory, "Iptables", "golden", name + ".txt");
        if (Environment.GetEnvironmentVariable("KUBESHARP_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(Path.Combine(SourceDir(), "golden", name + ".txt"), rendered);
            return;
        }

        Assert.True(File.Exists(goldenPath), $"no golden file {goldenPath}: run with KUBESHARP_UPDATE_GOLDEN=1 to write it");
        Assert.Equal(File.ReadAllText(goldenPath), rendered);
    }

    [Fact]
    public void ChainNamesAreUpstreams()
    {
        // proxier_test.go's names for ns1/svc1:p80 (tcp) and its endpoint 10.180.0.1:80.
        Assert.Equal("KUBE-SVC-XPGD46QRK7WJZT7O", ChainNames.ClusterPolicy("ns1/svc1:p80", "tcp"));
        Assert.Equal("KUBE-SEP-SXIVWICOYRO3J4NJ", ChainNames.Endpoint("ns1/svc1:p80", "tcp", "10.180.0.1:80"));
        Assert.Equal("KUBE-EXT-XPGD46QRK7WJZT7O", ChainNames.External("ns1/svc1:p80", "tcp"));
        Assert.Equal("KUBE-SVL-XPGD46QRK7WJZT7O", ChainNames.LocalPolicy("ns1/svc1:p80", "tcp"));
    }

    [Fact]
    public void ProbabilitiesUseUpstreamsFormat()
    {
        Assert.Equal("0.3333333333", IptablesRenderer.Probability(3));
        Assert.Equal("0.5000000000", IptablesRenderer.Probability(2));
        Assert.Equal("0.0010000000", IptablesRenderer.Probability(1000));
    }

    [Fact]
    public void LargeClustersLeaveOutPerEndpointComments()
    {
        var endpoints = Enumerable.Range(0, IptablesRenderer.LargeClusterEndpointsThreshold + 1).Select(i => Ep($"10.{i / 250}.{i % 250}.1")).ToArray();
        var rendered = IptablesRenderer.Render(One(Svc1, endpoints), Node, new IptablesRenderOptions());
        Assert.DoesNotContain("-> 10.", rendered, StringComparison.Ordinal);
        Assert.Contains("-A KUBE-SVC-XPGD46QRK7WJZT7O -m statistic --mode random --probability 0.0009990010 -j KUBE-SEP-", rendered, StringComparison.Ordinal);
    }

    [Fact]
    public void RenderIsDeterministic()
    {
        var a = IptablesRenderer.Render(Inputs["nodeport"], Node, new IptablesRenderOptions());
        var b = IptablesRenderer.Render(Inputs["nodeport"], Node, new IptablesRenderOptions());
        Assert.Equal(a, b);
    }

    private static ProxySnapshot One(ServicePortInfo svc, params EndpointInfo[] endpoints) => new([new ServicePortEndpoints(svc, endpoints)]);

    private static EndpointInfo Ep(string ip, bool ready = true, bool serving = true, bool terminating = false, bool local = false, int port = 80) =>
        new() { Ip = ip, Port = port, Ready = ready, Serving = serving, Terminating = terminating, IsLocal = local, NodeName = local ? "test-node" : "other-node" };

    private static string SourceDir([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
