using System.Security.Cryptography;
using System.Text;

namespace Kubesharp.Proxy.Iptables;

/// <summary>
/// Upstream's chain names (pkg/proxy/iptables/proxier.go): the fixed KUBE-* chains and the per-service and per-endpoint
/// ones, named by the first 16 characters of the base32 (RFC 4648, upper case) SHA-256 of the service port's name
/// (<c>ns/name:port</c>), its lower-case protocol and, for endpoints, <c>IP:port</c>. iptables chain names are at most
/// 28 characters, hence the hash. Identical names to upstream's let an operator's tools and habits carry over.
/// </summary>
internal static class ChainNames
{
    public const string Services = "KUBE-SERVICES";
    public const string ExternalServices = "KUBE-EXTERNAL-SERVICES";
    public const string NodePorts = "KUBE-NODEPORTS";
    public const string Postrouting = "KUBE-POSTROUTING";
    public const string MarkMasq = "KUBE-MARK-MASQ";
    public const string Forward = "KUBE-FORWARD";
    public const string ProxyFirewall = "KUBE-PROXY-FIREWALL";

    /// <summary>The kubelet's anti-martian chain, which kube-proxy also writes when node ports answer on localhost.</summary>
    public const string KubeletFirewall = "KUBE-FIREWALL";

    public const string ClusterPolicyPrefix = "KUBE-SVC-";
    public const string LocalPolicyPrefix = "KUBE-SVL-";
    public const string FirewallPrefix = "KUBE-FW-";
    public const string ExternalPrefix = "KUBE-EXT-";
    public const string EndpointPrefix = "KUBE-SEP-";

    private const string Base32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    /// <summary>Whether a nat chain is one of the per-service or per-endpoint chains this proxy owns (upstream's <c>isServiceChainName</c>).</summary>
    public static bool IsServiceChain(string chain) =>
        chain.StartsWith(ClusterPolicyPrefix, StringComparison.Ordinal)
        || chain.StartsWith(LocalPolicyPrefix, StringComparison.Ordinal)
        || chain.StartsWith(EndpointPrefix, StringComparison.Ordinal)
        || chain.StartsWith(FirewallPrefix, StringComparison.Ordinal)
        || chain.StartsWith(ExternalPrefix, StringComparison.Ordinal);

    /// <summary><c>KUBE-SVC-</c>: the endpoints for the Cluster traffic policy.</summary>
    public static string ClusterPolicy(string servicePortName, string protocol) => ClusterPolicyPrefix + Hash(servicePortName + protocol);

    /// <summary><c>KUBE-SVL-</c>: this node's endpoints, for a Local traffic policy.</summary>
    public static string LocalPolicy(string servicePortName, string protocol) => LocalPolicyPrefix + Hash(servicePortName + protocol);

    /// <summary><c>KUBE-EXT-</c>: where node port, external IP and load balancer traffic goes first.</summary>
    public static string External(string servicePortName, string protocol) => ExternalPrefix + Hash(servicePortName + protocol);

    /// <summary><c>KUBE-SEP-</c>: one endpoint's DNAT.</summary>
    public static string Endpoint(string servicePortName, string protocol, string endpoint) => EndpointPrefix + Hash(servicePortName + protocol + endpoint);

    /// <summary>The first 16 characters (80 bits) of the base32 encoding of the SHA-256 of <paramref name="input"/>.</summary>
    internal static string Hash(string input)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        var count = Encoding.UTF8.GetByteCount(input);
        var bytes = count <= 256 ? stackalloc byte[count] : new byte[count];
        Encoding.UTF8.GetBytes(input, bytes);
        SHA256.HashData(bytes, digest);

        // 16 characters of 5 bits are exactly the first 10 bytes: two groups of 5 bytes, 8 characters each, no padding.
        Span<char> chars = stackalloc char[16];
        for (var group = 0; group < 2; group++)
        {
            var buffer = 0UL;
            for (var i = 0; i < 5; i++)
            {
                buffer = (buffer << 8) | digest[(group * 5) + i];
            }

            for (var i = 7; i >= 0; i--)
            {
                chars[(group * 8) + i] = Base32Alphabet[(int)(buffer & 31)];
                buffer >>= 5;
            }
        }

        return new string(chars);
    }
}
