using System.Globalization;
using System.Text;
using Kubesharp.Proxy.Model;
using static Kubesharp.Proxy.Nftables.NftablesNames;

namespace Kubesharp.Proxy.Nftables;

/// <summary>
/// Writes one full sync of upstream's nftables proxier (pkg/proxy/nftables/proxier.go, <c>setupNFTables</c> and
/// <c>syncProxyRules</c>, IPv4) as <c>nft -f</c> input: the <c>ip kube-proxy</c> table, its base chains and fixed chains
/// flushed and refilled, the dispatch maps flushed and refilled, and every Service's and endpoint's chain created,
/// flushed and refilled, all in the order upstream adds them to its transaction. Chains, maps and affinity sets that
/// are no longer rendered are not named here: <see cref="NftablesBackend"/> deletes them in the same transaction.
/// <para>
/// Two departures from upstream's layout, both for large rulesets (docs/flows/nftables-fast-path.md): ports that need
/// no per-endpoint state go through the shared maps of <see cref="NftablesFastPath"/> instead of a chain per service
/// and per endpoint; and the ports that keep their chains pick an endpoint through a named map
/// (<c>numgen random mod N vmap @lb-service-...</c>), never an anonymous one, since the kernel's allocation of
/// anonymous set names is quadratic in their number (368 s of kernel time for 10,000 services).
/// </para>
/// </summary>
internal sealed class NftablesRenderer
{
    private readonly StringBuilder _out = new(4096);
    private readonly HashSet<string> _createdChains = new(StringComparer.Ordinal);
    private readonly HashSet<string> _clusterIps = new(StringComparer.Ordinal);
    private readonly NodeProxyContext _node;
    private readonly NftablesFastPath _fast;
    private readonly string _mark;
    private readonly List<SharedElement>? _record;

    private NftablesRenderer(NodeProxyContext node, List<SharedElement>? record = null)
    {
        _node = node;
        _record = record;
        _fast = new NftablesFastPath(node, record);
        // Upstream formats the mark with Go's %#08x: 1 << 14 is 0x004000.
        _mark = "0x" + node.MasqueradeMark.ToString("x6", CultureInfo.InvariantCulture);
    }

    public static string Render(ProxySnapshot snapshot, NodeProxyContext node)
    {
        var r = new NftablesRenderer(node);
        r.WriteSetup();
        foreach (var s in snapshot.Services)
        {
            r.WriteService(s.Service, s.Endpoints);
        }

        r._fast.Write(r._out);
        return r._out.ToString();
    }

    /// <summary>
    /// A full sync as <see cref="Render(ProxySnapshot, NodeProxyContext)"/>, with the fast path's reference counts that
    /// a later partial sync starts from.
    /// </summary>
    public static string Render(ProxySnapshot snapshot, NodeProxyContext node, out FastPathReferences references)
    {
        var r = new NftablesRenderer(node);
        r.WriteSetup();
        foreach (var s in snapshot.Services)
        {
            r.WriteService(s.Service, s.Endpoints);
        }

        r._fast.Write(r._out);
        references = new FastPathReferences(r._fast.ChainReferences, r._fast.HairpinReferences);
        return r._out.ToString();
    }

    /// <summary>
    /// Some ports alone, for a partial sync: <see cref="PortsRender.Body"/> holds what the ports own (their chains
    /// created, flushed and refilled, their <c>lb-</c> maps and affinity sets), and the elements they put in shared
    /// sets and maps are listed instead of written, as are the fast path's chains and hairpin IPs they use; nothing of
    /// the fixed setup is written.
    /// </summary>
    public static PortsRender RenderPorts(IEnumerable<ServicePortEndpoints> ports, NodeProxyContext node)
    {
        var elements = new List<SharedElement>();
        var r = new NftablesRenderer(node, elements);
        foreach (var s in ports)
        {
            r.WriteService(s.Service, s.Endpoints);
        }

        return new PortsRender(r._out.ToString(), elements, r._fast.Chains, new FastPathReferences(r._fast.ChainReferences, r._fast.HairpinReferences));
    }

    // (name, hook, priority): filter chains run before DNAT (dstnat - 10) so they see the service address;
    // filter-output-post-dnat runs after it (dstnat + 10) for the cluster-ips check.
    private static readonly (string Name, string Type, string Hook, int Priority)[] BaseChains =
    [
        (FilterPrerouting, "filter", "prerouting", -110),
        (FilterInput, "filter", "input", -110),
        (FilterForward, "filter", "forward", -110),
        (FilterOutput, "filter", "output", -110),
        (FilterOutputPostDnat, "filter", "output", -90),
        (NatPrerouting, "nat", "prerouting", -100),
        (NatOutput, "nat", "output", -100),
        (NatPostrouting, "nat", "postrouting", 100),
    ];

