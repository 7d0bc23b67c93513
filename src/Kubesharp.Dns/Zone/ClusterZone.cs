using System.Collections.Concurrent;
using System.Net;
using k8s.Models;
using Kubesharp.Dns.Wire;

namespace Kubesharp.Dns.Zone;

/// <summary>
/// The in-memory index of the cluster zone, fed by the Service, EndpointSlice and Namespace informers.
/// <para>
/// Contract: reads (<see cref="TryGetService"/>, <see cref="NamespaceExists"/>, <see cref="TryGetReverse"/>) are
/// lock-free and safe from any number of threads: they see immutable <see cref="ServiceEntry"/> instances in
/// concurrent dictionaries, each swapped whole when its Service or one of its slices changes. Writes (the informer
/// handlers) take one lock among themselves, and cost the size of the one Service they touch, never of the zone.
/// A reader sees each Service either before or after a change, never half of it.
/// </para>
/// </summary>
public sealed class ClusterZone
{
    private const string ServiceNameLabel = "kubernetes.io/service-name";

    private readonly Lock _write = new();
    private readonly TimeProvider _time;

    // Writer-side state: the source objects, only touched under _write.
    private readonly Dictionary<string, V1Service> _serviceSources = [];
    private readonly Dictionary<string, (string ServiceKey, V1EndpointSlice Slice)> _sliceSources = [];
    private readonly Dictionary<string, SortedSet<string>> _slicesByService = [];

    // Reader-side state.
    private readonly ConcurrentDictionary<string, ServiceEntry> _services = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, byte> _namespaces = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<UInt128, byte[][]> _reverse = new();
    private long _serial;
    private volatile bool _synced;

    public ClusterZone(string domain = "cluster.local", TimeProvider? time = null)
    {
        Domain = domain.TrimEnd('.').ToLowerInvariant();
        DomainWire = DnsName.Encode(Domain);
        _time = time ?? TimeProvider.System;
        _serial = _time.GetUtcNow().ToUnixTimeSeconds();
    }

    /// <summary>The cluster domain, lower-case, without the trailing dot.</summary>
    public string Domain { get; }

    internal byte[] DomainWire { get; }

    /// <summary>The SOA serial: the Unix time of the last change, as CoreDNS's kubernetes plugin.</summary>
    public uint Serial => (uint)Interlocked.Read(ref _serial);

    /// <summary>False until the informers have synced; zone queries get SERVFAIL until then (as CoreDNS before its caches sync).</summary>
    public bool Synced
    {
        get => _synced;
        set => _synced = value;
    }

    public int ServiceCount => _services.Count;

    internal bool TryGetService(ReadOnlySpan<char> nameDotNamespace, out ServiceEntry entry) =>
        _services.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(nameDotNamespace, out entry!);

    internal bool NamespaceExists(ReadOnlySpan<char> name) => _namespaces.GetAlternateLookup<ReadOnlySpan<char>>().ContainsKey(name);

    /// <summary>The names (wire labels) that own <paramref name="address"/>: Services' cluster IPs first, then endpoints.</summary>
    internal bool TryGetReverse(UInt128 address, out byte[][] names) => _reverse.TryGetValue(address, out names!);

    public void UpsertNamespace(V1Namespace ns)
    {
        if (_namespaces.TryAdd(ns.Metadata.Name, 0))
        {
            Touch();
        }
    }

    public void DeleteNamespace(V1Namespace ns)
    {
        if (_namespaces.TryRemove(ns.Metadata.Name, out _))
        {
            Touch();
        }
    }

    public void UpsertService(V1Service service)
    {
        var key = Key(service.Metadata.Name, service.Metadata.NamespaceProperty);
        lock (_write)
        {
            _serviceSources[key] = service;
            Rebuild(key);
        }
    }

