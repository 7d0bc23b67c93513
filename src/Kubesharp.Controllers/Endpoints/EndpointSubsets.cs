using k8s.Models;

namespace Kubesharp.Controllers.Endpoints;

/// <summary>
/// The subsets of an Endpoints object: upstream's <c>endpoints.RepackSubsets</c> (one subset per group of
/// addresses offering the same ports), the controller's semantic comparison, and its truncation to
/// <see cref="MaxCapacity"/> addresses.
/// </summary>
internal static class EndpointSubsets
{
    /// <summary>Upstream's maxCapacity: addresses kept in one Endpoints object.</summary>
    public const int MaxCapacity = 1000;

    public const string OverCapacityAnnotation = "endpoints.kubernetes.io/over-capacity";

    public const string Truncated = "truncated";

    // Stands for "no ports" (a headless service without ports), so that such addresses are not lost.
    private static readonly PortKey NoPorts = new("", -1, "", null);

    /// <summary>
    /// Regroups <paramref name="subsets"/> so that each address (identified by IP and target UID) appears once
    /// per set of ports it offers, in the subset of exactly that set. An address not ready for one port is not
    /// ready for it, whatever other subsets say (not ready wins). Addresses are sorted by IP then UID. Subsets and
    /// their ports come in a fixed order; upstream orders them by a hash of their Go dump instead, which no client
    /// can rely on, so the order here is by ports (number, name, protocol), then by first address.
    /// </summary>
    public static List<V1EndpointSubset> Repack(IEnumerable<V1EndpointSubset> subsets)
    {
        var addresses = new Dictionary<(string Ip, string Uid), V1EndpointAddress>();
        var readyByPort = new Dictionary<PortKey, Dictionary<(string Ip, string Uid), bool>>();
        foreach (var subset in subsets)
        {
            var ports = subset.Ports is { Count: > 0 } p ? p.Select(PortKey.Of).ToList() : [NoPorts];
            foreach (var port in ports)
            {
                foreach (var address in subset.Addresses ?? [])
                {
                    Map(address, port, ready: true, addresses, readyByPort);
                }

                foreach (var address in subset.NotReadyAddresses ?? [])
                {
                    Map(address, port, ready: false, addresses, readyByPort);
                }
            }
        }

        // Group the ports by the exact set of (address, ready) offering them.
        var groups = new Dictionary<string, (Dictionary<(string Ip, string Uid), bool> Addresses, List<PortKey> Ports)>(StringComparer.Ordinal);
        foreach (var (port, set) in readyByPort)
        {
            var key = string.Join('\n', set.OrderBy(kv => kv.Key.Ip, StringComparer.Ordinal).ThenBy(kv => kv.Key.Uid, StringComparer.Ordinal)
                .Select(kv => $"{kv.Key.Ip}|{kv.Key.Uid}|{kv.Value}"));
            if (!groups.TryGetValue(key, out var group))
            {
                groups[key] = group = (set, []);
            }

            if (port != NoPorts)
            {
                group.Ports.Add(port);
            }
        }

        var result = new List<V1EndpointSubset>();
        foreach (var (set, ports) in groups.Values)
        {
            var ready = set.Where(kv => kv.Value).Select(kv => addresses[kv.Key]).ToList();
            var notReady = set.Where(kv => !kv.Value).Select(kv => addresses[kv.Key]).ToList();
            ready.Sort(CompareAddresses);
            notReady.Sort(CompareAddresses);
            ports.Sort();
            result.Add(new V1EndpointSubset
            {
                Addresses = ready.Count == 0 ? null : ready,
                NotReadyAddresses = notReady.Count == 0 ? null : notReady,
                Ports = ports.Count == 0 ? null : [.. ports.Select(p => p.ToPort())],
            });
        }

        result.Sort(CompareSubsets);
        return result;
    }

    private static void Map(
        V1EndpointAddress address,
        PortKey port,
        bool ready,
        Dictionary<(string Ip, string Uid), V1EndpointAddress> addresses,
        Dictionary<PortKey, Dictionary<(string Ip, string Uid), bool>> readyByPort)
    {
        var key = (address.Ip ?? "", address.TargetRef?.Uid ?? "");
        addresses.TryAdd(key, address);
        if (!readyByPort.TryGetValue(port, out var set))
        {
            readyByPort[port] = set = [];
        }

        // Not ready wins over ready.
        if (!set.TryGetValue(key, out var wasReady) || wasReady)
        {
            set[key] = ready;
        }
    }

    /// <summary>Upstream's <c>LessEndpointAddress</c>: by IP (ordinal), then by target UID, no target first.</summary>
    public static int CompareAddresses(V1EndpointAddress a, V1EndpointAddress b)
    {
        var byIp = string.CompareOrdinal(a.Ip, b.Ip);
        if (byIp != 0)
        {
            return byIp;
        }

        if (a.TargetRef is null || b.TargetRef is null)
        {
            return (a.TargetRef is null ? 0 : 1) - (b.TargetRef is null ? 0 : 1);
        }

        return string.CompareOrdinal(a.TargetRef.Uid, b.TargetRef.Uid);
    }

    private static int CompareSubsets(V1EndpointSubset a, V1EndpointSubset b)
    {
        var portsA = a.Ports ?? [];
        var portsB = b.Ports ?? [];
        for (var i = 0; i < Math.Min(portsA.Count, portsB.Count); i++)
        {
            var byPort = PortKey.Of(portsA[i]).CompareTo(PortKey.Of(portsB[i]));
            if (byPort != 0)
            {
                return byPort;
            }
        }

        if (portsA.Count != portsB.Count)
        {
            return portsA.Count - portsB.Count;
        }

        var first = FirstAddress(a);
        var second = FirstAddress(b);
        return first is null || second is null ? (first is null ? 0 : 1) - (second is null ? 0 : 1) : CompareAddresses(first, second);
    }

