using Kubesharp.Proxy.Model;

namespace Kubesharp.Proxy.Tests.Nftables;

/// <summary>The named snapshots the golden files are rendered from (<c>golden/NAME.nft</c>), shared by the golden and apply tests.</summary>
internal static class NftablesCases
{
    public static readonly NodeProxyContext Node = new() { NodeName = "node-a", NodeIps = ["192.168.50.10"] };

    public static ServicePortInfo Svc(string ns, string name, string ip, int port = 80, string portName = "http", string protocol = "TCP") =>
        new() { Name = new(ns, name, portName, protocol), ClusterIp = ip, Port = port, Protocol = protocol };

    public static EndpointInfo Ep(string ip, int port = 8080, bool ready = true, bool serving = true, bool terminating = false, bool local = false) =>
        new() { Ip = ip, Port = port, Ready = ready, Serving = serving, Terminating = terminating, IsLocal = local, NodeName = local ? "node-a" : "node-b" };

    private static ProxySnapshot One(ServicePortInfo svc, params EndpointInfo[] endpoints) => new([new(svc, endpoints)]);

    /// <summary>Every golden case: name, snapshot, node.</summary>
    public static readonly IReadOnlyDictionary<string, (ProxySnapshot Snapshot, NodeProxyContext Node)> All =
        new Dictionary<string, (ProxySnapshot, NodeProxyContext)>(StringComparer.Ordinal)
        {
            ["empty"] = (ProxySnapshot.Empty, Node),
            ["clusterip-3-endpoints"] = (One(Svc("default", "web", "10.43.0.20"), Ep("10.42.0.5"), Ep("10.42.1.6"), Ep("10.42.2.7")), Node),
            ["no-endpoints"] = (One(Svc("default", "nothing", "10.43.0.21")), Node),
            ["nodeport"] = (One(Svc("default", "web", "10.43.0.22") with { NodePort = 30080 }, Ep("10.42.0.5"), Ep("10.42.1.6", local: true)), Node),
            ["nodeport-no-endpoints"] = (One(Svc("default", "web", "10.43.0.22") with { NodePort = 30080 }), Node),
            ["external-policy-local"] = (One(
                Svc("default", "web", "10.43.0.23") with { NodePort = 30081, ExternalPolicyLocal = true, ExternalIps = ["192.168.99.22"], HealthCheckNodePort = 32000 },
                Ep("10.42.0.5"), Ep("10.42.1.6", local: true)), Node),
            ["external-policy-local-none-here"] = (One(
                Svc("default", "web", "10.43.0.23") with { NodePort = 30081, ExternalPolicyLocal = true },
                Ep("10.42.0.5")), Node),
            ["internal-policy-local"] = (One(Svc("default", "web", "10.43.0.24") with { InternalPolicyLocal = true }, Ep("10.42.0.5"), Ep("10.42.1.6", local: true)), Node),
            ["internal-policy-local-none-here"] = (One(Svc("default", "web", "10.43.0.24") with { InternalPolicyLocal = true }, Ep("10.42.0.5")), Node),
            ["session-affinity"] = (One(Svc("default", "sticky", "10.43.0.25") with { StickyMaxAgeSeconds = 10800 }, Ep("10.42.0.5"), Ep("10.42.1.6")), Node),
            ["terminating-fallback"] = (One(
                Svc("default", "web", "10.43.0.26"),
                Ep("10.42.0.5", ready: false, serving: true, terminating: true),
                Ep("10.42.0.6", ready: false, serving: false, terminating: true),
                Ep("10.42.0.7", ready: false, serving: false)), Node),
            ["unready-only"] = (One(Svc("default", "web", "10.43.0.27"), Ep("10.42.0.5", ready: false, serving: false)), Node),
            ["hairpin"] = (One(Svc("default", "self", "10.43.0.28"), Ep("10.42.1.6", local: true)), Node),
            ["two-services"] = (new([
                new(Svc("ns1", "alpha", "10.43.1.1", port: 53, portName: "dns", protocol: "UDP"), [Ep("10.42.0.10", port: 5353)]),
                new(Svc("ns2", "beta", "10.43.2.2", port: 8443, portName: ""), [Ep("10.42.1.11", port: 443), Ep("10.42.2.12", port: 443)]),
            ]), Node),
            ["masquerade-all"] = (One(Svc("default", "web", "10.43.0.29"), Ep("10.42.0.5")), Node with { MasqueradeAll = true, NodeIps = [] }),
            // The fast path's per-protocol maps and shared chains: two ports of one address (53/UDP and 53/TCP, as kube-dns),
            // an SCTP port, external and load balancer IPs under the Cluster policy, and two ports sharing one endpoint count.
            ["fast-protocols"] = (new([
                new(Svc("kube-system", "dns", "10.43.0.10", port: 53, portName: "dns", protocol: "UDP"), [Ep("10.42.0.3", port: 53), Ep("10.42.1.3", port: 53, local: true)]),
                new(Svc("kube-system", "dns", "10.43.0.10", port: 53, portName: "dns-tcp", protocol: "TCP"), [Ep("10.42.0.3", port: 53), Ep("10.42.1.3", port: 53, local: true)]),
                new(Svc("default", "signal", "10.43.0.30", port: 3868, portName: "", protocol: "SCTP"), [Ep("10.42.2.8", port: 3868)]),
                new(Svc("default", "web", "10.43.0.31") with { ExternalIps = ["192.168.99.31"], LoadBalancerIps = ["5.6.7.8"], NodePort = 30031 }, [Ep("10.42.0.5"), Ep("10.42.1.6")]),
            ]), Node),
            // One port on each layout: the fast path beside a sticky port's chains (named lb- map, no anonymous vmap).
            ["fast-and-chains"] = (new([
                new(Svc("default", "web", "10.43.0.32"), [Ep("10.42.0.5"), Ep("10.42.1.6", local: true)]),
                new(Svc("default", "sticky", "10.43.0.33") with { StickyMaxAgeSeconds = 600 }, [Ep("10.42.0.5"), Ep("10.42.1.6", local: true)]),
                new(Svc("default", "local", "10.43.0.34") with { NodePort = 30034, ExternalPolicyLocal = true }, [Ep("10.42.0.5"), Ep("10.42.1.6", local: true)]),
            ]), Node),
        };
}
