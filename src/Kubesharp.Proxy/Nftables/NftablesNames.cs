using System.Security.Cryptography;
using System.Text;
using Kubesharp.Proxy.Model;

namespace Kubesharp.Proxy.Nftables;

/// <summary>
/// The names upstream's nftables proxier gives its table, chains, sets and maps, and its per-Service and per-endpoint
/// chain names (<c>service-ULMVA6XW-ns1/svc1/tcp/p80</c>, <c>endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80</c>):
/// eight base32 characters of the SHA-256 of the readable part, then the readable part.
/// </summary>
internal static class NftablesNames
{
    public const string Table = "kube-proxy";

    public const string FilterPrerouting = "filter-prerouting";
    public const string FilterInput = "filter-input";
    public const string FilterForward = "filter-forward";
    public const string FilterOutput = "filter-output";
    public const string FilterOutputPostDnat = "filter-output-post-dnat";
    public const string NatPrerouting = "nat-prerouting";
    public const string NatOutput = "nat-output";
    public const string NatPostrouting = "nat-postrouting";

    public const string Services = "services";
    public const string ServiceIpsMap = "service-ips";
    public const string ServiceNodePortsMap = "service-nodeports";
    public const string NodePortIpsSet = "nodeport-ips";
    public const string ClusterIpsSet = "cluster-ips";
    public const string ServiceEndpointsCheck = "service-endpoints-check";
    public const string NodePortEndpointsCheck = "nodeport-endpoints-check";
    public const string NoEndpointServicesMap = "no-endpoint-services";
    public const string NoEndpointNodePortsMap = "no-endpoint-nodeports";
    public const string RejectChain = "reject-chain";
    public const string ClusterIpsCheck = "cluster-ips-check";
    public const string FirewallIpsMap = "firewall-ips";
    public const string FirewallCheck = "firewall-check";
    public const string MarkForMasquerade = "mark-for-masquerade";
    public const string Masquerading = "masquerading";

    public const string ClusterPolicyPrefix = "service-";
    public const string LocalPolicyPrefix = "local-";
    public const string ExternalPrefix = "external-";
    public const string EndpointPrefix = "endpoint-";
    public const string AffinityPrefix = "affinity-";

    /// <summary>Not upstream's: the named <c>numgen</c> verdict map of one service or local policy chain (<c>lb-service-HASH-...</c>).</summary>
    public const string BalancePrefix = "lb-";

    /// <summary>Not upstream's: every chain, map and set of the fast path (<see cref="NftablesFastPath"/>) starts with it.</summary>
    public const string FastPrefix = "fast-";

    /// <summary>The fast path's set of <c>endpoint . endpoint</c> pairs whose DNATed traffic is masqueraded (hairpin).</summary>
    public const string FastHairpinSet = "fast-hairpin";

    // nft names are at most 256 characters; upstream keeps 16 for the longest prefix.
    private const int BaseLengthMax = 256 - 16;

    /// <summary><c>HASH-ns/name/proto/port</c>: the part after <c>service-</c>, <c>local-</c> or <c>external-</c>.</summary>
    public static string ServiceBase(ServicePortName name, string protocol) =>
        HashAndTruncate($"{name.Namespace}/{name.Name}/{protocol.ToLowerInvariant()}/{name.Port}");

    /// <summary><c>HASH-ns/name/proto/port__IP/port</c>: the part after <c>endpoint-</c> or <c>affinity-</c>.</summary>
    public static string EndpointBase(ServicePortName name, string protocol, EndpointInfo endpoint) =>
        HashAndTruncate($"{name.Namespace}/{name.Name}/{protocol.ToLowerInvariant()}/{name.Port}__{endpoint.Ip}/{endpoint.Port}");

    /// <summary>Service and endpoint chains carry a <c>/</c>; none of the fixed chain names does (upstream's isServiceChainName).</summary>
    public static bool IsServiceChain(string chain) => chain.Contains('/', StringComparison.Ordinal);

    public static bool IsAffinitySet(string set) => set.StartsWith(AffinityPrefix, StringComparison.Ordinal);

    /// <summary>The fast path's per-(kind, protocol, endpoint count) chains, created as services need them.</summary>
    public static bool IsFastChain(string chain) => chain.StartsWith(FastPrefix, StringComparison.Ordinal);

    /// <summary>The named verdict maps of the per-service chains (<see cref="BalancePrefix"/>).</summary>
    public static bool IsBalanceMap(string map) => map.StartsWith(BalancePrefix, StringComparison.Ordinal);

    /// <summary><c>fast-endpoints-tcp</c>: ClusterIP/external IP, port, index to endpoint.</summary>
    public static string FastEndpointsMap(string protocol) => FastPrefix + "endpoints-" + protocol;

    /// <summary><c>fast-nodeport-endpoints-tcp</c>: node port, index to endpoint.</summary>
    public static string FastNodePortEndpointsMap(string protocol) => FastPrefix + "nodeport-endpoints-" + protocol;

    private static string HashAndTruncate(string name)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(name));
        var result = Base32Prefix(hash) + "-" + name;
        return result.Length > BaseLengthMax ? result[..(BaseLengthMax - 3)] + "..." : result;
    }

    /// <summary>The first eight characters of the RFC 4648 base32 encoding (the first 40 bits, five bytes).</summary>
    private static string Base32Prefix(byte[] bytes)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        ulong bits = 0;
        for (var i = 0; i < 5; i++)
        {
            bits = (bits << 8) | bytes[i];
        }

        Span<char> chars = stackalloc char[8];
        for (var i = 7; i >= 0; i--)
        {
            chars[i] = alphabet[(int)(bits & 31)];
            bits >>= 5;
        }

        return new string(chars);
    }
}
