using System.Net;
using System.Net.Sockets;
using Kubesharp.Dns.Wire;

namespace Kubesharp.Dns.Zone;

/// <summary>
/// Answers names in the cluster zone the way CoreDNS's <c>kubernetes</c> plugin does with k3s's Corefile
/// (<c>pods insecure</c>, <c>ttl 30</c>): <c>SVC.NS.svc.ZONE</c>, <c>ENDPOINT.SVC.NS.svc.ZONE</c>,
/// <c>_PORT._PROTO.SVC.NS.svc.ZONE</c>, <c>A-B-C-D.NS.pod.ZONE</c>, the apex SOA and NS, <c>ns.dns.ZONE</c> and
/// <c>dns-version.ZONE</c>; NXDOMAIN or NODATA with the zone's SOA otherwise. Reads the zone without locks and
/// allocates nothing per query.
/// </summary>
internal sealed class ZoneResponder
{
    private static readonly byte[] Version = [5, (byte)'1', (byte)'.', (byte)'1', (byte)'.', (byte)'0'];

    private readonly ClusterZone _zone;
    private readonly uint _ttl;
    private readonly byte[] _nsWire;
    private readonly byte[] _hostmasterWire;
    private readonly byte[][] _dnsAddresses;

    public ClusterZone Zone => _zone;

    public ZoneResponder(ClusterZone zone, uint ttl, IReadOnlyList<IPAddress> dnsServiceAddresses)
    {
        _zone = zone;
        _ttl = ttl;
        _nsWire = DnsName.Encode("ns.dns." + zone.Domain);
        _hostmasterWire = DnsName.Encode("hostmaster." + zone.Domain);
        _dnsAddresses = [.. dnsServiceAddresses.Select(a => a.GetAddressBytes())];
    }

    /// <summary>Whether the lower-cased name is the zone or below it.</summary>
    public bool InZone(ReadOnlySpan<char> name) =>
        name.SequenceEqual(_zone.Domain) || (name.EndsWith(_zone.Domain) && name.Length > _zone.Domain.Length && name[^(_zone.Domain.Length + 1)] == '.');

    /// <summary>Writes the answer for a name in the zone (see <see cref="InZone"/>) and returns the rcode.</summary>
    public int Answer(ref ResponseBuilder b, scoped in DnsQuery q)
    {
        var qtype = q.QType == DnsType.ANY ? DnsType.A : q.QType;
        var name = q.NameText;
        if (name.Length == _zone.Domain.Length)
        {
            return Apex(ref b, qtype);
        }

        if (!q.NameTextExact)
        {
            return NameError(ref b);
        }

        var rest = name[..^(_zone.Domain.Length + 1)];
        if (rest.SequenceEqual("ns.dns"))
        {
            return AddressesOf(ref b, qtype, _dnsAddresses) ? DnsRcode.NoError : NoData(ref b);
        }

        if (rest.SequenceEqual("dns-version"))
        {
            // The DNS specification's version record (kubernetes/dns docs/specification.md 2.2).
            if (qtype == DnsType.TXT)
            {
                b.BeginRecord();
                var at = b.Writer.BeginRecord(ResponseBuilder.QuestionOffset, DnsType.TXT, _ttl);
                b.Writer.WriteBytes(Version);
                b.Writer.EndRecord(at);
                b.EndRecord(Section.Answer);
                return DnsRcode.NoError;
            }

            return NoData(ref b);
        }

        // Labels from the right: svc|pod, namespace, service (or pod), then up to two more.
        var kindStart = rest.LastIndexOf('.') + 1;
        var kind = rest[kindStart..];
        var isService = kind.SequenceEqual("svc");
        if (!isService && !kind.SequenceEqual("pod"))
        {
            return NameError(ref b);
        }

        if (kindStart == 0)
        {
            return NoData(ref b);
        }

        var left = rest[..(kindStart - 1)];
        var nsStart = left.LastIndexOf('.') + 1;
        var ns = left[nsStart..];
        if (!_zone.NamespaceExists(ns))
        {
            return NameError(ref b);
        }

        if (nsStart == 0)
        {
            return NoData(ref b);
        }

        left = left[..(nsStart - 1)];
        var objectStart = left.LastIndexOf('.') + 1;
        var objectName = left[objectStart..];
        var prefix = objectStart == 0 ? [] : left[..(objectStart - 1)];
        var extra = prefix.IsEmpty ? 0 : prefix.Count('.') + 1;
        if (extra > 2)
        {
            return NameError(ref b);
        }

        if (!isService)
        {
            return Pod(ref b, qtype, objectName);
        }

        // The service key "name.namespace" is contiguous in the query text.
        var keyLength = objectName.Length + 1 + ns.Length;
        if (!_zone.TryGetService(name.Slice(objectStart, keyLength), out var service))
        {
            return NameError(ref b);
        }

        ReadOnlySpan<char> endpoint = [];
        ReadOnlySpan<char> port = [];
        ReadOnlySpan<char> protocol = [];
        if (extra == 1)
        {
            endpoint = prefix;
        }
        else if (extra == 2)
        {
            var dot = prefix.IndexOf('.');
            port = StripUnderscore(prefix[..dot]);
            protocol = StripUnderscore(prefix[(dot + 1)..]);
        }

        return Service(ref b, qtype, service, endpoint, port, protocol);
    }

