using System.Diagnostics;
using System.Text;
using Kubesharp.Proxy.Model;

namespace Kubesharp.Proxy.Iptables;

/// <summary>
/// The iptables proxy mode (upstream's pkg/proxy/iptables, IPv4): <see cref="Render"/> writes the whole ruleset of
/// KUBE-* chains; <see cref="ApplyAsync(string, CancellationToken)"/> loads it in one
/// <c>iptables-restore --noflush --counters</c> (other programs' chains and rules are left alone), deletes the
/// per-service and per-endpoint chains no longer rendered, and keeps the jump rules from the built-in chains
/// (PREROUTING, OUTPUT, POSTROUTING, INPUT, FORWARD) in place.
/// <para>
/// Partial syncs (<see cref="IPartialSyncBackend"/>, upstream's <c>MinimizeIPTablesRestore</c>): <see cref="Prepare"/>
/// leaves the KUBE-SVC/SVL/EXT/SEP chains of unchanged Services out of the restore input (with --noflush the kernel
/// keeps them as they are) and writes every top-level chain, the changed Services' own chains and the flush and
/// <c>-X</c> of the chains no Service uses any more, in one restore. The cost of an iptables-nft restore with
/// --noflush grows with (rules written) x (chains in the table), so this is what keeps a change cheap
/// (docs/flows/services-proxy.md, ADR 0020).
/// </para>
/// <para>
/// Not thread-safe: one sync loop applies at a time (an overlapping apply throws <see cref="InvalidOperationException"/>).
/// After a failed apply the next one is full and starts from what the kernel has (it lists the chains again and
/// re-checks the jump rules).
/// </para>
/// </summary>
public sealed class IptablesBackend(RuleTool tool, IptablesRenderOptions? options = null) : IPartialSyncBackend
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
    private int _busy;

    /// <summary>What the last successful apply of a prepared sync wrote; null when unknown (then the next sync is full).</summary>
    private IptablesState? _state;

    public string Mode => "iptables";

    public IptablesRenderOptions Options => _options;

    public string Render(ProxySnapshot snapshot, NodeProxyContext node) => IptablesRenderer.Render(snapshot, node, _options);

    /// <summary>
    /// Upstream's partial restore (<c>MinimizeIPTablesRestore</c>): when <paramref name="changedServices"/> is given and
    /// the last prepared sync was applied for the same node and the same large-cluster mode, only those Services' own
    /// chains are written, with every top-level chain and the deletion of the chains no Service uses any more.
    /// </summary>
    public ProxySync Prepare(ProxySnapshot snapshot, NodeProxyContext node, IReadOnlySet<(string Namespace, string Name)>? changedServices) =>
        // Read by the one sync loop that also applies; a stale read only makes ApplyAsync refuse the sync.
        PrepareOn(Volatile.Read(ref _state), snapshot, node, changedServices);

    /// <summary><see cref="Prepare"/> on a given record of the last apply (null: none), without reading the backend's.</summary>
    internal ProxySync PrepareOn(IptablesState? state, ProxySnapshot snapshot, NodeProxyContext node, IReadOnlySet<(string Namespace, string Name)>? changedServices)
    {
        var partial = changedServices is not null && state is not null && state.Node == node;
        var rules = IptablesRenderer.Render(snapshot, node, _options, partial ? changedServices : null, out var active, out var largeCluster);
        if (partial && largeCluster != state!.LargeCluster)
        {
            // The per-endpoint comments of every Service change with the mode: only a full sync leaves what a full sync writes.
            partial = false;
            rules = IptablesRenderer.Render(snapshot, node, _options, null, out active, out largeCluster);
        }

        var next = new IptablesState(node, largeCluster, active);
        if (!partial)
        {
            return new IptablesSync(rules, full: true, next, basis: null);
        }

        var stale = state!.Chains.Where(c => !active.Contains(c)).Order(StringComparer.Ordinal).ToList();
        return new IptablesSync(stale.Count == 0 ? rules : WithDeletions(rules, stale), full: false, next, state);
    }

    public async Task ApplyAsync(ProxySync sync, CancellationToken cancellationToken)
    {
        if (sync is not IptablesSync prepared)
        {
            throw new ArgumentException("not a sync this backend prepared", nameof(sync));
        }

        if (prepared.Full)
        {
            await ApplyFullAsync(prepared.Rules, prepared.State, cancellationToken).ConfigureAwait(false);
            return;
        }

        Enter();
        try
        {
            if (!ReferenceEquals(_state, prepared.Basis))
            {
                throw new InvalidOperationException("IptablesBackend: a partial sync must be applied on the state it was prepared on");
            }

            try
            {
                _state = null;
                _serviceChains = null;
                await RestoreAsync(prepared.Rules, cancellationToken).ConfigureAwait(false);
                _serviceChains = prepared.State.Chains;
                _state = prepared.State;
                await CheckJumpsAsync(firstOrRecovering: false, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                Forget();
                throw;
            }
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    /// <summary>Applies a whole rendered ruleset; leaves no record for a partial sync, so the next prepared sync is full.</summary>
    public Task ApplyAsync(string rules, CancellationToken cancellationToken) => ApplyFullAsync(rules, null, cancellationToken);

    private async Task ApplyFullAsync(string rules, IptablesState? state, CancellationToken cancellationToken)
    {
        Enter();
        var firstOrRecovering = _serviceChains is null;
        try
        {
            _state = null;
            var existing = _serviceChains ?? await ListServiceChainsAsync(cancellationToken).ConfigureAwait(false);
            var rendered = state?.Chains ?? RenderedServiceChains(rules);
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
            await RestoreAsync(input, cancellationToken).ConfigureAwait(false);
            _serviceChains = rendered;
            _state = state;
            await CheckJumpsAsync(firstOrRecovering, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Forget();
            throw;
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    private Task RestoreAsync(string input, CancellationToken cancellationToken) =>
        RunCheckedAsync("iptables-restore", ["-w", "--noflush", "--counters"], input, cancellationToken);

    private async Task CheckJumpsAsync(bool firstOrRecovering, CancellationToken cancellationToken)
    {
        // After the restore: every chain a jump points to exists now.
        if (firstOrRecovering || _jumpsCheckedAt < 0 || Stopwatch.GetElapsedTime(_jumpsCheckedAt) >= JumpCheckInterval)
        {
            await EnsureJumpsAsync(cancellationToken).ConfigureAwait(false);
            _jumpsCheckedAt = Stopwatch.GetTimestamp();
        }
    }

    private void Enter()
    {
        if (Interlocked.Exchange(ref _busy, 1) != 0)
        {
            throw new InvalidOperationException("IptablesBackend: applies must not overlap");
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

        Forget();
    }

    /// <summary>
    /// What the kernel holds is not known for certain (a failed apply) or is gone (clean-up): the next sync is full, lists
    /// the chains again and checks the jumps.
    /// </summary>
    private void Forget()
    {
        _state = null;
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

/// <summary>What a prepared sync leaves applied: the node and large-cluster mode it was rendered for, and every per-service and per-endpoint nat chain.</summary>
internal sealed record IptablesState(NodeProxyContext Node, bool LargeCluster, HashSet<string> Chains);

/// <summary>A prepared iptables sync: the restore input, and the state it leaves when applied.</summary>
internal sealed class IptablesSync(string rules, bool full, IptablesState state, IptablesState? basis) : ProxySync
{
    public override string Rules => rules;

    public override bool Full => full;

    /// <summary>The backend's record once this sync is applied.</summary>
    public IptablesState State => state;

    /// <summary>For a partial sync, the record it was prepared on (it must still be the backend's when applied).</summary>
    public IptablesState? Basis => basis;
}