    /// <summary>The base chains' names, for the backend's one-time delete-and-recreate on its first apply.</summary>
    public static IEnumerable<string> BaseChainNames => BaseChains.Select(c => c.Name);

    // (target, from, match): upstream's nftablesJumpChains, in its order. Reject is only valid in input, forward and
    // output hooks on older kernels, hence the endpoints checks hang off those and not prerouting.
    private static readonly (string Target, string From, string Match)[] JumpChains =
    [
        (NodePortEndpointsCheck, FilterInput, "ct state new"),
        (ServiceEndpointsCheck, FilterInput, "ct state new"),
        (ServiceEndpointsCheck, FilterForward, "ct state new"),
        (ServiceEndpointsCheck, FilterOutput, "ct state new"),
        (FirewallCheck, FilterPrerouting, "ct state new"),
        (FirewallCheck, FilterOutput, "ct state new"),
        (Services, NatOutput, ""),
        (Services, NatPrerouting, ""),
        (Masquerading, NatPostrouting, ""),
        (ClusterIpsCheck, FilterForward, "ct state new"),
        (ClusterIpsCheck, FilterOutputPostDnat, "ct state new"),
    ];

    private bool NodePortsOnEveryLocalAddress => NodePortIps().Count == 0;

    private List<string> NodePortIps() =>
        _node.NodeIps.Where(ip => !ip.StartsWith("127.", StringComparison.Ordinal)).Distinct(StringComparer.Ordinal).ToList();

    private void WriteSetup()
    {
        Line($"add table ip {Table} {{ comment \"rules for kube-proxy\" ; }}");
        foreach (var (name, type, hook, priority) in BaseChains)
        {
            Line($"add chain ip {Table} {name} {{ type {type} hook {hook} priority {priority.ToString(CultureInfo.InvariantCulture)} ; }}");
            Line($"flush chain ip {Table} {name}");
        }

        foreach (var (target, from, match) in JumpChains)
        {
            EnsureChain(target);
            Rule(from, match.Length == 0 ? "jump " + target : match + " jump " + target);
        }

        foreach (var chain in new[] { Services, ClusterIpsCheck, Masquerading, MarkForMasquerade })
        {
            EnsureChain(chain);
        }

        Rule(MarkForMasquerade, $"mark set mark or {_mark}");
        NftablesFastPath.WriteDeclarations(_out);
        // Hairpin for the fast path, which has no endpoint chain to mark it in: after DNAT, source and destination are
        // the same pod.
        Rule(Masquerading, $"ct status dnat ip saddr . ip daddr @{FastHairpinSet} jump {MarkForMasquerade}");
        Rule(Masquerading, $"mark and {_mark} == 0 return");
        Rule(Masquerading, $"mark set mark xor {_mark}");
        Rule(Masquerading, "masquerade fully-random");

        Line($"add set ip {Table} {ClusterIpsSet} {{ type ipv4_addr ; comment \"Active ClusterIPs\" ; }}");
        Rule(ClusterIpsCheck, $"ip daddr @{ClusterIpsSet} reject", "Reject traffic to invalid ports of ClusterIPs");
        // Upstream also drops traffic to unallocated addresses of the service CIDRs it learns from ServiceCIDR
        // objects; with none known (the node context carries no service CIDR) it writes no such rule either.

        // "add" before "delete": deleting a set that does not exist fails the whole transaction.
        Line($"add set ip {Table} {NodePortIpsSet} {{ type ipv4_addr ; comment \"IPs that accept NodePort traffic\" ; }}");
        if (NodePortsOnEveryLocalAddress)
        {
            Line($"delete set ip {Table} {NodePortIpsSet}");
        }
        else
        {
            Line($"flush set ip {Table} {NodePortIpsSet}");
            foreach (var ip in NodePortIps())
            {
                Line($"add element ip {Table} {NodePortIpsSet} {{ {ip} }}");
            }
        }

        Line($"add map ip {Table} {NoEndpointServicesMap} {{ type ipv4_addr . inet_proto . inet_service : verdict ; comment \"vmap to drop or reject packets to services with no endpoints\" ; }}");
        Line($"add map ip {Table} {NoEndpointNodePortsMap} {{ type inet_proto . inet_service : verdict ; comment \"vmap to drop or reject packets to service nodeports with no endpoints\" ; }}");
        Line($"add chain ip {Table} {RejectChain} {{ comment \"helper for @no-endpoint-services / @no-endpoint-nodeports\" ; }}");
        Line($"flush chain ip {Table} {RejectChain}");
        Rule(RejectChain, "reject");
        Rule(ServiceEndpointsCheck, $"ip daddr . meta l4proto . th dport vmap @{NoEndpointServicesMap}");
        Rule(NodePortEndpointsCheck, NodePortsOnEveryLocalAddress
            ? $"ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @{NoEndpointNodePortsMap}"
            : $"ip daddr @{NodePortIpsSet} meta l4proto . th dport vmap @{NoEndpointNodePortsMap}");

        Line($"add map ip {Table} {FirewallIpsMap} {{ type ipv4_addr . inet_proto . inet_service : verdict ; comment \"destinations that are subject to LoadBalancerSourceRanges\" ; }}");
        EnsureChain(FirewallCheck);
        Rule(FirewallCheck, $"ip daddr . meta l4proto . th dport vmap @{FirewallIpsMap}");

        Line($"add map ip {Table} {ServiceIpsMap} {{ type ipv4_addr . inet_proto . inet_service : verdict ; comment \"ClusterIP, ExternalIP and LoadBalancer IP traffic\" ; }}");
        Line($"add map ip {Table} {ServiceNodePortsMap} {{ type inet_proto . inet_service : verdict ; comment \"NodePort traffic\" ; }}");
        Rule(Services, $"ip daddr . meta l4proto . th dport vmap @{ServiceIpsMap}");
        Rule(Services, NodePortsOnEveryLocalAddress
            ? $"fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @{ServiceNodePortsMap}"
            : $"ip daddr @{NodePortIpsSet} meta l4proto . th dport vmap @{ServiceNodePortsMap}");

        Line($"flush set ip {Table} {ClusterIpsSet}");
        foreach (var map in new[] { ServiceIpsMap, FirewallIpsMap, NoEndpointServicesMap, NoEndpointNodePortsMap, ServiceNodePortsMap })
        {
            Line($"flush map ip {Table} {map}");
        }

        NftablesFastPath.WriteFlushes(_out);
    }