    /// <summary>A PTR answer for a cluster IP or endpoint address; false (nothing written) when the address is not the cluster's.</summary>
    public bool TryAnswerReverse(ref ResponseBuilder b, scoped in DnsQuery q)
    {
        if (!TryParseReverse(q.NameText, out var key) || !_zone.TryGetReverse(key, out var names))
        {
            return false;
        }

        b.BeginRecord();
        var at = b.Writer.BeginRecord(ResponseBuilder.QuestionOffset, DnsType.PTR, _ttl);
        b.Writer.WriteName(names[0]);
        b.Writer.EndRecord(at);
        b.EndRecord(Section.Answer);
        return true;
    }

    private int Apex(ref ResponseBuilder b, ushort qtype)
    {
        switch (qtype)
        {
            case DnsType.SOA:
                WriteSoa(ref b, Section.Answer);
                return DnsRcode.NoError;
            case DnsType.NS:
                b.BeginRecord();
                var at = b.Writer.BeginRecord(ResponseBuilder.QuestionOffset, DnsType.NS, _ttl);
                b.Writer.WriteName(_nsWire);
                b.Writer.EndRecord(at);
                b.EndRecord(Section.Answer);
                foreach (var address in _dnsAddresses)
                {
                    WriteAddress(ref b, _nsWire, address, Section.Additional);
                }

                return DnsRcode.NoError;
            default:
                return NoData(ref b);
        }
    }

    private int Pod(ref ResponseBuilder b, ushort qtype, ReadOnlySpan<char> label)
    {
        Span<byte> address = stackalloc byte[16];
        var length = ParsePodLabel(label, address);
        if (length == 0)
        {
            return NameError(ref b);
        }

        if ((qtype == DnsType.A && length == 4) || (qtype == DnsType.AAAA && length == 16))
        {
            WriteAddress(ref b, address[..length], Section.Answer);
            return DnsRcode.NoError;
        }

        return NoData(ref b);
    }

