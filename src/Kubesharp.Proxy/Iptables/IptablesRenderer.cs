using System.Globalization;
using System.Text;
using Kubesharp.Proxy.Model;

namespace Kubesharp.Proxy.Iptables;

/// <summary>How the rules are written, beyond the snapshot and the node (upstream's proxier flags).</summary>
public sealed record IptablesRenderOptions
{
    /// <summary><c>MASQUERADE --random-fully</c> (iptables 1.6.2 and later: upstream checks the version; Debian 12 has 1.8.9).</summary>
    public bool RandomFully { get; init; } = true;

    /// <summary>Node ports answer on 127.0.0.1 too (upstream's <c>--iptables-localhost-nodeports</c>, default true; needs the <c>route_localnet</c> sysctl).</summary>
    public bool LocalhostNodePorts { get; init; } = true;

    /// <summary><c>nf_conntrack_tcp_be_liberal</c> is set: no DROP of INVALID packets in KUBE-FORWARD (as upstream).</summary>
    public bool ConntrackTcpLiberal { get; init; }
}

/// <summary>
/// Writes the whole ruleset of upstream's iptables proxier (<c>syncProxyRules</c>, IPv4) as <c>iptables-restore</c>
/// input: a <c>*filter</c> and a <c>*nat</c> table of KUBE-* chains, each chain declared (which flushes it) and filled.
/// Rule text, order and comments follow upstream so that its expectations (proxier_test.go) read the same here.
/// Pure and thread-safe.
/// </summary>
internal static class IptablesRenderer
{
    /// <summary>Upstream's <c>largeClusterEndpointsThreshold</c>: above this many endpoints, per-endpoint comments are left out.</summary>
    public const int LargeClusterEndpointsThreshold = 1000;

    public static string Render(ProxySnapshot snapshot, NodeProxyContext node, IptablesRenderOptions options) =>
        Render(snapshot, node, options, null, out _, out _);

