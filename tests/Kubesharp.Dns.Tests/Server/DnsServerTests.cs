using System.Net;
using System.Net.Sockets;
using Kubesharp.Dns.Tests.Zone;
using Kubesharp.Dns.Wire;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.Dns.Tests.Server;

/// <summary>The server over real sockets on loopback, with a fake upstream resolver; no API server (the zone is filled directly).</summary>
public sealed class DnsServerTests
{
    private static async Task<DnsServer> StartAsync(IReadOnlyList<IPEndPoint> upstreams, TimeSpan? forwardTimeout = null, int maxConcurrentForwards = 1000)
    {
        var server = new DnsServer(null, new DnsServerOptions
        {
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
            Upstreams = upstreams,
            Register = false,
            ForwardTimeout = forwardTimeout ?? TimeSpan.FromSeconds(2),
            MaxConcurrentForwards = maxConcurrentForwards,
        }, NullLoggerFactory.Instance);
        await server.StartAsync(CancellationToken.None);
        server.Zone.UpsertNamespace(ZoneFixtures.Namespace("default"));
        server.Zone.UpsertService(ZoneFixtures.Service("default", "web", "10.43.0.20", ("http", 80, "TCP")));
        return server;
    }

    [Fact]
    public async Task Answers_zone_names_over_UDP_and_TCP_on_the_same_port()
    {
        await using var server = await StartAsync([]);
        var query = DnsMessages.Query("web.default.svc.cluster.local", DnsType.A, id: 4242);
        var udp = await DnsClient.UdpAsync(server.EndPoint!, query);
        var tcp = await DnsClient.TcpAsync(server.EndPoint!, query);
        Assert.Equal(4242, udp.Id);
        Assert.Equal(["web.default.svc.cluster.local. 30 A 10.43.0.20"], udp.Answers);
        Assert.Equal(udp.Answers, tcp.Answers);
    }

    [SkippableFact]
    public async Task On_all_addresses_a_UDP_reply_leaves_from_the_advertised_address_the_query_was_sent_to()
    {
        // A pod on the server's own node asks kube-dns, DNATed to the advertised address; the route back to the pod
        // would pick the bridge's address as the source. The same mismatch, without a bridge: a client on 127.0.0.1
        // asks the host's address, and the route back to it picks 127.0.0.1.
        var host = Kubesharp.Dns.Server.Upstreams.FirstHostAddress();
        Skip.If(host is null, "this host has no non-loopback IPv4 address to advertise");
        await using var server = new DnsServer(null, new DnsServerOptions
        {
            Listen = new IPEndPoint(IPAddress.Any, 0),
            AdvertiseAddresses = [host],
            Upstreams = [],
            Register = false,
        }, NullLoggerFactory.Instance);
        await server.StartAsync(CancellationToken.None);
        server.Zone.UpsertNamespace(ZoneFixtures.Namespace("default"));
        server.Zone.UpsertService(ZoneFixtures.Service("default", "web", "10.43.0.20", ("http", 80, "TCP")));
        var query = DnsMessages.Query("web.default.svc.cluster.local", DnsType.A, id: 77);

        var viaHost = await DnsClient.UdpAsync(new IPEndPoint(host, server.EndPoint!.Port), query, attempts: 2, from: IPAddress.Loopback);
        var viaLoopback = await DnsClient.UdpAsync(new IPEndPoint(IPAddress.Loopback, server.EndPoint.Port), query, attempts: 2);

        Assert.Equal(["web.default.svc.cluster.local. 30 A 10.43.0.20"], viaHost.Answers);
        Assert.Equal(viaHost.Answers, viaLoopback.Answers);
    }

    [Fact]
    public async Task Other_names_are_forwarded_to_the_upstream_over_the_clients_transport()
    {
        await using var upstream = new FakeUpstream();
        await using var server = await StartAsync([upstream.EndPoint]);
        var udp = await DnsClient.UdpAsync(server.EndPoint!, DnsMessages.Query("example.org", DnsType.A, id: 99));
        Assert.Equal(99, udp.Id);
        Assert.Equal(DnsRcode.NoError, udp.Rcode);
        Assert.Equal(["example.org. 300 A 192.0.2.53"], udp.Answers);
        var tcp = await DnsClient.TcpAsync(server.EndPoint!, DnsMessages.Query("example.org", DnsType.A, id: 100));
        Assert.Equal(100, tcp.Id);
        Assert.Equal(["example.org. 300 A 192.0.2.53"], tcp.Answers);

        // An address the cluster does not own falls through to the upstream too.
        var ptr = await DnsClient.UdpAsync(server.EndPoint!, DnsMessages.Query("1.2.0.192.in-addr.arpa", DnsType.PTR, id: 101));
        Assert.Equal(101, ptr.Id);
        Assert.Equal(3, upstream.Queries);
    }