    private static V1EndpointAddress? FirstAddress(V1EndpointSubset subset) =>
        subset.Addresses?.FirstOrDefault() ?? subset.NotReadyAddresses?.FirstOrDefault();

    public static int Count(IEnumerable<V1EndpointSubset>? subsets) =>
        subsets?.Sum(s => (s.Addresses?.Count ?? 0) + (s.NotReadyAddresses?.Count ?? 0)) ?? 0;

    /// <summary>
    /// Upstream's <c>truncateEndpoints</c>: above <see cref="MaxCapacity"/> addresses, keep ready ones first.
    /// When the ready ones alone are too many, all not-ready ones go and each subset keeps its share of the ready
    /// ones (rounded up, the last subsets getting what is left); otherwise only the not-ready ones are cut, the same
    /// way. Returns whether anything was cut.
    /// </summary>
    public static bool Truncate(IList<V1EndpointSubset> subsets)
    {
        var totalReady = subsets.Sum(s => s.Addresses?.Count ?? 0);
        var totalNotReady = subsets.Sum(s => s.NotReadyAddresses?.Count ?? 0);
        if (totalReady + totalNotReady <= MaxCapacity)
        {
            return false;
        }

        var truncateReady = totalReady > MaxCapacity;
        var max = truncateReady ? MaxCapacity : MaxCapacity - totalReady;
        var total = truncateReady ? totalReady : totalNotReady;
        var canBeAdded = max;
        foreach (var subset in subsets)
        {
            var inSubset = truncateReady ? subset.Addresses?.Count ?? 0 : subset.NotReadyAddresses?.Count ?? 0;
            var toBeAdded = Math.Min((int)Math.Ceiling((double)inSubset / total * max), canBeAdded);
            if (truncateReady)
            {
                subset.Addresses = Take(subset.Addresses, toBeAdded);
                subset.NotReadyAddresses = null;
                canBeAdded -= subset.Addresses?.Count ?? 0;
            }
            else
            {
                subset.NotReadyAddresses = Take(subset.NotReadyAddresses, toBeAdded);
                canBeAdded -= subset.NotReadyAddresses?.Count ?? 0;
            }
        }

        return true;
    }

    private static IList<V1EndpointAddress>? Take(IList<V1EndpointAddress>? addresses, int count) =>
        addresses is null || addresses.Count <= count ? addresses : [.. addresses.Take(count)];

    /// <summary>
    /// Upstream's <c>endpointSubsetsEqualIgnoreResourceVersion</c>: equal field by field, an empty list equal to
    /// none, and the targets' resourceVersions ignored (a pod update that endpoints do not show writes nothing).
    /// </summary>
    public static bool Same(IList<V1EndpointSubset>? a, IList<V1EndpointSubset>? b) =>
        SameList(a, b, (x, y) =>
            SameList(x.Addresses, y.Addresses, SameAddress)
            && SameList(x.NotReadyAddresses, y.NotReadyAddresses, SameAddress)
            && SameList(x.Ports, y.Ports, (p, q) => PortKey.Of(p) == PortKey.Of(q)));

    private static bool SameAddress(V1EndpointAddress a, V1EndpointAddress b) =>
        a.Ip == b.Ip && a.Hostname == b.Hostname && a.NodeName == b.NodeName && SameTarget(a.TargetRef, b.TargetRef);

    /// <summary>Object references equal but for their resourceVersion.</summary>
    public static bool SameTarget(V1ObjectReference? a, V1ObjectReference? b) =>
        a is null ? b is null : b is not null
            && a.Kind == b.Kind && a.NamespaceProperty == b.NamespaceProperty && a.Name == b.Name && a.Uid == b.Uid
            && a.ApiVersion == b.ApiVersion && a.FieldPath == b.FieldPath;

    private static bool SameList<T>(IList<T>? a, IList<T>? b, Func<T, T, bool> same)
    {
        var x = a ?? [];
        var y = b ?? [];
        if (x.Count != y.Count)
        {
            return false;
        }

        for (var i = 0; i < x.Count; i++)
        {
            if (!same(x[i], y[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>An endpoint port as a value (the Go struct is comparable; the model is a class).</summary>
    private sealed record PortKey(string Name, int Port, string Protocol, string? AppProtocol) : IComparable<PortKey>
    {
        public static PortKey Of(Corev1EndpointPort port) => new(port.Name ?? "", port.Port, port.Protocol ?? "", port.AppProtocol);

        public Corev1EndpointPort ToPort() => new()
        {
            Name = Name.Length == 0 ? null : Name,
            Port = Port,
            Protocol = Protocol.Length == 0 ? null : Protocol,
            AppProtocol = AppProtocol,
        };

        public int CompareTo(PortKey? other)
        {
            if (other is null)
            {
                return 1;
            }

            var byPort = Port.CompareTo(other.Port);
            if (byPort != 0)
            {
                return byPort;
            }

            var byName = string.CompareOrdinal(Name, other.Name);
            if (byName != 0)
            {
                return byName;
            }

            var byProtocol = string.CompareOrdinal(Protocol, other.Protocol);
            return byProtocol != 0 ? byProtocol : string.CompareOrdinal(AppProtocol, other.AppProtocol);
        }
    }
}
