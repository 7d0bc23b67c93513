using Kubesharp.Dns.Wire;

namespace Kubesharp.Dns.Tests.Zone;

public sealed class ZoneResponderTests
{
    private const string Soa = "cluster.local. 30 SOA ns.dns.cluster.local. hostmaster.cluster.local. serial 7200 1800 86400 30";

    public static TheoryData<string, string, ushort, int, string[]> Answers() => new()
    {
        { "ClusterIP service", "web.default.svc.cluster.local", DnsType.A, DnsRcode.NoError, ["web.default.svc.cluster.local. 30 A 10.43.0.20"] },
        { "ClusterIP service through a port name", "_http._tcp.web.default.svc.cluster.local", DnsType.A, DnsRcode.NoError, ["_http._tcp.web.default.svc.cluster.local. 30 A 10.43.0.20"] },
        { "headless service: every ready endpoint", "db.default.svc.cluster.local", DnsType.A, DnsRcode.NoError, ["db.default.svc.cluster.local. 30 A 10.42.1.7", "db.default.svc.cluster.local. 30 A 10.42.1.8"] },
        { "endpoint hostname", "db-0.db.default.svc.cluster.local", DnsType.A, DnsRcode.NoError, ["db-0.db.default.svc.cluster.local. 30 A 10.42.1.7"] },
        { "endpoint without hostname by its dashed address", "10-42-1-8.db.default.svc.cluster.local", DnsType.A, DnsRcode.NoError, ["10-42-1-8.db.default.svc.cluster.local. 30 A 10.42.1.8"] },
        { "endpoint of a ClusterIP service", "10-42-0-5.web.default.svc.cluster.local", DnsType.A, DnsRcode.NoError, ["10-42-0-5.web.default.svc.cluster.local. 30 A 10.42.0.5"] },
        { "pod record", "10-42-3-4.ns1.pod.cluster.local", DnsType.A, DnsRcode.NoError, ["10-42-3-4.ns1.pod.cluster.local. 30 A 10.42.3.4"] },
        { "ExternalName", "ext.default.svc.cluster.local", DnsType.A, DnsRcode.NoError, ["ext.default.svc.cluster.local. 30 CNAME example.com."] },
        { "SRV of a ClusterIP service's named port", "_http._tcp.web.default.svc.cluster.local", DnsType.SRV, DnsRcode.NoError, ["_http._tcp.web.default.svc.cluster.local. 30 SRV 0 100 80 web.default.svc.cluster.local."] },
        { "SRV of every port of a service", "web.default.svc.cluster.local", DnsType.SRV, DnsRcode.NoError, ["web.default.svc.cluster.local. 30 SRV 0 50 80 web.default.svc.cluster.local.", "web.default.svc.cluster.local. 30 SRV 0 50 53 web.default.svc.cluster.local."] },
        { "SRV protocol match is case-insensitive", "_dns._UDP.web.default.svc.cluster.local", DnsType.SRV, DnsRcode.NoError, ["_dns._UDP.web.default.svc.cluster.local. 30 SRV 0 100 53 web.default.svc.cluster.local."] },
        { "SRV of a headless service: one per endpoint", "_pg._tcp.db.default.svc.cluster.local", DnsType.SRV, DnsRcode.NoError, ["_pg._tcp.db.default.svc.cluster.local. 30 SRV 0 50 5432 db-0.db.default.svc.cluster.local.", "_pg._tcp.db.default.svc.cluster.local. 30 SRV 0 50 5432 10-42-1-8.db.default.svc.cluster.local."] },
        { "apex SOA", "cluster.local", DnsType.SOA, DnsRcode.NoError, [Soa] },
        { "apex NS", "cluster.local", DnsType.NS, DnsRcode.NoError, ["cluster.local. 30 NS ns.dns.cluster.local."] },
        { "ns.dns", "ns.dns.cluster.local", DnsType.A, DnsRcode.NoError, ["ns.dns.cluster.local. 30 A 10.43.0.10"] },
        { "dns-version", "dns-version.cluster.local", DnsType.TXT, DnsRcode.NoError, ["dns-version.cluster.local. 30 TXT 1.1.0"] },
        { "case: the question echoed as asked, matched without case", "WEB.Default.SVC.cluster.LOCAL", DnsType.A, DnsRcode.NoError, ["WEB.Default.SVC.cluster.LOCAL. 30 A 10.43.0.20"] },
    };

    [Theory]
    [MemberData(nameof(Answers))]
    public void Answers_as_CoreDNS(string because, string name, ushort type, int rcode, string[] answers)
    {
        var response = ZoneFixtures.Ask(ZoneFixtures.Standard(), name, type);
        Assert.True(rcode == response.Rcode, because);
        Assert.Equal(answers, response.Answers);
        Assert.True(response.Authoritative, "zone answers are authoritative");
        Assert.Equal($"{name}. {type}", response.Question);
    }