    private void WriteService(ServicePortInfo svc, IReadOnlyList<EndpointInfo> endpoints)
    {
        var protocol = svc.Protocol.ToLowerInvariant();
        var port = svc.Port.ToString(CultureInfo.InvariantCulture);
        var nameString = svc.Name.ToString();
        var serviceBase = ServiceBase(svc.Name, svc.Protocol);
        var clusterPolicyChain = ClusterPolicyPrefix + serviceBase;
        var localPolicyChain = LocalPolicyPrefix + serviceBase;
        var externalChain = ExternalPrefix + serviceBase;
        var sel = TrafficEndpoints.Select(svc, endpoints);
        var affinity = svc.StickyMaxAgeSeconds > 0;
        if (NftablesFastPath.Serves(svc, sel))
        {
            _fast.Add(svc, sel.Cluster, _clusterIps.Add(svc.ClusterIp));
            return;
        }

        foreach (var ep in sel.AllReachable)
        {
            EnsureChain(EndpointPrefix + EndpointBase(svc.Name, svc.Protocol, ep));
        }

        var usesClusterPolicyChain = sel.Cluster.Count > 0;
        if (usesClusterPolicyChain)
        {
            EnsureChain(clusterPolicyChain);
        }

        var usesLocalPolicyChain = sel.Local.Count > 0;
        if (usesLocalPolicyChain)
        {
            EnsureChain(localPolicyChain);
        }

        var internalTrafficChain = svc.InternalPolicyLocal ? localPolicyChain : clusterPolicyChain;
        var hasInternalEndpoints = sel.HasEndpoints && (!svc.InternalPolicyLocal || sel.Local.Count > 0);
        var externalPolicyChain = svc.ExternalPolicyLocal ? localPolicyChain : clusterPolicyChain;
        var hasExternalEndpoints = sel.HasEndpoints && (!svc.ExternalPolicyLocal || sel.Local.Count > 0);

        // Upstream keys this on hasEndpoints, not hasExternalEndpoints: the short-circuit rules for traffic from pods
        // and from the node itself are needed even when no endpoint serves external traffic.
        var usesExternalTrafficChain = sel.HasEndpoints && svc.ExternallyAccessible;
        if (usesExternalTrafficChain)
        {
            EnsureChain(externalChain);
        }

        // No endpoint at all: reject at once. Endpoints elsewhere but none here under a Local policy: drop.
        string internalVerdict = "drop", externalVerdict = "drop";
        if (!sel.HasEndpoints)
        {
            internalVerdict = externalVerdict = "goto " + RejectChain;
        }

        if (_clusterIps.Add(svc.ClusterIp))
        {
            SharedElement(ClusterIpsSet, svc.ClusterIp, "");
        }

        if (hasInternalEndpoints)
        {
            Element(ServiceIpsMap, $"{svc.ClusterIp} . {protocol} . {port}", "goto " + internalTrafficChain);
        }
        else
        {
            Element(NoEndpointServicesMap, $"{svc.ClusterIp} . {protocol} . {port}", internalVerdict, nameString);
        }

        // External IPs and load balancer IPs are handled alike (there are no loadBalancerSourceRanges in the model,
        // so no firewall chain).
        foreach (var ip in svc.ExternalIps.Concat(svc.LoadBalancerIps))
        {
            if (sel.HasEndpoints)
            {
                Element(ServiceIpsMap, $"{ip} . {protocol} . {port}", "goto " + externalChain);
            }

            if (!hasExternalEndpoints)
            {
                Element(NoEndpointServicesMap, $"{ip} . {protocol} . {port}", externalVerdict, nameString);
            }
        }

        if (svc.NodePort != 0)
        {
            var nodePort = svc.NodePort.ToString(CultureInfo.InvariantCulture);
            if (sel.HasEndpoints)
            {
                Element(ServiceNodePortsMap, $"{protocol} . {nodePort}", "goto " + externalChain);
            }

            if (!hasExternalEndpoints)
            {
                Element(NoEndpointNodePortsMap, $"{protocol} . {nodePort}", externalVerdict, nameString);
            }
        }

        if (hasInternalEndpoints)
        {
            if (_node.MasqueradeAll)
            {
                Rule(internalTrafficChain, $"ip daddr {svc.ClusterIp} {protocol} dport {port} jump {MarkForMasquerade}");
            }
            else if (_node.ClusterCidr is { } cidr)
            {
                // Traffic to a cluster IP from outside the pod network (the node itself, or a host that routes the
                // service range through this node) may leave the node: masquerade it so replies come back here.
                Rule(internalTrafficChain, $"ip daddr {svc.ClusterIp} {protocol} dport {port} ip saddr != {cidr} jump {MarkForMasquerade}");
            }
        }

        if (usesExternalTrafficChain)
        {
            if (!svc.ExternalPolicyLocal)
            {
                // Cluster policy may send the packet to another node: masquerade so the reply returns through here.
                Rule(externalChain, $"jump {MarkForMasquerade}");
            }
            else
            {
                if (_node.ClusterCidr is { } cidr)
                {
                    // Pods reaching an external address are served as if they went out to a load balancer and came
                    // back: neither traffic policy applies.
                    Rule(externalChain, $"ip saddr {cidr} goto {clusterPolicyChain}", "short-circuit pod traffic");
                }

                Rule(externalChain, $"fib saddr type local jump {MarkForMasquerade}", "masquerade local traffic");
                Rule(externalChain, $"fib saddr type local goto {clusterPolicyChain}", "short-circuit local traffic");
            }

            if (hasExternalEndpoints)
            {
                Rule(externalChain, "goto " + externalPolicyChain);
            }
        }

        if (affinity)
        {
            foreach (var ep in sel.AllReachable)
            {
                // Upstream adds "dynamic": some kernels add the flag themselves, and re-adding the set without it
                // would then look like a change of flags and fail.
                Line($"add set ip {Table} {AffinityPrefix}{EndpointBase(svc.Name, svc.Protocol, ep)} {{ type ipv4_addr ; flags dynamic,timeout ; timeout {svc.StickyMaxAgeSeconds.ToString(CultureInfo.InvariantCulture)}s ; }}");
            }
        }

        if (usesClusterPolicyChain)
        {
            WriteServiceToEndpointRules(svc, affinity, clusterPolicyChain, sel.Cluster);
        }

        if (usesLocalPolicyChain)
        {
            WriteServiceToEndpointRules(svc, affinity, localPolicyChain, sel.Local);
        }

        foreach (var ep in sel.AllReachable)
        {
            var epBase = EndpointBase(svc.Name, svc.Protocol, ep);
            var endpointChain = EndpointPrefix + epBase;
            // Hairpin: a pod reaching itself through the service would otherwise answer itself directly.
            Rule(endpointChain, $"ip saddr {ep.Ip} jump {MarkForMasquerade}");
            if (affinity)
            {
                Rule(endpointChain, $"update @{AffinityPrefix}{epBase} {{ ip saddr }}");
            }

            Rule(endpointChain, $"meta l4proto {protocol} dnat to {ep.Ip}:{ep.Port.ToString(CultureInfo.InvariantCulture)}");
        }
    }

