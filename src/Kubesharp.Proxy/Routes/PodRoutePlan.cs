using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using k8s.Models;

namespace Kubesharp.Proxy.Routes;

/// <summary>One route to another node's pod CIDR: <c>ip route replace CIDR via NODE-IP proto 66</c>.</summary>
public readonly record struct PodRoute(string Cidr, string Via);

/// <summary>
/// The pure part of the pod route controller: which routes the nodes call for, which the kernel has, the <c>ip</c>
/// commands that turn one into the other, and the masquerade rules. No I/O, so every branch is tested as a table.
/// </summary>
public static class PodRoutePlan
{
    /// <summary>
    /// The routing protocol number stamped on every route the controller writes (<c>proto 66</c>): the kernel keeps it
    /// with the route, so the controller recognises its own routes (and only those) after a restart.
    /// </summary>
    public const int RouteProtocol = 66;

    /// <summary>The nat chain that holds the pod masquerade rules (flannel's <c>FLANNEL-POSTRTG</c>).</summary>
    public const string MasqueradeChain = "KUBESHARP-POSTROUTING";

    /// <summary>The comment on the jump from <c>POSTROUTING</c>, which makes the jump findable with <c>iptables -C</c>.</summary>
    public const string JumpComment = "kubesharp pod masquerade";

    /// <summary>
    /// The routes this node needs: one per OTHER node that has an IPv4 <c>spec.podCIDR</c> and an IPv4 InternalIP, keyed
    /// by CIDR (flannel's host-gw backend). A node whose pod CIDR is this node's own, or that two nodes claim, is left
    /// out rather than routed somewhere arbitrary.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Desired(IEnumerable<V1Node> nodes, string selfName)
    {
        var routes = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var claimed = new Dictionary<string, int>(StringComparer.Ordinal);
        string? ownCidr = null;
        foreach (var node in nodes)
        {
            if (NormalizeCidr(node.Spec?.PodCIDR) is not { } cidr)
            {
                continue;
            }

            if (node.Metadata?.Name == selfName)
            {
                ownCidr = cidr;
                continue;
            }

            if (InternalIp(node) is not { } via)
            {
                continue;
            }

            claimed[cidr] = claimed.GetValueOrDefault(cidr) + 1;
            routes[cidr] = via;
        }

        foreach (var (cidr, count) in claimed)
        {
            if (count > 1 || cidr == ownCidr)
            {
                routes.Remove(cidr);
            }
        }

        return routes;
    }

    /// <summary>The node's first IPv4 <c>InternalIP</c> address, or null.</summary>
    public static string? InternalIp(V1Node node) =>
        node.Status?.Addresses?
            .Where(a => a.Type == "InternalIP" && IPAddress.TryParse(a.Address, out var ip) && ip.AddressFamily == AddressFamily.InterNetwork)
            .Select(a => IPAddress.Parse(a.Address).ToString())
            .FirstOrDefault();

    /// <summary>
    /// <c>10.42.1.0/24</c> in canonical form (network address, prefix; host bits are dropped, as Go's
    /// <c>net.ParseCIDR</c> does); null when not an IPv4 CIDR.
    /// </summary>
    public static string? NormalizeCidr(string? cidr)
    {
        if (string.IsNullOrEmpty(cidr) || !IPNetwork.TryParse(cidr, out var network) || network.BaseAddress.AddressFamily != AddressFamily.InterNetwork)
        {
            return null;
        }

        return network.ToString();
    }

    /// <summary>
    /// The routes in the output of <c>ip -4 route show table main proto 66</c> (one per line: <c>DST via GW dev IF ...</c>;
    /// a host route's destination has no prefix length). Lines without a gateway are not ours to manage and are skipped.
    /// </summary>
    public static IReadOnlyList<PodRoute> ParseRoutes(string output)
    {
        var routes = new List<PodRoute>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var via = Array.IndexOf(fields, "via");
            if (fields.Length == 0 || via < 0 || via + 1 >= fields.Length)
            {
                continue;
            }

            var dst = fields[0].Contains('/', StringComparison.Ordinal) ? fields[0] : fields[0] + "/32";
            if (NormalizeCidr(dst) is { } cidr)
            {
                routes.Add(new PodRoute(cidr, fields[via + 1]));
            }
        }