    [Fact]
    public async Task A_silent_upstream_gives_SERVFAIL_after_the_timeout()
    {
        await using var upstream = new FakeUpstream(silent: true);
        await using var server = await StartAsync([upstream.EndPoint], forwardTimeout: TimeSpan.FromMilliseconds(200));
        var response = await DnsClient.UdpAsync(server.EndPoint!, DnsMessages.Query("example.org", DnsType.A, id: 7), attempts: 1, timeoutMs: 20_000);
        Assert.Equal(DnsRcode.ServFail, response.Rcode);
        Assert.Equal("example.org. 1", response.Question);
        Assert.Equal(1, server.Counters.ForwardFailures);
    }

    [Fact]
    public async Task No_upstream_gives_SERVFAIL_and_the_server_never_forwards_to_itself()
    {
        await using var server = await StartAsync([]);
        var response = await DnsClient.UdpAsync(server.EndPoint!, DnsMessages.Query("example.org", DnsType.A));
        Assert.Equal(DnsRcode.ServFail, response.Rcode);

        var self = new IPEndPoint(IPAddress.Loopback, server.EndPoint!.Port);
        var kept = Kubesharp.Dns.Server.Upstreams.WithoutSelf([self, new IPEndPoint(IPAddress.Parse("10.43.0.10"), 53), new IPEndPoint(IPAddress.Parse("192.0.2.1"), 53)], server.EndPoint, [], IPAddress.Parse("10.43.0.10"));
        Assert.Equal([new IPEndPoint(IPAddress.Parse("192.0.2.1"), 53)], kept);
    }

    [Fact]
    public async Task Malformed_packets_over_the_network_get_FORMERR_and_the_server_keeps_answering()
    {
        await using var server = await StartAsync([]);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Connect(server.EndPoint!);
        await socket.SendAsync(new byte[] { 0xAB, 0xCD, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3F, 0x61 }, SocketFlags.None);
        var buffer = new byte[512];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
        Assert.Equal(12, n);
        Assert.Equal(0xAB, buffer[0]);
        Assert.Equal(DnsRcode.FormErr, buffer[3] & 0xF);

        // A TCP frame announcing more than is sent: the connection just waits; other clients are served.
        using var stuck = new TcpClient();
        await stuck.ConnectAsync(server.EndPoint!);
        await stuck.GetStream().WriteAsync(new byte[] { 0x10, 0x00, 0x01 });
        var answer = await DnsClient.TcpAsync(server.EndPoint!, DnsMessages.Query("web.default.svc.cluster.local", DnsType.A));
        Assert.Single(answer.Answers);
    }

    [Fact]
    public async Task A_flood_of_queries_does_not_stop_the_server_answering_a_new_client()
    {
        await using var upstream = new FakeUpstream(silent: true);
        await using var server = await StartAsync([upstream.EndPoint], forwardTimeout: TimeSpan.FromMilliseconds(500), maxConcurrentForwards: 100);
        var good = DnsMessages.Query("web.default.svc.cluster.local", DnsType.A);
        var outside = DnsMessages.Query("flood.example.org", DnsType.A);
        var garbage = new byte[] { 1, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0 };

        // 50 sockets x 1,000 packets, sent without waiting for answers: zone names, garbage, and names to forward to an
        // upstream that never answers (which would pile up forwards without the in-flight bound).
        var senders = Enumerable.Range(0, 50).Select(s => Task.Run(async () =>
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.Connect(server.EndPoint!);
            for (var i = 0; i < 1000; i++)
            {
                var packet = (i % 3) switch { 0 => good, 1 => garbage, _ => outside };
                await socket.SendAsync(packet, SocketFlags.None);
            }
        })).ToArray();
        await Task.WhenAll(senders);

        var fresh = await DnsClient.UdpAsync(server.EndPoint!, DnsMessages.Query("web.default.svc.cluster.local", DnsType.A, id: 31337), attempts: 20);
        Assert.Equal(31337, fresh.Id);
        Assert.Equal(["web.default.svc.cluster.local. 30 A 10.43.0.20"], fresh.Answers);
        Assert.True(server.Counters.Queries > 0, "the flood reached the server");
    }
}
