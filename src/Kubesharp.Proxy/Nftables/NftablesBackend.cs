using System.Text;
using Kubesharp.Proxy.Model;
using static Kubesharp.Proxy.Nftables.NftablesNames;

namespace Kubesharp.Proxy.Nftables;

/// <summary>
/// kube-proxy's nftables mode (upstream's pkg/proxy/nftables, IPv4): everything lives in the <c>ip kube-proxy</c>
/// table, and each sync is one <c>nft -f</c> transaction that flushes and refills it.
/// <para>
/// <see cref="Render"/> is pure. <see cref="ApplyAsync(string, CancellationToken)"/> adds to the rendered text, in the same transaction, the
/// deletion of the Service, endpoint and fast-path chains, the per-service <c>lb-</c> maps and the affinity sets the
/// previous apply wrote and this one does not (upstream
/// defers deleting chains by a second for kernels before 6.2, which noticed a dropped map reference late; the kernels
/// this project runs on do not need it). It remembers what it applied; on its first apply, or after a failed one, it
/// lists the table instead, so a restarted proxy also removes what its predecessor left. Calls must not overlap (the
/// sync runner makes one at a time); an overlapping call throws <see cref="InvalidOperationException"/>.
/// </para>
/// <para>
/// Partial syncs (<see cref="IPartialSyncBackend"/>, <see cref="NftablesPartialSync"/>) need a record of what the last
/// apply wrote, Service by Service: a sync prepared by <see cref="Prepare"/> carries it, and a successful apply keeps
/// it. A plain <see cref="ApplyAsync(string, CancellationToken)"/> of rendered text leaves no record, so the next
/// prepared sync is full.
/// </para>
/// </summary>
public sealed class NftablesBackend(RuleTool tool) : IPartialSyncBackend
{
    private int _busy;

    /// <summary>Service/endpoint/fast-path chains, <c>lb-</c> maps and affinity sets of the last successful apply; null when unknown.</summary>
    private HashSet<string>? _applied;

    /// <summary>What the last successful apply wrote, per Service; null when unknown (then the next sync is full).</summary>
    private NftablesState? _state;

    public string Mode => "nftables";

    /// <summary>How long the last <c>nft -f</c> took (the kernel's and nft's share of a sync; for the benchmark and logs).</summary>
    public TimeSpan LastRunElapsed { get; private set; }

    public string Render(ProxySnapshot snapshot, NodeProxyContext node) => NftablesRenderer.Render(snapshot, node);

    public ProxySync Prepare(ProxySnapshot snapshot, NodeProxyContext node, IReadOnlySet<(string Namespace, string Name)>? changedServices)
    {
        // Read by the one sync loop that also applies; a stale read only makes ApplyAsync refuse the sync.
        var state = Volatile.Read(ref _state);
        var owned = Volatile.Read(ref _applied);
        if (changedServices is not null && state is not null && owned is not null && state.Node == node)
        {
            return NftablesPartialSync.Prepare(state, owned, snapshot, changedServices);
        }

        var rules = NftablesRenderer.Render(snapshot, node, out var references);
        return new NftablesSync(rules, full: true, NftablesState.Of(snapshot, node, references), basis: null, owned: null);
    }

    public async Task ApplyAsync(ProxySync sync, CancellationToken cancellationToken)
    {
        if (sync is not NftablesSync prepared)
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
                throw new InvalidOperationException("NftablesBackend: a partial sync must be applied on the state it was prepared on");
            }

            if (prepared.Rules.Length > 0)
            {
                await RunAsync(prepared.Rules, cancellationToken).ConfigureAwait(false);
            }

            _state = prepared.State;
            _applied = prepared.Owned;
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    public Task ApplyAsync(string rules, CancellationToken cancellationToken) => ApplyFullAsync(rules, null, cancellationToken);

