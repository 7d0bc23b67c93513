using k8s.Models;
using Kubesharp.Dns.Server;
using Kubesharp.Dns.Zone;

namespace Kubesharp.Dns.Tests.Zone;

/// <summary>Services, slices and namespaces for zone tests, and a handler that answers from a zone in memory.</summary>
internal static class ZoneFixtures
{
    public static V1Namespace Namespace(string name) => new() { Metadata = new V1ObjectMeta { Name = name } };

    public static V1Service Service(string ns, string name, string clusterIp, params (string Name, int Port, string Protocol)[] ports) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
        Spec = new V1ServiceSpec
        {
            Type = "ClusterIP",
            ClusterIP = clusterIp,
            ClusterIPs = [clusterIp],
            Ports = [.. ports.Select(p => new V1ServicePort { Name = p.Name, Port = p.Port, Protocol = p.Protocol })],
        },
    };

    public static V1Service ExternalName(string ns, string name, string target) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
        Spec = new V1ServiceSpec { Type = "ExternalName", ExternalName = target },
    };

    public static V1EndpointSlice Slice(string ns, string service, string name, (string Name, int Port, string Protocol)[] ports, params (string Ip, string? Hostname, bool Ready)[] endpoints) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Labels = new Dictionary<string, string> { ["kubernetes.io/service-name"] = service } },
        AddressType = "IPv4",
        Endpoints = [.. endpoints.Select(e => new V1Endpoint { Addresses = [e.Ip], Hostname = e.Hostname, Conditions = new V1EndpointConditions { Ready = e.Ready } })],
        Ports = [.. ports.Select(p => new Discoveryv1EndpointPort { Name = p.Name, Port = p.Port, Protocol = p.Protocol })],
    };

    /// <summary>
    /// default and ns1 exist; default/web (ClusterIP 10.43.0.20, ports http 80/TCP and dns 53/UDP) has one endpoint;
    /// default/db is headless with web-0 (hostname) and a nameless endpoint, plus a not-ready one; default/ext is an
    /// ExternalName for example.com.
    /// </summary>
    public static ClusterZone Standard()
    {
        var zone = new ClusterZone("cluster.local");
        zone.UpsertNamespace(Namespace("default"));
        zone.UpsertNamespace(Namespace("ns1"));
        zone.UpsertService(Service("default", "web", "10.43.0.20", ("http", 80, "TCP"), ("dns", 53, "UDP")));
        zone.UpsertEndpointSlice(Slice("default", "web", "web-abc", [("http", 8080, "TCP"), ("dns", 5353, "UDP")], ("10.42.0.5", null, true)));
        zone.UpsertService(Service("default", "db", "None", ("pg", 5432, "TCP")));
        zone.UpsertEndpointSlice(Slice("default", "db", "db-xyz", [("pg", 5432, "TCP")], ("10.42.1.7", "db-0", true), ("10.42.1.8", null, true), ("10.42.1.9", null, false)));
        zone.UpsertService(ExternalName("default", "ext", "example.com"));
        zone.Synced = true;
        return zone;
    }

    public static QueryHandler Handler(ClusterZone zone) => new(new ZoneResponder(zone, 30, [System.Net.IPAddress.Parse("10.43.0.10")]), new DnsCounters());

    /// <summary>Answers one query from the zone; fails the test when the handler would forward or drop it.</summary>
    public static DnsResponse Ask(ClusterZone zone, string name, ushort type, ushort? ednsSize = null, bool tcp = false)
    {
        var response = new byte[65535];
        var outcome = Handler(zone).Handle(DnsMessages.Query(name, type, ednsSize: ednsSize), response, tcp, out var length);
        Assert.Equal(HandleOutcome.Respond, outcome);
        return DnsMessages.Parse(response.AsSpan(0, length));
    }
}