    /// <summary>
    /// The ruleset, or with <paramref name="onlyServices"/> upstream's partial restore input: every top-level chain
    /// (filter, and nat KUBE-SERVICES, KUBE-NODEPORTS, KUBE-POSTROUTING, KUBE-MARK-MASQ) in full, but the
    /// per-service and per-endpoint chains of those Services only. <paramref name="activeChains"/> gets the
    /// per-service and per-endpoint chains of every Service, written or not (upstream's <c>activeNATChains</c>);
    /// <paramref name="largeCluster"/> whether the per-endpoint comments were left out.
    /// </summary>
    public static string Render(
        ProxySnapshot snapshot,
        NodeProxyContext node,
        IptablesRenderOptions options,
        IReadOnlySet<(string Namespace, string Name)>? onlyServices,
        out HashSet<string> activeChains,
        out bool largeCluster)
    {
        var mark = "0x" + node.MasqueradeMark.ToString("x", CultureInfo.InvariantCulture);
        var markMatch = mark + "/" + mark;
        var filterChains = new StringBuilder();
        var filterRules = new StringBuilder();
        var natChains = new StringBuilder();
        var natRules = new StringBuilder(snapshot.Services.Count * 600);

        foreach (var chain in (string[])[ChainNames.Services, ChainNames.ExternalServices, ChainNames.Forward, ChainNames.NodePorts, ChainNames.ProxyFirewall])
        {
            ChainLine(filterChains, chain);
        }

        foreach (var chain in (string[])[ChainNames.Services, ChainNames.NodePorts, ChainNames.Postrouting, ChainNames.MarkMasq])
        {
            ChainLine(natChains, chain);
        }

        natRules.Append("-A KUBE-POSTROUTING -m mark ! --mark ").Append(markMatch).Append(" -j RETURN\n");
        // Clear the mark so that a packet traversing the stack again is not masqueraded twice.
        natRules.Append("-A KUBE-POSTROUTING -j MARK --xor-mark ").Append(mark).Append('\n');
        natRules.Append("-A KUBE-POSTROUTING -m comment --comment \"kubernetes service traffic requiring SNAT\" -j MASQUERADE")
            .Append(options.RandomFully ? " --random-fully\n" : "\n");
        natRules.Append("-A KUBE-MARK-MASQ -j MARK --or-mark ").Append(mark).Append('\n');

        if (options.LocalhostNodePorts)
        {
            // route_localnet opens 127.0.0.0/8 to other hosts (https://issues.k8s.io/90259); upstream closes it again here.
            ChainLine(filterChains, ChainNames.KubeletFirewall);
            filterRules.Append("-A KUBE-FIREWALL -m comment --comment \"block incoming localnet connections\" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP\n");
        }

        var totalEndpoints = 0;
        foreach (var s in snapshot.Services)
        {
            totalEndpoints += s.Endpoints.Count;
        }

        largeCluster = totalEndpoints > LargeClusterEndpointsThreshold;
        activeChains = new HashSet<string>(StringComparer.Ordinal);
        var writer = new ServiceWriter(node, filterRules, natChains, natRules, largeCluster, activeChains);
        foreach (var s in snapshot.Services)
        {
            var name = s.Service.Name;
            writer.Write(s.Service, s.Endpoints, onlyServices is null || onlyServices.Contains((name.Namespace, name.Name)));
        }

        // The node port dispatch must stay the last rule of KUBE-SERVICES.
        natRules.Append("-A KUBE-SERVICES -m comment --comment \"kubernetes service nodeports; NOTE: this must be the last rule in this chain\" -m addrtype --dst-type LOCAL")
            .Append(options.LocalhostNodePorts ? "" : " ! -d 127.0.0.0/8")
            .Append(" -j KUBE-NODEPORTS\n");

        if (!options.ConntrackTcpLiberal)
        {
            // Drops packets conntrack calls INVALID, which could otherwise reset connections (kubernetes#74839).
            filterRules.Append("-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP\n");
        }

        filterRules.Append("-A KUBE-FORWARD -m comment --comment \"kubernetes forwarding rules\" -m mark --mark ").Append(markMatch).Append(" -j ACCEPT\n");
        filterRules.Append("-A KUBE-FORWARD -m comment --comment \"kubernetes forwarding conntrack rule\" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n");

        var all = new StringBuilder(filterChains.Length + filterRules.Length + natChains.Length + natRules.Length + 64);
        all.Append("*filter\n").Append(filterChains).Append(filterRules).Append("COMMIT\n");
        all.Append("*nat\n").Append(natChains).Append(natRules).Append("COMMIT\n");
        return all.ToString();
    }

    /// <summary>Upstream's <c>computeProbability</c>: <c>%0.10f</c> of 1/n.</summary>
    public static string Probability(int n) => (1.0 / n).ToString("F10", CultureInfo.InvariantCulture);

    private static void ChainLine(StringBuilder sb, string chain) => sb.Append(':').Append(chain).Append(" - [0:0]\n");

    /// <summary>The rules of one Service port, in upstream's order.</summary>
    private sealed class ServiceWriter(NodeProxyContext node, StringBuilder filterRules, StringBuilder natChains, StringBuilder natRules, bool largeCluster, HashSet<string> activeChains)
    {
        // Where a skipped Service's own chains go (upstream's skippedNatChains/skippedNatRules): computed, then dropped.
        private readonly StringBuilder _skippedChains = new();
        private readonly StringBuilder _skippedRules = new();

        // The current Service's own chains and their rules (set by Write): the nat table's, or the skipped ones.
        private StringBuilder _chains = null!;
        private StringBuilder _rules = null!;

