using System.Globalization;
using System.Text;
using Kubesharp.Proxy.Model;
using static Kubesharp.Proxy.Nftables.NftablesNames;

namespace Kubesharp.Proxy.Nftables;

/// <summary>
/// The shared-map layout for Service ports whose endpoints need no per-endpoint state (not upstream's: see
/// docs/flows/nftables-fast-path.md). Such a port gets no chain of its own: its <c>service-ips</c> and
/// <c>service-nodeports</c> entries go to a chain shared by every port of the same protocol and endpoint count
/// (<c>fast-clusterip-tcp-10</c>, <c>fast-external-tcp-10</c>, <c>fast-nodeport-tcp-10</c>), whose one DNAT rule picks
/// the endpoint in a map keyed by the destination and <c>numgen random mod N</c>
/// (<c>fast-endpoints-tcp</c>, <c>fast-nodeport-endpoints-tcp</c>). Hairpin traffic is masqueraded in postrouting
/// through a set of <c>endpoint . endpoint</c> pairs (<see cref="FastHairpinSet"/>). So a sync of n such ports is
/// a constant number of chains and rules plus set elements, written many to a line.
/// <para>
/// The maps are per protocol and keyed with <c>tcp dport</c> (not <c>th dport</c>) on purpose: nft 1.0.6 refuses to
/// add a rule that looks up a map already in the kernel whose <c>typeof</c> holds <c>th dport</c> ("conflicting
/// protocols specified: tcp vs. th"), so every resync after the first would fail.
/// </para>
/// </summary>
internal sealed class NftablesFastPath
{
    /// <summary>The protocols the fast path serves (those nft has a <c>dport</c> payload for).</summary>
    public static readonly string[] Protocols = ["tcp", "udp", "sctp"];

    // Elements per "add element" command: each command costs nft a little, so 100,000 one-element commands parse far
    // slower than 100 commands of 1,000; larger lines gained nothing measurable.
    private const int ElementsPerLine = 1000;

    private const string ClusterIpKind = "clusterip";
    private const string ExternalKind = "external";
    private const string NodePortKind = "nodeport";

    private readonly NodeProxyContext _node;
    private readonly Dictionary<string, (string Kind, string Protocol, int Count)> _chains = new(StringComparer.Ordinal);
    private readonly ElementLines _clusterIps = new(ClusterIpsSet);
    private readonly ElementLines _serviceIps = new(ServiceIpsMap);
    private readonly ElementLines _nodePorts = new(ServiceNodePortsMap);
    private readonly Dictionary<string, ElementLines> _endpoints = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ElementLines> _nodePortEndpoints = new(StringComparer.Ordinal);
    private readonly ElementLines _hairpinPairs = new(FastHairpinSet);
    private readonly List<SharedElement>? _record;

    /// <param name="node">The node the rules are for.</param>
    /// <param name="record">For a partial sync: the shared elements are recorded there instead of written (see <see cref="NftablesRenderer.RenderPorts"/>).</param>
    public NftablesFastPath(NodeProxyContext node, List<SharedElement>? record = null)
    {
        _node = node;
        _record = record;
        foreach (var p in Protocols)
        {
            _endpoints[p] = new ElementLines(FastEndpointsMap(p));
            _nodePortEndpoints[p] = new ElementLines(FastNodePortEndpointsMap(p));
        }
    }

    /// <summary>The shared chains the collected ports use, by name: kind, protocol and endpoint count.</summary>
    public Dictionary<string, (string Kind, string Protocol, int Count)> Chains => _chains;

    /// <summary>How many <c>service-ips</c>/<c>service-nodeports</c> elements of the collected ports go to each shared chain.</summary>
    public Dictionary<string, int> ChainReferences { get; } = new(StringComparer.Ordinal);