        return routes;
    }

    /// <summary>
    /// The <c>ip</c> argument lists that take the kernel from <paramref name="current"/> (this controller's routes) to
    /// <paramref name="desired"/>: deletes first (routes of nodes that are gone, and duplicates), then a
    /// <c>replace</c> for every route missing or pointing elsewhere. Empty when nothing differs.
    /// <para>
    /// With <paramref name="clusterCidr"/>, a <c>proto 66</c> route outside it is not this cluster's and is left alone:
    /// another cluster's agent on the same host (another network namespace's routes into this one, or a second agent in
    /// the host's namespace) stamps its routes with the same protocol number.
    /// </para>
    /// </summary>
    public static IReadOnlyList<string[]> Commands(IReadOnlyDictionary<string, string> desired, IReadOnlyList<PodRoute> current, string? clusterCidr = null)
    {
        var deletes = new List<string[]>();
        var kept = new Dictionary<string, string>(StringComparer.Ordinal);
        var owned = clusterCidr is null ? (IPNetwork?)null : IPNetwork.Parse(clusterCidr);
        foreach (var route in current)
        {
            if (owned is { } cluster && !desired.ContainsKey(route.Cidr) && !Within(IPNetwork.Parse(route.Cidr), cluster))
            {
                continue;
            }

            if (desired.TryGetValue(route.Cidr, out var via) && via == route.Via && kept.TryAdd(route.Cidr, route.Via))
            {
                continue;
            }

            // A route whose gateway changed is replaced below rather than deleted, so the CIDR is never unrouted.
            if (desired.ContainsKey(route.Cidr) && !kept.ContainsKey(route.Cidr))
            {
                continue;
            }

            deletes.Add(["route", "del", route.Cidr, "via", route.Via, "proto", Proto]);
        }

        var replaces = desired
            .Where(d => !kept.ContainsKey(d.Key))
            .Select(d => new[] { "route", "replace", d.Key, "via", d.Value, "proto", Proto });
        return [.. deletes, .. replaces];
    }

    private static bool Within(IPNetwork inner, IPNetwork outer) =>
        inner.PrefixLength >= outer.PrefixLength && outer.Contains(inner.BaseAddress);

    /// <summary>
    /// The <c>iptables-restore --noflush</c> input of the masquerade chain (flannel's rules): pod to pod keeps the
    /// pod's address, pod to anything else outside the cluster CIDR except multicast leaves with the node's address.
    /// Declaring the chain flushes it, so the chain always holds exactly these rules. With
    /// <paramref name="addJump"/>, also appends the jump from <c>POSTROUTING</c> (only when <c>iptables -C</c> did not
    /// find it: <c>--noflush</c> appends blindly).
    /// </summary>
    public static string MasqueradeRules(string clusterCidr, bool addJump)
    {
        var sb = new StringBuilder();
        sb.Append("*nat\n");
        sb.Append(CultureInfo.InvariantCulture, $":{MasqueradeChain} - [0:0]\n");
        if (addJump)
        {
            sb.Append(CultureInfo.InvariantCulture, $"-A POSTROUTING {string.Join(' ', JumpSpec)}\n");
        }

        sb.Append(CultureInfo.InvariantCulture, $"-A {MasqueradeChain} -s {clusterCidr} -d {clusterCidr} -m comment --comment \"pod to pod: no masquerade\" -j RETURN\n");
        sb.Append(CultureInfo.InvariantCulture, $"-A {MasqueradeChain} -s {clusterCidr} ! -d 224.0.0.0/4 -m comment --comment \"pod to outside the cluster: masquerade\" -j MASQUERADE --random-fully\n");
        sb.Append("COMMIT\n");
        return sb.ToString();
    }

    /// <summary>The rule spec of the jump from <c>POSTROUTING</c>, as <c>iptables -C/-A/-D</c> take it.</summary>
    public static IReadOnlyList<string> JumpSpec { get; } = ["-m", "comment", "--comment", $"\"{JumpComment}\"", "-j", MasqueradeChain];

    /// <summary><see cref="JumpSpec"/> as separate arguments for <c>iptables</c> run without a shell.</summary>
    public static IReadOnlyList<string> JumpArgs { get; } = ["-m", "comment", "--comment", JumpComment, "-j", MasqueradeChain];

    private static string Proto => RouteProtocol.ToString(CultureInfo.InvariantCulture);
}