    private void WriteServiceToEndpointRules(ServicePortInfo svc, bool affinity, string chain, IReadOnlyList<EndpointInfo> endpoints)
    {
        var chains = endpoints.Select(ep => EndpointBase(svc.Name, svc.Protocol, ep)).ToList();
        if (affinity)
        {
            foreach (var epBase in chains)
            {
                Rule(chain, $"ip saddr @{AffinityPrefix}{epBase} goto {EndpointPrefix}{epBase}");
            }
        }

        // Upstream writes an anonymous vmap here; a named one per chain gives the same verdicts without the kernel's
        // quadratic anonymous-set naming. It is flushed and refilled like every other map.
        var map = BalancePrefix + chain;
        Line($"add map ip {Table} {map} {{ typeof numgen random mod 1 : verdict ; }}");
        Line($"flush map ip {Table} {map}");
        var vmap = new StringBuilder();
        for (var i = 0; i < chains.Count; i++)
        {
            if (i > 0)
            {
                vmap.Append(", ");
            }

            vmap.Append(i.ToString(CultureInfo.InvariantCulture)).Append(" : goto ").Append(EndpointPrefix).Append(chains[i]);
        }

        Line($"add element ip {Table} {map} {{ {vmap} }}");
        Rule(chain, $"numgen random mod {chains.Count.ToString(CultureInfo.InvariantCulture)} vmap @{map}");
    }

