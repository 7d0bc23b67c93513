using System.Net;

namespace Kubesharp.Dns;

/// <summary>Configuration of the cluster DNS server (<c>kubesharp dns</c>, and inside <c>kubesharp server</c>).</summary>
public sealed record DnsServerOptions
{
    /// <summary>Port the server listens on by default: not 53, so that it does not fight a host resolver; kube-proxy DNATs the kube-dns Service to it.</summary>
    public const int DefaultPort = 10053;

    /// <summary>Where UDP and TCP are served (port 0: a free port, the same for both).</summary>
    public IPEndPoint Listen { get; init; } = new(IPAddress.Any, DefaultPort);

    /// <summary>The cluster domain (k3s and upstream: cluster.local).</summary>
    public string ClusterDomain { get; init; } = "cluster.local";

    /// <summary>TTL of every record of the zone (k3s's Corefile: <c>ttl 30</c>).</summary>
    public uint Ttl { get; init; } = 30;

    /// <summary>
    /// Resolvers for names outside the cluster; null reads the <c>nameserver</c> lines of <see cref="ResolvConf"/>
    /// (CoreDNS's <c>forward . /etc/resolv.conf</c>). Addresses that would send a query back to this server are left out.
    /// </summary>
    public IReadOnlyList<IPEndPoint>? Upstreams { get; init; }

    public string ResolvConf { get; init; } = "/etc/resolv.conf";

    /// <summary>How long one upstream gets to answer before the next is tried; SERVFAIL when none answered.</summary>
    public TimeSpan ForwardTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Forwards in flight at most; a query beyond gets REFUSED.</summary>
    public int MaxConcurrentForwards { get; init; } = 1000;

    public int MaxTcpConnections { get; init; } = 256;

    public TimeSpan TcpIdleTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>UDP receive loops; 0 picks twice the processor count.</summary>
    public int UdpLoops { get; init; }

    /// <summary>The kube-dns Service's address, requested at registration and answered for <c>ns.dns.ZONE</c>.</summary>
    public IPAddress ServiceIp { get; init; } = IPAddress.Parse("10.43.0.10");

    /// <summary>
    /// The addresses the kube-dns EndpointSlice lists (pods reach the server there, on the listening port); empty picks
    /// the listen address, or the host's first non-loopback IPv4 address when listening on all addresses.
    /// </summary>
    public IReadOnlyList<IPAddress> AdvertiseAddresses { get; init; } = [];

    /// <summary>Whether to create and keep the kube-dns Service, Endpoints and EndpointSlice in kube-system.</summary>
    public bool Register { get; init; } = true;

    /// <summary>How often the registration is checked even without a change to its objects.</summary>
    public TimeSpan RegistrationResync { get; init; } = TimeSpan.FromMinutes(1);
}