    public void DeleteService(V1Service service)
    {
        var key = Key(service.Metadata.Name, service.Metadata.NamespaceProperty);
        lock (_write)
        {
            _serviceSources.Remove(key);
            Rebuild(key);
        }
    }

    public void UpsertEndpointSlice(V1EndpointSlice slice)
    {
        var sliceKey = slice.Metadata.NamespaceProperty + "/" + slice.Metadata.Name;
        lock (_write)
        {
            var oldService = _sliceSources.TryGetValue(sliceKey, out var old) ? old.ServiceKey : null;
            var service = slice.Metadata.Labels?.TryGetValue(ServiceNameLabel, out var name) == true ? Key(name, slice.Metadata.NamespaceProperty) : null;
            if (oldService is not null && oldService != service)
            {
                RemoveSlice(sliceKey, oldService);
            }

            if (service is null)
            {
                _sliceSources.Remove(sliceKey);
                return;
            }

            _sliceSources[sliceKey] = (service, slice);
            if (!_slicesByService.TryGetValue(service, out var set))
            {
                _slicesByService[service] = set = new SortedSet<string>(StringComparer.Ordinal);
            }

            set.Add(sliceKey);
            Rebuild(service);
        }
    }

    public void DeleteEndpointSlice(V1EndpointSlice slice)
    {
        var sliceKey = slice.Metadata.NamespaceProperty + "/" + slice.Metadata.Name;
        lock (_write)
        {
            if (_sliceSources.TryGetValue(sliceKey, out var old))
            {
                RemoveSlice(sliceKey, old.ServiceKey);
            }
        }
    }

    private void RemoveSlice(string sliceKey, string serviceKey)
    {
        _sliceSources.Remove(sliceKey);
        if (_slicesByService.TryGetValue(serviceKey, out var set))
        {
            set.Remove(sliceKey);
            if (set.Count == 0)
            {
                _slicesByService.Remove(serviceKey);
            }
        }

        Rebuild(serviceKey);
    }

    private static string Key(string name, string ns) => name + "." + ns;

    private void Touch() => Interlocked.Exchange(ref _serial, _time.GetUtcNow().ToUnixTimeSeconds());

    private void Rebuild(string key)
    {
        _services.TryGetValue(key, out var old);
        ServiceEntry? entry = null;
        if (_serviceSources.TryGetValue(key, out var service))
        {
            var slices = _slicesByService.TryGetValue(key, out var set) ? set.Select(s => _sliceSources[s].Slice) : [];
            entry = Build(service, slices);
        }

        if (old is not null)
        {
            RemoveReverse(old);
        }

        if (entry is null)
        {
            _services.TryRemove(key, out _);
        }
        else
        {
            _services[key] = entry;
            AddReverse(entry);
        }

        Touch();
    }

