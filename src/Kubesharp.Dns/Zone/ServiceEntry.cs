namespace Kubesharp.Dns.Zone;

internal enum ServiceKind
{
    ClusterIp,
    Headless,
    ExternalName,
}

/// <summary>A port as the DNS sees it: the Service's, or an EndpointSlice's (port -1 when the slice has none, as CoreDNS).</summary>
internal sealed record DnsPort(string Name, string Protocol, int Port);

/// <summary>A ready endpoint address of a Service, under its DNS label (hostname, else the address with dashes).</summary>
internal sealed class EndpointEntry(string label, byte[] fqdnWire, byte[] address, DnsPort[] ports)
{
    public string Label { get; } = label;

    /// <summary><c>LABEL.SVC.NS.svc.ZONE.</c> as wire labels.</summary>
    public byte[] FqdnWire { get; } = fqdnWire;

    /// <summary>4 bytes for IPv4, 16 for IPv6.</summary>
    public byte[] Address { get; } = address;

    /// <summary>The ports of the slice the endpoint came from.</summary>
    public DnsPort[] Ports { get; } = ports;
}

/// <summary>
/// Everything the DNS answers for one Service, built once per change and then only read: instances are immutable
/// and shared by every query in flight, so the hot path reads them without locks.
/// </summary>
internal sealed class ServiceEntry
{
    public required string Namespace { get; init; }

    public required string Name { get; init; }

    public required ServiceKind Kind { get; init; }

    /// <summary><c>SVC.NS.svc.ZONE.</c> as wire labels.</summary>
    public required byte[] FqdnWire { get; init; }

    /// <summary>The cluster IPs (4 or 16 bytes each); empty for headless and ExternalName Services and before allocation.</summary>
    public required byte[][] ClusterIps { get; init; }

    /// <summary>The CNAME target of an ExternalName Service, as wire labels.</summary>
    public byte[]? ExternalNameWire { get; init; }

    public required DnsPort[] Ports { get; init; }

    /// <summary>Ready endpoints of every EndpointSlice of the Service, in slice then endpoint order.</summary>
    public required EndpointEntry[] Endpoints { get; init; }

    /// <summary>Endpoints by label, case-insensitively; read-only after construction.</summary>
    public required Dictionary<string, EndpointEntry[]> EndpointsByLabel { get; init; }

    public Dictionary<string, EndpointEntry[]>.AlternateLookup<ReadOnlySpan<char>> EndpointLookup => EndpointsByLabel.GetAlternateLookup<ReadOnlySpan<char>>();
}
