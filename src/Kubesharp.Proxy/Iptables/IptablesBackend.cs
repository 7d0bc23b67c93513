using System.Diagnostics;
using System.Text;
using Kubesharp.Proxy.Model;

namespace Kubesharp.Proxy.Iptables;

/// <summary>
/// The iptables proxy mode (upstream's pkg/proxy/iptables, IPv4): <see cref="Render"/> writes the whole ruleset of
/// KUBE-* chains; <see cref="ApplyAsync"/> loads it in one <c>iptables-restore --noflush --counters</c> (other
/// programs' chains and rules are left alone), deletes the per-service and per-endpoint chains no longer rendered,
/// and keeps the jump rules from the built-in chains (PREROUTING, OUTPUT, POSTROUTING, INPUT, FORWARD) in place.
/// <para>
/// Not thread-safe: one sync loop calls <see cref="ApplyAsync"/> at a time. After a failed apply the next one starts
/// from what the kernel has (it lists the chains again and re-checks the jump rules).
/// </para>
/// </summary>
public sealed class IptablesBackend(RuleTool tool, IptablesRenderOptions? options = null) : IProxyBackend
{
    /// <summary>How often the jump rules are checked again once in place (upstream notices a flushed table through its canary chain every sync period).</summary>
    public static readonly TimeSpan JumpCheckInterval = TimeSpan.FromSeconds(30);

    /// <summary>Upstream's <c>iptablesJumpChains</c>, plus the kubelet's KUBE-FIREWALL jumps when node ports answer on localhost.</summary>
    private static readonly Jump[] Jumps =
    [
        new("filter", "INPUT", ChainNames.ExternalServices, "kubernetes externally-visible service portals", ["-m", "conntrack", "--ctstate", "NEW"]),
        new("filter", "FORWARD", ChainNames.ExternalServices, "kubernetes externally-visible service portals", ["-m", "conntrack", "--ctstate", "NEW"]),
        new("filter", "INPUT", ChainNames.NodePorts, "kubernetes health check service ports", []),
        new("filter", "FORWARD", ChainNames.Services, "kubernetes service portals", ["-m", "conntrack", "--ctstate", "NEW"]),
        new("filter", "OUTPUT", ChainNames.Services, "kubernetes service portals", ["-m", "conntrack", "--ctstate", "NEW"]),
        new("filter", "FORWARD", ChainNames.Forward, "kubernetes forwarding rules", []),
        new("filter", "INPUT", ChainNames.ProxyFirewall, "kubernetes load balancer firewall", ["-m", "conntrack", "--ctstate", "NEW"]),
        new("filter", "OUTPUT", ChainNames.ProxyFirewall, "kubernetes load balancer firewall", ["-m", "conntrack", "--ctstate", "NEW"]),
        new("filter", "FORWARD", ChainNames.ProxyFirewall, "kubernetes load balancer firewall", ["-m", "conntrack", "--ctstate", "NEW"]),
        new("nat", "OUTPUT", ChainNames.Services, "kubernetes service portals", []),
        new("nat", "PREROUTING", ChainNames.Services, "kubernetes service portals", []),
        new("nat", "POSTROUTING", ChainNames.Postrouting, "kubernetes postrouting rules", []),
    ];

    private static readonly Jump[] KubeletJumps =
    [
        new("filter", "INPUT", ChainNames.KubeletFirewall, null, []),
        new("filter", "OUTPUT", ChainNames.KubeletFirewall, null, []),
    ];

    private readonly IptablesRenderOptions _options = options ?? new();
    private HashSet<string>? _serviceChains;
    private long _jumpsCheckedAt = -1;

    public string Mode => "iptables";

    public IptablesRenderOptions Options => _options;

    public string Render(ProxySnapshot snapshot, NodeProxyContext node) => IptablesRenderer.Render(snapshot, node, _options);

