using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Kubesharp.ApiServer.ServiceAllocation;

/// <summary>
/// The service network (<c>--service-cluster-ip-range</c>, IPv4 only) as upstream's <c>ipallocator.Range</c> sees
/// it: item 0 is the address after the network address, and the broadcast address is no item, so neither can
/// ever be handed out. Immutable.
/// </summary>
internal sealed class ServiceIpRange
{
    private readonly uint _network;

    private ServiceIpRange(uint network, int prefix)
    {
        _network = network;
        Prefix = prefix;
        var total = 1L << (32 - prefix);
        Size = (int)Math.Max(0, Math.Min(total - 2, int.MaxValue));
        // Upstream's calculateRangeOffset: min(max(16, size/16), 256), none for ranges of 16 or less.
        Offset = total <= 16 ? 0 : (int)Math.Clamp(total / 16, 16, 256);
    }

    public int Prefix { get; }

    public int Size { get; }

    /// <summary>The start of the band dynamic allocation prefers; requested addresses below it rarely collide.</summary>
    public int Offset { get; }

    /// <summary>The range as upstream writes it in <c>RangeAllocation.range</c> and in its messages.</summary>
    public string Cidr => $"{ToAddress(_network)}/{Prefix.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The first address: the <c>kubernetes</c> Service's.</summary>
    public string First => AddressAt(0);

    public static ServiceIpRange Parse(string cidr)
    {
        var slash = cidr.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || !IPAddress.TryParse(cidr[..slash], out var address) || address.AddressFamily != AddressFamily.InterNetwork
            || !int.TryParse(cidr[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var prefix) || prefix is < 1 or > 30)
        {
            throw new ArgumentException($"invalid service CIDR \"{cidr}\": an IPv4 CIDR with a prefix of /1 to /30 is required");
        }

        var mask = uint.MaxValue << (32 - prefix);
        return new ServiceIpRange(ToUInt(address) & mask, prefix);
    }

    /// <summary>The item of <paramref name="ip"/>, or null when it is not an address this range can give.</summary>
    public int? ItemOf(string ip)
    {
        if (!IPAddress.TryParse(ip, out var address) || address.AddressFamily != AddressFamily.InterNetwork)
        {
            return null;
        }

        var offset = (long)ToUInt(address) - _network - 1;
        return offset >= 0 && offset < Size ? (int)offset : null;
    }

    public string AddressAt(int item) => ToAddress(_network + 1 + (uint)item);

    private static uint ToUInt(IPAddress address)
    {
        var bytes = address.GetAddressBytes();
        return ((uint)bytes[0] << 24) | ((uint)bytes[1] << 16) | ((uint)bytes[2] << 8) | bytes[3];
    }

    private static string ToAddress(uint value) =>
        new IPAddress([(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value]).ToString();
}

/// <summary>The node port range (<c>--service-node-port-range</c>, <c>BASE-LAST</c>); item <c>i</c> is port <c>BASE+i</c>. Immutable.</summary>
internal sealed class NodePortRange
{
    private NodePortRange(int first, int last)
    {
        First = first;
        Last = last;
        Size = last - first + 1;
        // Upstream's portallocator calculateRangeOffset: min(max(16, size/32), 128), none for ranges of 16 or less.
        Offset = Size <= 16 ? 0 : Math.Clamp(Size / 32, 16, 128);
    }

    public int First { get; }

    public int Last { get; }

    public int Size { get; }

    public int Offset { get; }

    /// <summary>As upstream's <c>net.PortRange.String()</c>.</summary>
    public string Text => $"{First.ToString(CultureInfo.InvariantCulture)}-{Last.ToString(CultureInfo.InvariantCulture)}";

    public static NodePortRange Parse(string text)
    {
        var dash = text.IndexOf('-', StringComparison.Ordinal);
        if (dash < 0 || !int.TryParse(text[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var first)
            || !int.TryParse(text[(dash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var last)
            || first < 1 || last > 65535 || last < first)
        {
            throw new ArgumentException($"invalid node port range \"{text}\": BASE-LAST within 1-65535 is required");
        }

        return new NodePortRange(first, last);
    }

    public int? ItemOf(int port) => port >= First && port <= Last ? port - First : null;

    public int PortAt(int item) => First + item;
}
