using System.Collections;
using System.Net;
using System.Net.Sockets;

namespace Kubesharp.Controllers.NodeIpam;

/// <summary>
/// The subnets of one cluster CIDR, each of prefix length <c>subnetMaskSize</c>, as a bitmap (upstream's
/// <c>cidrset.CidrSet</c>, IPv4 or IPv6). <see cref="TryAllocateNext"/> hands out the lowest free subnet (upstream
/// keeps a round-robin cursor instead; lowest-free hands a freed subnet to the next node). At most 2^16 subnets,
/// as upstream. Thread-safe.
/// </summary>
public sealed class CidrSet
{
    /// <summary>Upstream's limit on the difference between the cluster and the node prefix lengths.</summary>
    public const int MaxPrefixDifference = 16;

    private readonly Lock _lock = new();
    private readonly BitArray _used;
    private readonly UInt128 _base;
    private readonly int _bits;
    private readonly int _subnetPrefix;
    private int _allocated;

    /// <exception cref="ArgumentException">The subnet prefix is shorter than the cluster's, longer than the address, or makes too many subnets.</exception>
    public CidrSet(IPNetwork cluster, int subnetMaskSize)
    {
        _bits = cluster.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32;
        if (subnetMaskSize < cluster.PrefixLength || subnetMaskSize > _bits)
        {
            throw new ArgumentException($"node CIDR mask size {subnetMaskSize} does not fit the cluster CIDR {cluster}", nameof(subnetMaskSize));
        }

        if (subnetMaskSize - cluster.PrefixLength > MaxPrefixDifference)
        {
            throw new ArgumentException($"the cluster CIDR {cluster} and the node mask size {subnetMaskSize} make more than 2^{MaxPrefixDifference} node CIDRs", nameof(subnetMaskSize));
        }

        Cluster = cluster;
        _subnetPrefix = subnetMaskSize;
        _base = ToNumber(cluster.BaseAddress);
        _used = new BitArray(1 << (subnetMaskSize - cluster.PrefixLength));
    }

    public IPNetwork Cluster { get; }

    public int Capacity => _used.Length;

    public int Allocated
    {
        get
        {
            lock (_lock)
            {
                return _allocated;
            }
        }
    }

    /// <summary>
    /// Parses <c>ADDRESS/PREFIX</c> as Go's <c>net.ParseCIDR</c> does: host bits after the prefix are dropped
    /// (<c>10.42.3.7/24</c> is <c>10.42.3.0/24</c>). False for anything else.
    /// </summary>
    public static bool TryParse(string? text, out IPNetwork cidr)
    {
        cidr = default;
        if (text is null)
        {
            return false;
        }

        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0
            || !IPAddress.TryParse(text.AsSpan(0, slash), out var address)
            || !int.TryParse(text.AsSpan(slash + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var prefix))
        {
            return false;
        }

        var bits = address.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32;
        if (prefix > bits)
        {
            return false;
        }

        var bytes = address.GetAddressBytes();
        for (var i = 0; i < bytes.Length; i++)
        {
            var keep = Math.Clamp(prefix - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - keep));
        }

        cidr = new IPNetwork(new IPAddress(bytes), prefix);
        return true;
    }

    /// <summary>The lowest free subnet, now marked used; false when every subnet is used.</summary>
    public bool TryAllocateNext(out IPNetwork cidr)
    {
        lock (_lock)
        {
            for (var i = 0; i < _used.Length; i++)
            {
                if (!_used[i])
                {
                    _used[i] = true;
                    _allocated++;
                    cidr = SubnetAt(i);
                    return true;
                }
            }
        }

        cidr = default;
        return false;
    }

    /// <summary>Marks every subnet <paramref name="cidr"/> covers (or the one containing it) as used; false when it lies outside the cluster CIDR.</summary>
    public bool Occupy(IPNetwork cidr) => Mark(cidr, true);

    /// <summary>Marks the subnets <paramref name="cidr"/> covers as free; false when it lies outside the cluster CIDR.</summary>
    public bool Release(IPNetwork cidr) => Mark(cidr, false);

    public bool IsUsed(IPNetwork cidr)
    {
        if (Range(cidr) is not var (begin, end))
        {
            return false;
        }

        lock (_lock)
        {
            for (var i = begin; i <= end; i++)
            {
                if (!_used[i])
                {
                    return false;
                }
            }
        }

        return true;
    }

    private bool Mark(IPNetwork cidr, bool used)
    {
        if (Range(cidr) is not var (begin, end))
        {
            return false;
        }

        lock (_lock)
        {
            for (var i = begin; i <= end; i++)
            {
                if (_used[i] != used)
                {
                    _used[i] = used;
                    _allocated += used ? 1 : -1;
                }
            }
        }

        return true;
    }

    /// <summary>The indexes of the subnets <paramref name="cidr"/> overlaps; null when it is not inside the cluster CIDR.</summary>
    private (int Begin, int End)? Range(IPNetwork cidr)
    {
        if (cidr.BaseAddress.AddressFamily != Cluster.BaseAddress.AddressFamily || !Cluster.Contains(cidr.BaseAddress) || cidr.PrefixLength < Cluster.PrefixLength)
        {
            return null;
        }

        var shift = _bits - _subnetPrefix;
        var begin = (int)((ToNumber(cidr.BaseAddress) - _base) >> shift);
        var count = cidr.PrefixLength >= _subnetPrefix ? 1 : 1 << (_subnetPrefix - cidr.PrefixLength);
        return (begin, Math.Min(_used.Length, begin + count) - 1);
    }

    private IPNetwork SubnetAt(int index)
    {
        var number = _base + ((UInt128)(uint)index << (_bits - _subnetPrefix));
        return new IPNetwork(ToAddress(number), _subnetPrefix);
    }

    private static UInt128 ToNumber(IPAddress address)
    {
        var bytes = address.GetAddressBytes();
        UInt128 number = 0;
        foreach (var b in bytes)
        {
            number = (number << 8) | b;
        }

        return number;
    }

    private IPAddress ToAddress(UInt128 number)
    {
        var bytes = new byte[_bits / 8];
        for (var i = bytes.Length - 1; i >= 0; i--)
        {
            bytes[i] = (byte)(number & 0xFF);
            number >>= 8;
        }

        return new IPAddress(bytes);
    }
}