        public void Write(ServicePortInfo svc, IReadOnlyList<EndpointInfo> endpoints, bool writeOwnChains)
        {
            _skippedChains.Clear();
            _skippedRules.Clear();
            _chains = writeOwnChains ? natChains : _skippedChains;
            _rules = writeOwnChains ? natRules : _skippedRules;
            var protocol = svc.Protocol.ToLowerInvariant();
            var name = svc.Name.ToString();
            var port = svc.Port.ToString(CultureInfo.InvariantCulture);
            var categorized = EndpointSelection.Categorize(svc, endpoints);
            var clusterEndpoints = categorized.ClusterEndpoints ?? [];
            var localEndpoints = categorized.LocalEndpoints ?? [];

            var clusterChain = ChainNames.ClusterPolicy(name, protocol);
            var localChain = ChainNames.LocalPolicy(name, protocol);
            var externalChain = ChainNames.External(name, protocol);
            var usesClusterChain = clusterEndpoints.Count > 0;
            var usesLocalChain = localEndpoints.Count > 0 && categorized.LocalEndpoints is not null;

            // Upstream's hasAnyEndpoints: a usable endpoint (ready, or serving and terminating) anywhere in the cluster.
            // An endpoint that is neither leaves the Service rejecting, as if it had none.
            var hasEndpoints = false;
            foreach (var e in endpoints)
            {
                if (e.Ready || (e.Serving && e.Terminating))
                {
                    hasEndpoints = true;
                    break;
                }
            }

            var internalChain = clusterChain;
            var hasInternalEndpoints = hasEndpoints;
            if (svc.InternalPolicyLocal)
            {
                internalChain = localChain;
                hasInternalEndpoints = hasEndpoints && localEndpoints.Count > 0;
            }

            var externalPolicyChain = clusterChain;
            var hasExternalEndpoints = hasEndpoints;
            if (svc.ExternalPolicyLocal)
            {
                externalPolicyChain = localChain;
                hasExternalEndpoints = hasEndpoints && localEndpoints.Count > 0;
            }

            // Needed even without externally usable endpoints: the short-circuit for traffic from this node and its pods.
            var usesExternalChain = hasEndpoints && svc.ExternallyAccessible;

            string? internalFilterTarget = null, internalFilterComment = null, externalFilterTarget = null, externalFilterComment = null;
            if (!hasEndpoints)
            {
                // No nat rules at all for this Service: the filter table rejects its traffic so that connections fail at once.
                internalFilterTarget = externalFilterTarget = "REJECT";
                internalFilterComment = externalFilterComment = $"\"{name} has no endpoints\"";
            }
            else
            {
                if (!hasInternalEndpoints)
                {
                    internalFilterTarget = "DROP";
                    internalFilterComment = $"\"{name} has no local endpoints\"";
                }

                if (!hasExternalEndpoints)
                {
                    externalFilterTarget = "DROP";
                    externalFilterComment = $"\"{name} has no local endpoints\"";
                }
            }

            var clusterIpMatch = $"-m {protocol} -p {protocol} -d {svc.ClusterIp} --dport {port}";
            if (hasInternalEndpoints)
            {
                natRules.Append("-A KUBE-SERVICES -m comment --comment \"").Append(name).Append(" cluster IP\" ").Append(clusterIpMatch).Append(" -j ").Append(internalChain).Append('\n');
            }
            else
            {
                filterRules.Append("-A KUBE-SERVICES -m comment --comment ").Append(internalFilterComment).Append(' ').Append(clusterIpMatch).Append(" -j ").Append(internalFilterTarget).Append('\n');
            }

            foreach (var ip in svc.ExternalIps)
            {
                var match = $"-m {protocol} -p {protocol} -d {ip} --dport {port}";
                if (hasEndpoints)
                {
                    natRules.Append("-A KUBE-SERVICES -m comment --comment \"").Append(name).Append(" external IP\" ").Append(match).Append(" -j ").Append(externalChain).Append('\n');
                }

                if (!hasExternalEndpoints)
                {
                    filterRules.Append("-A KUBE-EXTERNAL-SERVICES -m comment --comment ").Append(externalFilterComment).Append(' ').Append(match).Append(" -j ").Append(externalFilterTarget).Append('\n');
                }
            }

            foreach (var ip in svc.LoadBalancerIps)
            {
                if (hasEndpoints)
                {
                    natRules.Append("-A KUBE-SERVICES -m comment --comment \"").Append(name).Append(" loadbalancer IP\" -m ").Append(protocol).Append(" -p ").Append(protocol)
                        .Append(" -d ").Append(ip).Append(" --dport ").Append(port).Append(" -j ").Append(externalChain).Append('\n');
                }
            }

            if (!hasExternalEndpoints)
            {
                foreach (var ip in svc.LoadBalancerIps)
                {
                    filterRules.Append("-A KUBE-EXTERNAL-SERVICES -m comment --comment ").Append(externalFilterComment).Append(" -m ").Append(protocol).Append(" -p ").Append(protocol)
                        .Append(" -d ").Append(ip).Append(" --dport ").Append(port).Append(" -j ").Append(externalFilterTarget).Append('\n');
                }
            }

            if (svc.NodePort != 0)
            {
                var nodePort = svc.NodePort.ToString(CultureInfo.InvariantCulture);
                if (hasEndpoints)
                {
                    natRules.Append("-A KUBE-NODEPORTS -m comment --comment ").Append(name).Append(" -m ").Append(protocol).Append(" -p ").Append(protocol)
                        .Append(" --dport ").Append(nodePort).Append(" -j ").Append(externalChain).Append('\n');
                }

                if (!hasExternalEndpoints)
                {
                    filterRules.Append("-A KUBE-EXTERNAL-SERVICES -m comment --comment ").Append(externalFilterComment).Append(" -m addrtype --dst-type LOCAL -m ").Append(protocol)
                        .Append(" -p ").Append(protocol).Append(" --dport ").Append(nodePort).Append(" -j ").Append(externalFilterTarget).Append('\n');
                }
            }

            if (svc.HealthCheckNodePort != 0)
            {
                // Accepted whether or not this node has local endpoints: the health check itself says so.
                filterRules.Append("-A KUBE-NODEPORTS -m comment --comment \"").Append(name).Append(" health check node port\" -m tcp -p tcp --dport ")
                    .Append(svc.HealthCheckNodePort.ToString(CultureInfo.InvariantCulture)).Append(" -j ACCEPT\n");
            }

            if (hasInternalEndpoints)
            {
                if (node.MasqueradeAll)
                {
                    _rules.Append("-A ").Append(internalChain).Append(" -m comment --comment \"").Append(name).Append(" cluster IP\" ").Append(clusterIpMatch).Append(" -j KUBE-MARK-MASQ\n");
                }
                else if (node.ClusterCidr is { } cidr)
                {
                    // Off-cluster traffic to a cluster IP (a static route to the service range through some node) may
                    // leave this node again towards the endpoint, so it is masqueraded.
                    _rules.Append("-A ").Append(internalChain).Append(" -m comment --comment \"").Append(name).Append(" cluster IP\" ").Append(clusterIpMatch)
                        .Append(" ! -s ").Append(cidr).Append(" -j KUBE-MARK-MASQ\n");
                }
            }

            if (usesExternalChain)
            {
                ServiceChain(externalChain);
                if (!svc.ExternalPolicyLocal)
                {
                    // The endpoint may be on another node: masquerade so that the reply comes back through this one.
                    _rules.Append("-A ").Append(externalChain).Append(" -m comment --comment \"masquerade traffic for ").Append(name).Append(" external destinations\" -j KUBE-MARK-MASQ\n");
                }
                else
                {
                    if (node.ClusterCidr is { } cidr)
                    {
                        // Pod traffic to an external address of the Service acts as if it went out to a load balancer and
                        // came back: subject to neither traffic policy.
                        _rules.Append("-A ").Append(externalChain).Append(" -m comment --comment \"pod traffic for ").Append(name).Append(" external destinations\" -s ").Append(cidr)
                            .Append(" -j ").Append(clusterChain).Append('\n');
                    }

                    // The node itself has the external address as a local one, so it would be the source: masquerade.
                    _rules.Append("-A ").Append(externalChain).Append(" -m comment --comment \"masquerade LOCAL traffic for ").Append(name)
                        .Append(" external destinations\" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ\n");
                    _rules.Append("-A ").Append(externalChain).Append(" -m comment --comment \"route LOCAL traffic for ").Append(name)
                        .Append(" external destinations\" -m addrtype --src-type LOCAL -j ").Append(clusterChain).Append('\n');
                }

                if (hasExternalEndpoints)
                {
                    _rules.Append("-A ").Append(externalChain).Append(" -j ").Append(externalPolicyChain).Append('\n');
                }
            }

            if (usesClusterChain)
            {
                ServiceChain(clusterChain);
                WriteServiceToEndpoints(svc, name, protocol, clusterChain, clusterEndpoints);
            }

            if (usesLocalChain)
            {
                ServiceChain(localChain);
                WriteServiceToEndpoints(svc, name, protocol, localChain, localEndpoints);
            }

            foreach (var e in categorized.AllReachable)
            {
                var chain = ChainNames.Endpoint(name, protocol, e.Address);
                ServiceChain(chain);
                _rules.Append("-A ").Append(chain);
                AppendComment(name);
                // Hairpin: an endpoint reaching its own Service must see the reply come back through the node.
                _rules.Append(" -s ").Append(e.Ip).Append(" -j KUBE-MARK-MASQ\n");
                _rules.Append("-A ").Append(chain);
                AppendComment(name);
                if (svc.StickyMaxAgeSeconds > 0)
                {
                    _rules.Append(" -m recent --name ").Append(chain).Append(" --set");
                }

                _rules.Append(" -m ").Append(protocol).Append(" -p ").Append(protocol).Append(" -j DNAT --to-destination ").Append(e.Address).Append('\n');
            }
        }