    /// <summary>Creates a chain (if need be) and empties it, once per transaction: a second flush would drop new rules.</summary>
    private void EnsureChain(string chain)
    {
        if (_createdChains.Add(chain))
        {
            Line($"add chain ip {Table} {chain}");
            Line($"flush chain ip {Table} {chain}");
        }
    }

    private void Rule(string chain, string rule, string? comment = null)
    {
        _out.Append("add rule ip ").Append(Table).Append(' ').Append(chain).Append(' ').Append(rule);
        if (comment is not null)
        {
            _out.Append(" comment \"").Append(comment).Append('"');
        }

        _out.Append('\n');
    }

    private void Element(string map, string key, string value, string? comment = null) =>
        SharedElement(map, key, comment is null ? " : " + value : $" comment \"{comment}\" : {value}");

    /// <summary>An element of a set or map shared by every port: written at once in a full sync, recorded in a partial one.</summary>
    private void SharedElement(string set, string key, string rest)
    {
        if (_record is not null)
        {
            _record.Add(new SharedElement(set, key, rest));
            return;
        }

        _out.Append("add element ip ").Append(Table).Append(' ').Append(set).Append(" { ").Append(key).Append(rest).Append(" }\n");
    }

    private void Line(string line) => _out.Append(line).Append('\n');
}

/// <summary>
/// The fast path's reference counts: <c>service-ips</c>/<c>service-nodeports</c> elements per shared chain, and ports
/// per hairpin IP. A partial sync creates a shared chain or hairpin element when its count leaves 0 and deletes it when
/// the count returns to 0.
/// </summary>
internal sealed record FastPathReferences(Dictionary<string, int> Chains, Dictionary<string, int> Hairpin);

/// <summary>What <see cref="NftablesRenderer.RenderPorts"/> makes of some ports.</summary>
/// <param name="Body">The ports' own chains, <c>lb-</c> maps and affinity sets, as <c>nft -f</c> input.</param>
/// <param name="Elements">The elements they put in shared sets and maps, in render order.</param>
/// <param name="FastChains">The fast path's shared chains they use: kind, protocol, endpoint count.</param>
/// <param name="References">The fast path's reference counts of these ports alone.</param>
internal sealed record PortsRender(
    string Body,
    List<SharedElement> Elements,
    Dictionary<string, (string Kind, string Protocol, int Count)> FastChains,
    FastPathReferences References);