    private ServiceEntry Build(V1Service service, IEnumerable<V1EndpointSlice> slices)
    {
        var spec = service.Spec ?? new V1ServiceSpec();
        var name = service.Metadata.Name;
        var ns = service.Metadata.NamespaceProperty;
        var fqdn = $"{name}.{ns}.svc.{Domain}";
        var clusterIps = spec.ClusterIPs is { Count: > 0 } ips ? ips : spec.ClusterIP is { Length: > 0 } one ? [one] : [];
        var kind = spec.Type == "ExternalName" ? ServiceKind.ExternalName
            : clusterIps.Count > 0 && clusterIps[0] == "None" ? ServiceKind.Headless
            : ServiceKind.ClusterIp;
        byte[]? external = null;
        if (kind == ServiceKind.ExternalName)
        {
            Span<byte> buffer = stackalloc byte[DnsLimits.MaxNameLength];
            var length = DnsName.Encode(spec.ExternalName ?? "", buffer);
            external = length > 1 ? buffer[..length].ToArray() : null;
        }

        var endpoints = new List<EndpointEntry>();
        foreach (var slice in slices)
        {
            DnsPort[] ports = slice.Ports is { Count: > 0 } slicePorts
                ? [.. slicePorts.Select(p => new DnsPort(p.Name ?? "", p.Protocol ?? "", p.Port ?? -1))]
                : [new DnsPort("", "", -1)];
            foreach (var endpoint in slice.Endpoints ?? [])
            {
                // CoreDNS publishes an endpoint unless it is known not ready.
                if (endpoint.Conditions?.Ready == false)
                {
                    continue;
                }

                foreach (var text in endpoint.Addresses ?? [])
                {
                    if (!IPAddress.TryParse(text, out var address))
                    {
                        continue;
                    }

                    var label = !string.IsNullOrEmpty(endpoint.Hostname) ? endpoint.Hostname : DashedLabel(text);
                    endpoints.Add(new EndpointEntry(label, DnsName.Encode(label + "." + fqdn), address.GetAddressBytes(), ports));
                }
            }
        }

        return new ServiceEntry
        {
            Namespace = ns,
            Name = name,
            Kind = kind,
            FqdnWire = DnsName.Encode(fqdn),
            ClusterIps = kind == ServiceKind.ClusterIp
                ? [.. clusterIps.Select(ip => IPAddress.TryParse(ip, out var a) ? a.GetAddressBytes() : null).OfType<byte[]>()]
                : [],
            ExternalNameWire = external,
            Ports = [.. (spec.Ports ?? []).Select(p => new DnsPort(p.Name ?? "", p.Protocol ?? "TCP", p.Port))],
            Endpoints = [.. endpoints],
            EndpointsByLabel = endpoints.GroupBy(e => e.Label, StringComparer.OrdinalIgnoreCase)
                .ToDictionary(g => g.Key, g => g.ToArray(), StringComparer.OrdinalIgnoreCase),
        };
    }

    /// <summary>CoreDNS's endpointHostname for an endpoint without hostname: the address with dots (or colons) as dashes.</summary>
    internal static string DashedLabel(string address)
    {
        if (address.Contains('.', StringComparison.Ordinal))
        {
            return address.Replace('.', '-');
        }

        var dashed = address.Replace(':', '-');
        if (dashed.StartsWith('-'))
        {
            dashed = "0" + dashed;
        }

        if (dashed.EndsWith('-'))
        {
            dashed += "0";
        }

        return dashed;
    }

    internal static UInt128 AddressKey(ReadOnlySpan<byte> address) =>
        address.Length == 4
            ? new UInt128(0, 0xFFFF_0000_0000UL | ((ulong)address[0] << 24) | ((ulong)address[1] << 16) | ((ulong)address[2] << 8) | address[3])
            : new UInt128(System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(address), System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(address[8..]));

    private void AddReverse(ServiceEntry entry)
    {
        foreach (var ip in entry.ClusterIps)
        {
            var key = AddressKey(ip);
            _reverse[key] = _reverse.TryGetValue(key, out var names) ? [entry.FqdnWire, .. names] : [entry.FqdnWire];
        }

        foreach (var endpoint in entry.Endpoints)
        {
            var key = AddressKey(endpoint.Address);
            _reverse[key] = _reverse.TryGetValue(key, out var names) ? [.. names, endpoint.FqdnWire] : [endpoint.FqdnWire];
        }
    }

    private void RemoveReverse(ServiceEntry entry)
    {
        foreach (var name in entry.ClusterIps.Select(ip => (Ip: ip, Name: entry.FqdnWire)).Concat(entry.Endpoints.Select(e => (Ip: e.Address, Name: e.FqdnWire))))
        {
            var key = AddressKey(name.Ip);
            if (!_reverse.TryGetValue(key, out var names))
            {
                continue;
            }

            var kept = names.Where(n => !ReferenceEquals(n, name.Name)).ToArray();
            if (kept.Length == 0)
            {
                _reverse.TryRemove(key, out _);
            }
            else
            {
                _reverse[key] = kept;
            }
        }
    }

}