    private int Service(ref ResponseBuilder b, ushort qtype, ServiceEntry service, ReadOnlySpan<char> endpoint, ReadOnlySpan<char> port, ReadOnlySpan<char> protocol)
    {
        if (service.Kind == ServiceKind.ExternalName)
        {
            if (!endpoint.IsEmpty || !port.IsEmpty || !protocol.IsEmpty || service.ExternalNameWire is null)
            {
                return NameError(ref b);
            }

            b.BeginRecord();
            var at = b.Writer.BeginRecord(ResponseBuilder.QuestionOffset, DnsType.CNAME, _ttl);
            b.Writer.WriteName(service.ExternalNameWire);
            b.Writer.EndRecord(at);
            b.EndRecord(Section.Answer);
            return DnsRcode.NoError;
        }

        // CoreDNS builds one "service" per matching (address, port): count them first, since SRV weights divide by it.
        ReadOnlySpan<EndpointEntry> endpoints = [];
        var byEndpoints = service.Kind == ServiceKind.Headless || !endpoint.IsEmpty;
        var matches = 0;
        if (byEndpoints)
        {
            if (!endpoint.IsEmpty)
            {
                endpoints = service.EndpointLookup.TryGetValue(endpoint, out var found) ? found : [];
            }
            else
            {
                endpoints = service.Endpoints;
            }

            foreach (var e in endpoints)
            {
                foreach (var p in e.Ports)
                {
                    if (PortMatches(p, port, protocol))
                    {
                        matches++;
                    }
                }
            }
        }
        else
        {
            foreach (var p in service.Ports)
            {
                if (PortMatches(p, port, protocol))
                {
                    matches++;
                }
            }

            matches *= service.ClusterIps.Length;
            if (matches == 0 && AnyPortMatches(service.Ports, port, protocol))
            {
                // A port matched but no cluster IP is allocated yet: the name exists, with no data.
                return NoData(ref b);
            }
        }

        if (matches == 0)
        {
            return NameError(ref b);
        }

        var written = qtype switch
        {
            DnsType.A or DnsType.AAAA => byEndpoints ? EndpointAddresses(ref b, qtype, endpoints, port, protocol) : AddressesOf(ref b, qtype, service.ClusterIps),
            DnsType.SRV => byEndpoints ? EndpointSrv(ref b, endpoints, port, protocol, matches) : ServiceSrv(ref b, service, port, protocol, matches),
            _ => false,
        };
        return written ? DnsRcode.NoError : NoData(ref b);
    }

    private bool EndpointAddresses(ref ResponseBuilder b, ushort qtype, ReadOnlySpan<EndpointEntry> endpoints, ReadOnlySpan<char> port, ReadOnlySpan<char> protocol)
    {
        var length = qtype == DnsType.A ? 4 : 16;
        var any = false;
        for (var i = 0; i < endpoints.Length; i++)
        {
            var e = endpoints[i];
            if (e.Address.Length != length || !AnyPortMatches(e.Ports, port, protocol) || SeenAddress(endpoints[..i], e.Address, port, protocol))
            {
                continue;
            }

            WriteAddress(ref b, e.Address, Section.Answer);
            any = true;
        }

        return any;
    }

    private bool AddressesOf(ref ResponseBuilder b, ushort qtype, byte[][] addresses)
    {
        var length = qtype == DnsType.A ? 4 : 16;
        var any = false;
        foreach (var address in addresses)
        {
            if (address.Length == length)
            {
                WriteAddress(ref b, address, Section.Answer);
                any = true;
            }
        }

        return any;
    }

    private bool ServiceSrv(ref ResponseBuilder b, ServiceEntry service, ReadOnlySpan<char> port, ReadOnlySpan<char> protocol, int matches)
    {
        var weight = Weight(matches);
        var any = false;
        foreach (var p in service.Ports)
        {
            if (!PortMatches(p, port, protocol))
            {
                continue;
            }

            // CoreDNS drops duplicate (target, port) records: one per port whatever the number of cluster IPs.
            if (service.ClusterIps.Length > 0)
            {
                WriteSrv(ref b, weight, p.Port, service.FqdnWire);
                any = true;
            }
        }

        if (any)
        {
            foreach (var address in service.ClusterIps)
            {
                WriteAddress(ref b, service.FqdnWire, address, Section.Additional);
            }
        }

        return any;
    }