        private void WriteServiceToEndpoints(ServicePortInfo svc, string name, string protocol, string chain, IReadOnlyList<EndpointInfo> endpoints)
        {
            if (svc.StickyMaxAgeSeconds > 0)
            {
                var seconds = svc.StickyMaxAgeSeconds.ToString(CultureInfo.InvariantCulture);
                foreach (var e in endpoints)
                {
                    var target = ChainNames.Endpoint(name, protocol, e.Address);
                    _rules.Append("-A ").Append(chain);
                    AppendComment($"\"{name} -> {e.Address}\"");
                    _rules.Append(" -m recent --name ").Append(target).Append(" --rcheck --seconds ").Append(seconds).Append(" --reap -j ").Append(target).Append('\n');
                }
            }

            for (var i = 0; i < endpoints.Count; i++)
            {
                var e = endpoints[i];
                _rules.Append("-A ").Append(chain);
                AppendComment($"\"{name} -> {e.Address}\"");
                if (i < endpoints.Count - 1)
                {
                    // 1/n, then 1/(n-1) of what is left, ...: each endpoint equally likely; the last rule always matches.
                    _rules.Append(" -m statistic --mode random --probability ").Append(Probability(endpoints.Count - i));
                }

                _rules.Append(" -j ").Append(ChainNames.Endpoint(name, protocol, e.Address)).Append('\n');
            }
        }

        private void ServiceChain(string chain)
        {
            activeChains.Add(chain);
            ChainLine(_chains, chain);
        }

        /// <summary>Upstream drops these comments in large clusters: they can be 40% of the ruleset.</summary>
        private void AppendComment(string comment)
        {
            if (!largeCluster)
            {
                _rules.Append(" -m comment --comment ").Append(comment);
            }
        }
    }
}