    /// <summary>How many collected ports list each endpoint IP in <c>fast-hairpin</c> (one element per IP, however many ports).</summary>
    public Dictionary<string, int> HairpinReferences { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Whether a port goes through the shared maps: it has usable endpoints, no session affinity (per-endpoint
    /// recent-client sets) and no Local traffic policy in force (local-only endpoint lists, the short circuits of
    /// pod and node traffic; an external policy counts only for a port reachable from outside).
    /// Ports without endpoints need no chain in either layout (the no-endpoint maps); the rest keep upstream's chains.
    /// </summary>
    public static bool Serves(ServicePortInfo svc, TrafficEndpoints sel) =>
        svc.StickyMaxAgeSeconds == 0 && !svc.InternalPolicyLocal && !(svc.ExternalPolicyLocal && svc.ExternallyAccessible) && sel.Cluster.Count > 0
        && Protocols.Contains(svc.Protocol.ToLowerInvariant());

    /// <summary>The fast path's maps and set (created if need be); <see cref="WriteFlushes"/> empties them.</summary>
    public static void WriteDeclarations(StringBuilder output)
    {
        foreach (var p in Protocols)
        {
            output.Append(CultureInfo.InvariantCulture, $"add map ip {Table} {FastEndpointsMap(p)} {{ typeof ip daddr . {p} dport . numgen random mod 1 : ip daddr . {p} dport ; comment \"{p} service address, port and endpoint index to endpoint\" ; }}\n");
            output.Append(CultureInfo.InvariantCulture, $"add map ip {Table} {FastNodePortEndpointsMap(p)} {{ typeof {p} dport . numgen random mod 1 : ip daddr . {p} dport ; comment \"{p} node port and endpoint index to endpoint\" ; }}\n");
        }

        output.Append(CultureInfo.InvariantCulture, $"add set ip {Table} {FastHairpinSet} {{ type ipv4_addr . ipv4_addr ; comment \"endpoint . endpoint: a pod reaching itself through a service\" ; }}\n");
    }

    public static void WriteFlushes(StringBuilder output)
    {
        foreach (var p in Protocols)
        {
            output.Append(CultureInfo.InvariantCulture, $"flush map ip {Table} {FastEndpointsMap(p)}\n");
            output.Append(CultureInfo.InvariantCulture, $"flush map ip {Table} {FastNodePortEndpointsMap(p)}\n");
        }

        output.Append(CultureInfo.InvariantCulture, $"flush set ip {Table} {FastHairpinSet}\n");
    }

    /// <summary>Collects one port's elements (<paramref name="newClusterIp"/>: its cluster IP is not in <c>cluster-ips</c> yet).</summary>
    public void Add(ServicePortInfo svc, IReadOnlyList<EndpointInfo> endpoints, bool newClusterIp)
    {
        var protocol = svc.Protocol.ToLowerInvariant();
        var port = svc.Port.ToString(CultureInfo.InvariantCulture);
        var count = endpoints.Count;
        if (newClusterIp)
        {
            Emit(_clusterIps, ClusterIpsSet, svc.ClusterIp, "");
        }

        Emit(_serviceIps, ServiceIpsMap, $"{svc.ClusterIp} . {protocol} . {port}", " : goto " + Chain(ClusterIpKind, protocol, count));
        AddEndpoints(_endpoints[protocol], $"{svc.ClusterIp} . {port}", endpoints);
        foreach (var ip in svc.ExternalIps.Concat(svc.LoadBalancerIps))
        {
            Emit(_serviceIps, ServiceIpsMap, $"{ip} . {protocol} . {port}", " : goto " + Chain(ExternalKind, protocol, count));
            AddEndpoints(_endpoints[protocol], $"{ip} . {port}", endpoints);
        }

        if (svc.NodePort != 0)
        {
            var nodePort = svc.NodePort.ToString(CultureInfo.InvariantCulture);
            Emit(_nodePorts, ServiceNodePortsMap, $"{protocol} . {nodePort}", " : goto " + Chain(NodePortKind, protocol, count));
            AddEndpoints(_nodePortEndpoints[protocol], nodePort, endpoints);
        }

        HashSet<string>? listed = null;
        foreach (var ep in endpoints)
        {
            // Only a pod on this node can reach itself through this node's rules; an endpoint without a node name
            // might be one. Counted once per port, so that a partial sync knows when the last port listing it goes.
            if ((ep.IsLocal || ep.NodeName is null) && (listed ??= new(StringComparer.Ordinal)).Add(ep.Ip))
            {
                var references = HairpinReferences.GetValueOrDefault(ep.Ip) + 1;
                HairpinReferences[ep.Ip] = references;
                if (references == 1 && _record is null)
                {
                    _hairpinPairs.Next().Append(ep.Ip).Append(" . ").Append(ep.Ip);
                }
            }
        }
    }

    /// <summary>The shared chains the collected ports use, then every collected element.</summary>
    public void Write(StringBuilder output)
    {
        foreach (var name in _chains.Keys.Order(StringComparer.Ordinal))
        {
            var (kind, protocol, count) = _chains[name];
            WriteChain(output, _node, name, kind, protocol, count);
        }

        _clusterIps.WriteTo(output);
        _serviceIps.WriteTo(output);
        _nodePorts.WriteTo(output);
        foreach (var p in Protocols)
        {
            _endpoints[p].WriteTo(output);
            _nodePortEndpoints[p].WriteTo(output);
        }

        _hairpinPairs.WriteTo(output);
    }

    /// <summary>One shared chain, created if need be and emptied, and its rules.</summary>
    public static void WriteChain(StringBuilder output, NodeProxyContext node, string name, string kind, string protocol, int count)
    {
        output.Append(CultureInfo.InvariantCulture, $"add chain ip {Table} {name}\n");
        output.Append(CultureInfo.InvariantCulture, $"flush chain ip {Table} {name}\n");
        var mod = count.ToString(CultureInfo.InvariantCulture);
        if (kind == ClusterIpKind)
        {
            if (node.MasqueradeAll)
            {
                Rule(output, name, $"jump {MarkForMasquerade}");
            }
            else if (node.ClusterCidr is { } cidr)
            {
                // As upstream's per-service rule: traffic to a cluster IP from outside the pod network may leave
                // the node, so masquerade it for the reply to come back here.
                Rule(output, name, $"ip saddr != {cidr} jump {MarkForMasquerade}");
            }

            Rule(output, name, $"meta l4proto {protocol} dnat ip to ip daddr . {protocol} dport . numgen random mod {mod} map @{FastEndpointsMap(protocol)}");
        }
        else
        {
            // External traffic under the Cluster policy may go to another node: masquerade so the reply returns here.
            Rule(output, name, $"jump {MarkForMasquerade}");
            Rule(output, name, kind == NodePortKind
                ? $"meta l4proto {protocol} dnat ip to {protocol} dport . numgen random mod {mod} map @{FastNodePortEndpointsMap(protocol)}"
                : $"meta l4proto {protocol} dnat ip to ip daddr . {protocol} dport . numgen random mod {mod} map @{FastEndpointsMap(protocol)}");
        }
    }

    private string Chain(string kind, string protocol, int count)
    {
        var name = $"{FastPrefix}{kind}-{protocol}-{count.ToString(CultureInfo.InvariantCulture)}";
        _chains.TryAdd(name, (kind, protocol, count));
        ChainReferences[name] = ChainReferences.GetValueOrDefault(name) + 1;
        return name;
    }

    private void Emit(ElementLines lines, string set, string key, string rest)
    {
        if (_record is not null)
        {
            _record.Add(new SharedElement(set, key, rest));
        }
        else
        {
            lines.Next().Append(key).Append(rest);
        }
    }

    private void AddEndpoints(ElementLines into, string key, IReadOnlyList<EndpointInfo> endpoints)
    {
        if (_record is not null)
        {
            for (var i = 0; i < endpoints.Count; i++)
            {
                _record.Add(new SharedElement(into.Name, string.Create(CultureInfo.InvariantCulture, $"{key} . {i}"), string.Create(CultureInfo.InvariantCulture, $" : {endpoints[i].Ip} . {endpoints[i].Port}")));
            }

            return;
        }

        // A full sync writes 100,000 of these for 10,000 Services: straight into the text, no string per element.
        for (var i = 0; i < endpoints.Count; i++)
        {
            into.Next().Append(CultureInfo.InvariantCulture, $"{key} . {i} : {endpoints[i].Ip} . {endpoints[i].Port}");
        }
    }

    private static void Rule(StringBuilder output, string chain, string rule) =>
        output.Append("add rule ip ").Append(Table).Append(' ').Append(chain).Append(' ').Append(rule).Append('\n');

    /// <summary>
    /// The <c>add element</c> lines of one set or map, ElementsPerLine elements a line, written as elements come (the
    /// endpoint maps hold one element per endpoint: 100,000 for 10,000 Services, so no string per element).
    /// </summary>
    private sealed class ElementLines(string map)
    {
        public string Name => map;

        private readonly StringBuilder _text = new();
        private int _count;

        /// <summary>The builder positioned for the next element (a separator or a new line written before it).</summary>
        public StringBuilder Next()
        {
            if (_count % ElementsPerLine == 0)
            {
                if (_count > 0)
                {
                    _text.Append(" }\n");
                }

                _text.Append("add element ip ").Append(Table).Append(' ').Append(map).Append(" { ");
            }
            else
            {
                _text.Append(", ");
            }

            _count++;
            return _text;
        }

        public void WriteTo(StringBuilder output)
        {
            if (_count > 0)
            {
                output.Append(_text).Append(" }\n");
            }
        }
    }
}