    private bool EndpointSrv(ref ResponseBuilder b, ReadOnlySpan<EndpointEntry> endpoints, ReadOnlySpan<char> port, ReadOnlySpan<char> protocol, int matches)
    {
        var weight = Weight(matches);
        var any = false;
        for (var i = 0; i < endpoints.Length; i++)
        {
            foreach (var p in endpoints[i].Ports)
            {
                if (p.Port != -1 && PortMatches(p, port, protocol))
                {
                    WriteSrv(ref b, weight, p.Port, endpoints[i].FqdnWire);
                    any = true;
                }
            }
        }

        for (var i = 0; i < endpoints.Length; i++)
        {
            if (AnyPortMatches(endpoints[i].Ports, port, protocol))
            {
                WriteAddress(ref b, endpoints[i].FqdnWire, endpoints[i].Address, Section.Additional);
            }
        }

        return any;
    }

    /// <summary>CoreDNS's SRV weight: 100 shared by the records of a priority, at least 1.</summary>
    private static ushort Weight(int matches) => (ushort)Math.Max(1, 100 / matches);

    private void WriteSrv(ref ResponseBuilder b, ushort weight, int port, byte[] target)
    {
        b.BeginRecord();
        var at = b.Writer.BeginRecord(ResponseBuilder.QuestionOffset, DnsType.SRV, _ttl);
        b.Writer.WriteUInt16(0);
        b.Writer.WriteUInt16(weight);
        b.Writer.WriteUInt16((ushort)port);
        b.Writer.WriteName(target);
        b.Writer.EndRecord(at);
        b.EndRecord(Section.Answer);
    }

    private void WriteAddress(ref ResponseBuilder b, scoped ReadOnlySpan<byte> address, Section section)
    {
        b.BeginRecord();
        var at = b.Writer.BeginRecord(ResponseBuilder.QuestionOffset, address.Length == 4 ? DnsType.A : DnsType.AAAA, _ttl);
        b.Writer.WriteBytes(address);
        b.Writer.EndRecord(at);
        b.EndRecord(section);
    }

    private void WriteAddress(ref ResponseBuilder b, byte[] owner, byte[] address, Section section)
    {
        b.BeginRecord();
        var at = b.Writer.BeginRecord(owner, address.Length == 4 ? DnsType.A : DnsType.AAAA, _ttl);
        b.Writer.WriteBytes(address);
        b.Writer.EndRecord(at);
        b.EndRecord(section);
    }

    private void WriteSoa(ref ResponseBuilder b, Section section)
    {
        b.BeginRecord();
        var at = b.Writer.BeginRecord(_zone.DomainWire, DnsType.SOA, Math.Min(_ttl, 300));
        b.Writer.WriteName(_nsWire);
        b.Writer.WriteName(_hostmasterWire);
        b.Writer.WriteUInt32(_zone.Serial);
        b.Writer.WriteUInt32(7200);
        b.Writer.WriteUInt32(1800);
        b.Writer.WriteUInt32(86400);
        b.Writer.WriteUInt32(_ttl);
        b.Writer.EndRecord(at);
        b.EndRecord(section);
    }

    /// <summary>RFC 2308: the name exists but has no record of the type asked; the SOA tells how long to remember.</summary>
    private int NoData(ref ResponseBuilder b)
    {
        WriteSoa(ref b, Section.Authority);
        return DnsRcode.NoError;
    }

    private int NameError(ref ResponseBuilder b)
    {
        WriteSoa(ref b, Section.Authority);
        return DnsRcode.NxDomain;
    }

    private static bool PortMatches(DnsPort p, ReadOnlySpan<char> port, ReadOnlySpan<char> protocol) =>
        (port.IsEmpty || port.Equals(p.Name, StringComparison.OrdinalIgnoreCase))
        && (protocol.IsEmpty || protocol.Equals(p.Protocol, StringComparison.OrdinalIgnoreCase));

    private static bool AnyPortMatches(DnsPort[] ports, ReadOnlySpan<char> port, ReadOnlySpan<char> protocol)
    {
        foreach (var p in ports)
        {
            if (PortMatches(p, port, protocol))
            {
                return true;
            }
        }

        return false;
    }