    public async Task ApplyAsync(string rules, CancellationToken cancellationToken)
    {
        var firstOrRecovering = _serviceChains is null;
        try
        {
            var existing = _serviceChains ?? await ListServiceChainsAsync(cancellationToken).ConfigureAwait(false);
            var rendered = RenderedServiceChains(rules);
            var stale = new List<string>();
            foreach (var chain in existing)
            {
                if (!rendered.Contains(chain))
                {
                    stale.Add(chain);
                }
            }

            _serviceChains = null;
            var input = stale.Count == 0 ? rules : WithDeletions(rules, stale);
            await RunCheckedAsync("iptables-restore", ["-w", "--noflush", "--counters"], input, cancellationToken).ConfigureAwait(false);
            _serviceChains = rendered;

            // After the restore: every chain a jump points to exists now.
            if (firstOrRecovering || _jumpsCheckedAt < 0 || Stopwatch.GetElapsedTime(_jumpsCheckedAt) >= JumpCheckInterval)
            {
                await EnsureJumpsAsync(cancellationToken).ConfigureAwait(false);
                _jumpsCheckedAt = Stopwatch.GetTimestamp();
            }
        }
        catch
        {
            _serviceChains = null;
            _jumpsCheckedAt = -1;
            throw;
        }
    }

    /// <summary>Upstream's <c>CleanupLeftovers</c>, and the KUBE-MARK-MASQ and KUBE-FIREWALL chains too (no other Kubesharp part writes them).</summary>
    public async Task CleanupAsync(CancellationToken cancellationToken)
    {
        foreach (var jump in (Jump[])[.. Jumps, .. KubeletJumps])
        {
            // -D removes one copy; a rule inserted twice (by hand, or by two proxies) needs more.
            for (var i = 0; i < 10; i++)
            {
                var result = await tool.RunAsync("iptables", ["-w", "-t", jump.Table, "-D", jump.From, .. jump.Spec()], null, cancellationToken).ConfigureAwait(false);
                if (!result.Succeeded)
                {
                    break;
                }
            }
        }

        var nat = await ListChainsAsync("nat", cancellationToken).ConfigureAwait(false);
        var natOurs = nat.Where(c => c is ChainNames.Services or ChainNames.NodePorts or ChainNames.Postrouting or ChainNames.MarkMasq || ChainNames.IsServiceChain(c)).ToList();
        var filter = await ListChainsAsync("filter", cancellationToken).ConfigureAwait(false);
        var filterOurs = filter.Where(c => c is ChainNames.Services or ChainNames.ExternalServices or ChainNames.Forward or ChainNames.NodePorts or ChainNames.ProxyFirewall or ChainNames.KubeletFirewall).ToList();
        var sb = new StringBuilder();
        AppendFlushAndDelete(sb, "filter", filterOurs);
        AppendFlushAndDelete(sb, "nat", natOurs);
        if (sb.Length > 0)
        {
            await RunCheckedAsync("iptables-restore", ["-w", "--noflush", "--counters"], sb.ToString(), cancellationToken).ConfigureAwait(false);
        }

        _serviceChains = null;
        _jumpsCheckedAt = -1;
    }

    /// <summary>The nat chains declared in a rendered ruleset that <see cref="ChainNames.IsServiceChain"/> owns.</summary>
    internal static HashSet<string> RenderedServiceChains(string rules)
    {
        var chains = new HashSet<string>(StringComparer.Ordinal);
        var nat = rules.IndexOf("*nat\n", StringComparison.Ordinal);
        if (nat < 0)
        {
            return chains;
        }

        var span = rules.AsSpan(nat);
        foreach (var range in span.Split('\n'))
        {
            var line = span[range];
            if (line.Length > 1 && line[0] == ':')
            {
                var name = line[1..line.IndexOf(' ')];
                if (ChainNames.IsServiceChain(name.ToString()))
                {
                    chains.Add(name.ToString());
                }
            }
        }

        return chains;
    }