    private async Task ApplyFullAsync(string rules, NftablesState? state, CancellationToken cancellationToken)
    {
        Enter();
        try
        {
            _state = null;
            var firstApply = _applied is null;
            var previous = _applied ?? await ListOwnedObjectsAsync(cancellationToken).ConfigureAwait(false);
            var current = OwnedObjectsIn(rules);
            var input = new StringBuilder(rules.Length + 1024);
            if (firstApply)
            {
                // As upstream on its first sync: recreate the base chains, so a hook or priority that an older version
                // gave them does not make the "add chain" with the new one fail.
                input.Append("add table ip ").Append(Table).Append('\n');
                foreach (var chain in NftablesRenderer.BaseChainNames)
                {
                    input.Append("add chain ip ").Append(Table).Append(' ').Append(chain).Append('\n');
                    input.Append("delete chain ip ").Append(Table).Append(' ').Append(chain).Append('\n');
                }
            }

            input.Append(rules);
            AppendDeletions(input, previous.Where(o => !current.Contains(o)));
            await RunAsync(input.ToString(), cancellationToken).ConfigureAwait(false);
            _applied = current;
            _state = state;
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    /// <summary>One <c>nft -f</c>; on any failure the record of what was applied is forgotten, so the next sync is full.</summary>
    private async Task RunAsync(string input, CancellationToken cancellationToken)
    {
        RuleToolResult result;
        var start = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            result = await tool.RunAsync("nft", ["-f", "-"], input, cancellationToken).ConfigureAwait(false);
            LastRunElapsed = System.Diagnostics.Stopwatch.GetElapsedTime(start);
        }
        catch (OperationCanceledException)
        {
            // nft may or may not have committed before it was killed.
            _applied = null;
            _state = null;
            throw;
        }
        catch (Exception e)
        {
            _applied = null;
            _state = null;
            throw new ProxyApplyException($"nft -f could not run: {e.Message}");
        }

        if (!result.Succeeded)
        {
            _applied = null;
            _state = null;
            throw new ProxyApplyException($"nft -f failed (exit {result.ExitCode}): {Trim(result.Stderr)}");
        }
    }

    public async Task CleanupAsync(CancellationToken cancellationToken)
    {
        Enter();
        try
        {
            // "add" first: deleting a table that does not exist fails, and cleanup must succeed on a clean node.
            var result = await tool.RunAsync("nft", ["-f", "-"], $"add table ip {Table}\ndelete table ip {Table}\n", cancellationToken)
                .ConfigureAwait(false);
            if (!result.Succeeded)
            {
                throw new ProxyApplyException($"nft could not delete table ip {Table} (exit {result.ExitCode}): {Trim(result.Stderr)}");
            }

            _applied = null;
            _state = null;
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    private void Enter()
    {
        if (Interlocked.Exchange(ref _busy, 1) != 0)
        {
            throw new InvalidOperationException("NftablesBackend: ApplyAsync and CleanupAsync must not run concurrently");
        }
    }

    /// <summary>Deletes owned objects (<c>chain NAME</c>, <c>map NAME</c>, <c>set NAME</c>) that nothing uses any more.</summary>
    internal static void AppendDeletions(StringBuilder input, IEnumerable<string> objects)
    {
        var stale = objects.Order(StringComparer.Ordinal).ToList();
        var chains = stale.Where(o => o.StartsWith("chain ", StringComparison.Ordinal)).Select(o => o[6..]).ToList();
        var sets = stale.Where(o => o.StartsWith("set ", StringComparison.Ordinal)).Select(o => o[4..]).ToList();
        var maps = stale.Where(o => o.StartsWith("map ", StringComparison.Ordinal)).Select(o => o[4..]).ToList();

        // Stale chains may jump to one another (service -> endpoint) and use stale maps, whose elements go to stale
        // chains: empty the chains, then delete the maps, then the chains.
        foreach (var chain in chains)
        {
            input.Append("flush chain ip ").Append(Table).Append(' ').Append(chain).Append('\n');
        }

        foreach (var map in maps)
        {
            input.Append("delete map ip ").Append(Table).Append(' ').Append(map).Append('\n');
        }

        foreach (var chain in chains)
        {
            input.Append("delete chain ip ").Append(Table).Append(' ').Append(chain).Append('\n');
        }

        foreach (var set in sets)
        {
            input.Append("delete set ip ").Append(Table).Append(' ').Append(set).Append('\n');
        }
    }

    /// <summary>
    /// The Service/endpoint/fast-path chains (<c>chain NAME</c>), <c>lb-</c> maps (<c>map NAME</c>) and affinity sets
    /// (<c>set NAME</c>) a rendered ruleset creates.
    /// </summary>
    internal static HashSet<string> OwnedObjectsIn(string rules)
    {
        var addChain = $"add chain ip {Table} ";
        var addSet = $"add set ip {Table} ";
        var addMap = $"add map ip {Table} ";
        var owned = new HashSet<string>(StringComparer.Ordinal);
        foreach (var range in rules.AsSpan().Split('\n'))
        {
            var line = rules.AsSpan()[range];
            if (line.StartsWith(addChain, StringComparison.Ordinal))
            {
                var name = FirstWord(line[addChain.Length..]);
                if (IsOwnedChain(name))
                {
                    owned.Add("chain " + name);
                }
            }
            else if (line.StartsWith(addMap, StringComparison.Ordinal))
            {
                var name = FirstWord(line[addMap.Length..]);
                if (IsBalanceMap(name))
                {
                    owned.Add("map " + name);
                }
            }
            else if (line.StartsWith(addSet, StringComparison.Ordinal))
            {
                var name = FirstWord(line[addSet.Length..]);
                if (IsAffinitySet(name))
                {
                    owned.Add("set " + name);
                }
            }
        }

        return owned;
    }

    /// <summary>What the table holds now (<c>nft list chains</c>, <c>nft -t list sets</c>), for the first apply.</summary>
    private async Task<HashSet<string>> ListOwnedObjectsAsync(CancellationToken cancellationToken)
    {
        var owned = new HashSet<string>(StringComparer.Ordinal);
        var chains = await tool.RunAsync("nft", ["list", "chains", "ip"], null, cancellationToken).ConfigureAwait(false);
        var sets = await tool.RunAsync("nft", ["-t", "list", "sets", "ip"], null, cancellationToken).ConfigureAwait(false);
        var maps = await tool.RunAsync("nft", ["-t", "list", "maps", "ip"], null, cancellationToken).ConfigureAwait(false);
        // A failed listing (no nft, no table family yet) leaves nothing to delete; the apply itself reports real faults.
        if (chains.Succeeded)
        {
            foreach (var name in ObjectsOfTable(chains.Stdout, "chain "))
            {
                if (IsOwnedChain(name))
                {
                    owned.Add("chain " + name);
                }
            }
        }

        if (sets.Succeeded)
        {
            foreach (var name in ObjectsOfTable(sets.Stdout, "set "))
            {
                if (IsAffinitySet(name))
                {
                    owned.Add("set " + name);
                }
            }
        }

        if (maps.Succeeded)
        {
            foreach (var name in ObjectsOfTable(maps.Stdout, "map "))
            {
                if (IsBalanceMap(name))
                {
                    owned.Add("map " + name);
                }
            }
        }

        return owned;
    }

    /// <summary>The chains a sync creates per service, endpoint or fast-path (protocol, endpoint count), and deletes when stale.</summary>
    internal static bool IsOwnedChain(string name) => IsServiceChain(name) || IsFastChain(name);

    /// <summary>The names of <c>kind NAME {</c> blocks inside <c>table ip kube-proxy { ... }</c> of an nft listing.</summary>
    internal static IEnumerable<string> ObjectsOfTable(string listing, string kind)
    {
        var inTable = false;
        foreach (var raw in listing.Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith("table ", StringComparison.Ordinal))
            {
                inTable = line == $"table ip {Table} {{";
            }
            else if (inTable && line.StartsWith(kind, StringComparison.Ordinal) && line.EndsWith('{'))
            {
                yield return line[kind.Length..^1].Trim().Trim('"');
            }
        }
    }

    private static string FirstWord(ReadOnlySpan<char> s)
    {
        var end = s.IndexOf(' ');
        return (end < 0 ? s : s[..end]).ToString();
    }

    private static string Trim(string stderr) => stderr.Length <= 2000 ? stderr.Trim() : stderr[..2000] + "...";
}
