namespace Kubesharp.Proxy.Model;

/// <summary>One port of one Service: upstream's <c>proxy.ServicePortName</c> (<c>ns/name:port</c>, the port's name possibly empty).</summary>
public readonly record struct ServicePortName(string Namespace, string Name, string Port, string Protocol)
{
    /// <summary><c>ns/name</c>.</summary>
    public string NamespacedName => Namespace + "/" + Name;

    /// <summary>As upstream prints it: <c>ns/name:port</c>, or <c>ns/name</c> for an unnamed port.</summary>
    public override string ToString() => Port.Length == 0 ? NamespacedName : NamespacedName + ":" + Port;
}

/// <summary>
/// What the proxy needs of one Service port (upstream's <c>BaseServicePortInfo</c>): built from the Service by the change
/// tracker, rendered by a backend. Headless and ExternalName Services have no entry.
/// </summary>
public sealed record ServicePortInfo
{
    public required ServicePortName Name { get; init; }

    /// <summary>The IPv4 cluster IP (this proxy is IPv4 only).</summary>
    public required string ClusterIp { get; init; }

    public required int Port { get; init; }

    /// <summary><c>TCP</c>, <c>UDP</c> or <c>SCTP</c>.</summary>
    public required string Protocol { get; init; }

    /// <summary>0 when the Service has no node port.</summary>
    public int NodePort { get; init; }

    public IReadOnlyList<string> ExternalIps { get; init; } = [];

    /// <summary>From <c>status.loadBalancer.ingress[].ip</c>.</summary>
    public IReadOnlyList<string> LoadBalancerIps { get; init; } = [];

    /// <summary>sessionAffinity ClientIP: the stickiness timeout in seconds (default 10800); 0 means no affinity.</summary>
    public int StickyMaxAgeSeconds { get; init; }

    /// <summary><c>externalTrafficPolicy: Local</c> (only for NodePort/LoadBalancer/external IPs).</summary>
    public bool ExternalPolicyLocal { get; init; }

    /// <summary><c>internalTrafficPolicy: Local</c>.</summary>
    public bool InternalPolicyLocal { get; init; }

    public int HealthCheckNodePort { get; init; }

    /// <summary>Whether node ports, external IPs or load balancer IPs make this port reachable from outside the cluster.</summary>
    public bool ExternallyAccessible => NodePort != 0 || ExternalIps.Count > 0 || LoadBalancerIps.Count > 0;
}

/// <summary>One endpoint of one Service port, merged from the Service's EndpointSlices (upstream's <c>BaseEndpointInfo</c>).</summary>
public sealed record EndpointInfo
{
    public required string Ip { get; init; }

    public required int Port { get; init; }

    /// <summary><c>conditions.ready</c> (absent counts as true).</summary>
    public bool Ready { get; init; } = true;

    /// <summary><c>conditions.serving</c> (absent: the value of ready).</summary>
    public bool Serving { get; init; } = true;

    /// <summary><c>conditions.terminating</c> (absent counts as false).</summary>
    public bool Terminating { get; init; }

    public string? NodeName { get; init; }

    /// <summary>The endpoint runs on this proxy's node.</summary>
    public bool IsLocal { get; init; }

    /// <summary><c>IP:port</c>, the string upstream hashes into the endpoint's chain name.</summary>
    public string Address => Ip + ":" + Port;
}

/// <summary>Everything a backend renders in one full sync: every Service port with its endpoints, in a stable order.</summary>
public sealed record ProxySnapshot(IReadOnlyList<ServicePortEndpoints> Services)
{
    public static readonly ProxySnapshot Empty = new([]);
}

/// <summary>A Service port and its endpoints (for every address family, deduplicated by address).</summary>
public sealed record ServicePortEndpoints(ServicePortInfo Service, IReadOnlyList<EndpointInfo> Endpoints);

/// <summary>What a backend knows about the node it programs.</summary>
public sealed record NodeProxyContext
{
    public required string NodeName { get; init; }

    /// <summary>The node's IPv4 addresses; node ports answer on these (and on loopback for iptables, as upstream's route_localnet).</summary>
    public IReadOnlyList<string> NodeIps { get; init; } = [];

    /// <summary>The cluster's pod CIDR (upstream's <c>--cluster-cidr</c>): traffic to a cluster IP from outside it is masqueraded.</summary>
    public string? ClusterCidr { get; init; } = "10.42.0.0/16";

    /// <summary>Masquerade every packet to a cluster IP (upstream's <c>--masquerade-all</c>).</summary>
    public bool MasqueradeAll { get; init; }

    /// <summary>The fwmark bit that marks packets for masquerade (upstream's <c>--iptables-masquerade-bit</c>, 14: <c>0x4000</c>).</summary>
    public int MasqueradeBit { get; init; } = 14;

    public int MasqueradeMark => 1 << MasqueradeBit;
}