    public static TheoryData<string, string, ushort, int> Negative() => new()
    {
        { "unknown service", "nope.default.svc.cluster.local", DnsType.A, DnsRcode.NxDomain },
        { "unknown namespace", "web.nope.svc.cluster.local", DnsType.A, DnsRcode.NxDomain },
        { "neither svc nor pod", "web.default.foo.cluster.local", DnsType.A, DnsRcode.NxDomain },
        { "unknown endpoint", "db-9.db.default.svc.cluster.local", DnsType.A, DnsRcode.NxDomain },
        { "not-ready endpoint", "10-42-1-9.db.default.svc.cluster.local", DnsType.A, DnsRcode.NxDomain },
        { "unknown port", "_nope._tcp.web.default.svc.cluster.local", DnsType.SRV, DnsRcode.NxDomain },
        { "too many labels", "a.b.c.web.default.svc.cluster.local", DnsType.A, DnsRcode.NxDomain },
        { "pod name that is no address", "foo.default.pod.cluster.local", DnsType.A, DnsRcode.NxDomain },
        { "pod address with a leading zero", "10-042-0-1.default.pod.cluster.local", DnsType.A, DnsRcode.NxDomain },
        { "pod in an unknown namespace", "10-42-0-1.nope.pod.cluster.local", DnsType.A, DnsRcode.NxDomain },
        { "ExternalName with a port", "_http._tcp.ext.default.svc.cluster.local", DnsType.SRV, DnsRcode.NxDomain },
        { "NODATA: a service has no AAAA", "web.default.svc.cluster.local", DnsType.AAAA, DnsRcode.NoError },
        { "NODATA: TXT of a service", "web.default.svc.cluster.local", DnsType.TXT, DnsRcode.NoError },
        { "NODATA: a namespace", "default.svc.cluster.local", DnsType.A, DnsRcode.NoError },
        { "NODATA: svc", "svc.cluster.local", DnsType.A, DnsRcode.NoError },
        { "NODATA: the apex A", "cluster.local", DnsType.A, DnsRcode.NoError },
        { "NODATA: an IPv4 pod asked AAAA", "10-42-0-1.default.pod.cluster.local", DnsType.AAAA, DnsRcode.NoError },
    };

    [Theory]
    [MemberData(nameof(Negative))]
    public void Negative_answers_carry_the_zone_SOA(string because, string name, ushort type, int rcode)
    {
        var response = ZoneFixtures.Ask(ZoneFixtures.Standard(), name, type);
        Assert.True(rcode == response.Rcode, $"{because}: rcode {response.Rcode}");
        Assert.Empty(response.Answers);
        Assert.Equal([Soa], response.Authority);
    }

    [Fact]
    public void SRV_puts_the_targets_addresses_in_the_additional_section()
    {
        var response = ZoneFixtures.Ask(ZoneFixtures.Standard(), "_pg._tcp.db.default.svc.cluster.local", DnsType.SRV);
        Assert.Equal(["db-0.db.default.svc.cluster.local. 30 A 10.42.1.7", "10-42-1-8.db.default.svc.cluster.local. 30 A 10.42.1.8"], response.Additional);
        var clusterIp = ZoneFixtures.Ask(ZoneFixtures.Standard(), "_http._tcp.web.default.svc.cluster.local", DnsType.SRV);
        Assert.Equal(["web.default.svc.cluster.local. 30 A 10.43.0.20"], clusterIp.Additional);
    }

    [Fact]
    public void PTR_names_cluster_IPs_and_endpoints()
    {
        var zone = ZoneFixtures.Standard();
        Assert.Equal(["20.0.43.10.in-addr.arpa. 30 PTR web.default.svc.cluster.local."], ZoneFixtures.Ask(zone, "20.0.43.10.in-addr.arpa", DnsType.PTR).Answers);
        Assert.Equal(["7.1.42.10.in-addr.arpa. 30 PTR db-0.db.default.svc.cluster.local."], ZoneFixtures.Ask(zone, "7.1.42.10.in-addr.arpa", DnsType.PTR).Answers);
    }

    [Fact]
    public void Changes_are_seen_by_the_next_query()
    {
        var zone = ZoneFixtures.Standard();
        zone.UpsertEndpointSlice(ZoneFixtures.Slice("default", "db", "db-second", [("pg", 5432, "TCP")], ("10.42.2.1", null, true)));
        Assert.Equal(3, ZoneFixtures.Ask(zone, "db.default.svc.cluster.local", DnsType.A).Answers.Count);
        zone.DeleteEndpointSlice(ZoneFixtures.Slice("default", "db", "db-xyz", []));
        Assert.Equal(["db.default.svc.cluster.local. 30 A 10.42.2.1"], ZoneFixtures.Ask(zone, "db.default.svc.cluster.local", DnsType.A).Answers);
        zone.DeleteService(ZoneFixtures.Service("default", "web", "10.43.0.20"));
        Assert.Equal(DnsRcode.NxDomain, ZoneFixtures.Ask(zone, "web.default.svc.cluster.local", DnsType.A).Rcode);
        // An address the cluster no longer owns falls through to the upstream resolvers (fallthrough in-addr.arpa).
        var outcome = ZoneFixtures.Handler(zone).Handle(DnsMessages.Query("20.0.43.10.in-addr.arpa", DnsType.PTR), new byte[65535], false, out _);
        Assert.Equal(Kubesharp.Dns.Server.HandleOutcome.Forward, outcome);
    }

    [Fact]
    public void A_headless_service_without_ready_endpoints_is_NXDOMAIN_as_in_CoreDNS()
    {
        var zone = ZoneFixtures.Standard();
        zone.UpsertService(ZoneFixtures.Service("default", "empty", "None", ("pg", 5432, "TCP")));
        Assert.Equal(DnsRcode.NxDomain, ZoneFixtures.Ask(zone, "empty.default.svc.cluster.local", DnsType.A).Rcode);
    }

    [Fact]
    public void Zone_names_are_SERVFAIL_until_the_informers_have_synced()
    {
        var zone = ZoneFixtures.Standard();
        zone.Synced = false;
        Assert.Equal(DnsRcode.ServFail, ZoneFixtures.Ask(zone, "web.default.svc.cluster.local", DnsType.A).Rcode);
    }
}