    private static bool SeenAddress(ReadOnlySpan<EndpointEntry> before, byte[] address, ReadOnlySpan<char> port, ReadOnlySpan<char> protocol)
    {
        foreach (var e in before)
        {
            if (e.Address.AsSpan().SequenceEqual(address) && AnyPortMatches(e.Ports, port, protocol))
            {
                return true;
            }
        }

        return false;
    }

    private static ReadOnlySpan<char> StripUnderscore(ReadOnlySpan<char> label) => label.StartsWith('_') ? label[1..] : label;

    /// <summary>
    /// The address in a pod label as CoreDNS reads it: with exactly three dashes and no "--", dotted IPv4 (Go's strict
    /// parsing: four decimal parts, no leading zeros); otherwise dashes are colons of an IPv6 address. 0 if neither.
    /// </summary>
    internal static int ParsePodLabel(ReadOnlySpan<char> label, Span<byte> address)
    {
        if (label.Count('-') == 3 && !label.Contains("--", StringComparison.Ordinal))
        {
            return TryParseIPv4(label, '-', address) ? 4 : 0;
        }

        if (label.Length > 45)
        {
            return 0;
        }

        Span<char> text = stackalloc char[label.Length];
        label.CopyTo(text);
        text.Replace('-', ':');
        if (IPAddress.TryParse(text, out var parsed) && parsed.AddressFamily == AddressFamily.InterNetworkV6 && parsed.TryWriteBytes(address, out var written))
        {
            return written;
        }

        // Go's net.ParseIP also takes a dotted IPv4 once dashes are colons only in the IPv4-mapped form; nothing else.
        return 0;
    }

    internal static bool TryParseIPv4(ReadOnlySpan<char> text, char separator, Span<byte> address)
    {
        for (var part = 0; part < 4; part++)
        {
            var end = part == 3 ? text.Length : text.IndexOf(separator);
            if (end <= 0 || end > 3 || (end > 1 && text[0] == '0'))
            {
                return false;
            }

            var value = 0;
            foreach (var c in text[..end])
            {
                if (c is < '0' or > '9')
                {
                    return false;
                }

                value = (value * 10) + (c - '0');
            }

            if (value > 255)
            {
                return false;
            }

            address[part] = (byte)value;
            text = part == 3 ? [] : text[(end + 1)..];
        }

        return true;
    }

    /// <summary>The address of a reverse name: <c>D.C.B.A.in-addr.arpa</c> or 32 nibbles under <c>ip6.arpa</c>.</summary>
    internal static bool TryParseReverse(ReadOnlySpan<char> name, out UInt128 key)
    {
        key = default;
        Span<byte> address = stackalloc byte[16];
        if (name.EndsWith(".in-addr.arpa", StringComparison.Ordinal))
        {
            var labels = name[..^".in-addr.arpa".Length];
            Span<byte> reversed = stackalloc byte[4];
            if (!TryParseIPv4(labels, '.', reversed))
            {
                return false;
            }

            for (var i = 0; i < 4; i++)
            {
                address[i] = reversed[3 - i];
            }

            key = ClusterZone.AddressKey(address[..4]);
            return true;
        }

        if (name.EndsWith(".ip6.arpa", StringComparison.Ordinal))
        {
            var labels = name[..^".ip6.arpa".Length];
            if (labels.Length != 63)
            {
                return false;
            }

            for (var i = 0; i < 32; i++)
            {
                if (i > 0 && labels[(2 * i) - 1] != '.')
                {
                    return false;
                }

                var c = labels[2 * i];
                int nibble = c is >= '0' and <= '9' ? c - '0' : c is >= 'a' and <= 'f' ? c - 'a' + 10 : -1;
                if (nibble < 0)
                {
                    return false;
                }

                var index = 31 - i;
                address[index / 2] |= (byte)((index % 2 == 0) ? nibble << 4 : nibble);
            }

            key = ClusterZone.AddressKey(address);
            return true;
        }

        return false;
    }
}