    /// <summary>Adds a flush (<c>:CHAIN</c>) and a delete (<c>-X</c>) of every stale chain to the nat table of <paramref name="rules"/>.</summary>
    internal static string WithDeletions(string rules, IReadOnlyList<string> stale)
    {
        var nat = rules.IndexOf("*nat\n", StringComparison.Ordinal);
        var commit = rules.LastIndexOf("COMMIT\n", StringComparison.Ordinal);
        if (nat < 0 || commit < nat)
        {
            throw new ArgumentException("the ruleset has no *nat table", nameof(rules));
        }

        var sb = new StringBuilder(rules.Length + (stale.Count * 64));
        sb.Append(rules, 0, nat + 5);
        foreach (var chain in stale)
        {
            sb.Append(':').Append(chain).Append(" - [0:0]\n");
        }

        sb.Append(rules, nat + 5, commit - nat - 5);
        foreach (var chain in stale)
        {
            sb.Append("-X ").Append(chain).Append('\n');
        }

        sb.Append(rules, commit, rules.Length - commit);
        return sb.ToString();
    }

    private static void AppendFlushAndDelete(StringBuilder sb, string table, List<string> chains)
    {
        if (chains.Count == 0)
        {
            return;
        }

        sb.Append('*').Append(table).Append('\n');
        foreach (var c in chains)
        {
            sb.Append(':').Append(c).Append(" - [0:0]\n");
        }

        foreach (var c in chains)
        {
            sb.Append("-X ").Append(c).Append('\n');
        }

        sb.Append("COMMIT\n");
    }

    private async Task EnsureJumpsAsync(CancellationToken cancellationToken)
    {
        if (_options.LocalhostNodePorts)
        {
            // Node ports on 127.0.0.1 need the kernel to route loopback-destined packets after DNAT (upstream sets it too).
            await RunCheckedAsync("sysctl", ["-q", "-w", "net.ipv4.conf.all.route_localnet=1"], null, cancellationToken).ConfigureAwait(false);
        }

        foreach (var jump in _options.LocalhostNodePorts ? [.. Jumps, .. KubeletJumps] : Jumps)
        {
            var check = await tool.RunAsync("iptables", ["-w", "-t", jump.Table, "-C", jump.From, .. jump.Spec()], null, cancellationToken).ConfigureAwait(false);
            if (!check.Succeeded)
            {
                await RunCheckedAsync("iptables", ["-w", "-t", jump.Table, "-I", jump.From, .. jump.Spec()], null, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<HashSet<string>> ListServiceChainsAsync(CancellationToken cancellationToken)
    {
        var chains = await ListChainsAsync("nat", cancellationToken).ConfigureAwait(false);
        return [.. chains.Where(ChainNames.IsServiceChain)];
    }

    private async Task<List<string>> ListChainsAsync(string table, CancellationToken cancellationToken)
    {
        var result = await tool.RunAsync("iptables-save", ["-t", table], null, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            throw new ProxyApplyException($"iptables-save -t {table} exited with {result.ExitCode}: {result.Stderr.Trim()}");
        }

        var chains = new List<string>();
        foreach (var line in result.Stdout.Split('\n'))
        {
            if (line.Length > 1 && line[0] == ':')
            {
                var space = line.IndexOf(' ', StringComparison.Ordinal);
                chains.Add(space < 0 ? line[1..] : line[1..space]);
            }
        }

        return chains;
    }

    private async Task RunCheckedAsync(string file, IReadOnlyList<string> args, string? stdin, CancellationToken cancellationToken)
    {
        var result = await tool.RunAsync(file, args, stdin, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            throw new ProxyApplyException($"{file} {string.Join(' ', args)} exited with {result.ExitCode}: {result.Stderr.Trim()}");
        }
    }

    /// <summary>A jump from a built-in chain to one of ours (upstream's <c>iptablesJumpChain</c>).</summary>
    private sealed record Jump(string Table, string From, string To, string? Comment, string[] ExtraArgs)
    {
        public string[] Spec() => Comment is null
            ? [.. ExtraArgs, "-j", To]
            : [.. ExtraArgs, "-m", "comment", "--comment", Comment, "-j", To];
    }
}
