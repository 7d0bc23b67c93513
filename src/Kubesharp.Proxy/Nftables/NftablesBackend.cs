using System.Text;
using Kubesharp.Proxy.Model;
using static Kubesharp.Proxy.Nftables.NftablesNames;

namespace Kubesharp.Proxy.Nftables;

/// <summary>
/// kube-proxy's nftables mode (upstream's pkg/proxy/nftables, IPv4): everything lives in the <c>ip kube-proxy</c>
/// table, and each sync is one <c>nft -f</c> transaction that flushes and refills it.
/// <para>
/// <see cref="Render"/> is pure. <see cref="ApplyAsync"/> adds to the rendered text, in the same transaction, the
/// deletion of the Service, endpoint and fast-path chains, the per-service <c>lb-</c> maps and the affinity sets the
/// previous apply wrote and this one does not (upstream
/// defers deleting chains by a second for kernels before 6.2, which noticed a dropped map reference late; the kernels
/// this project runs on do not need it). It remembers what it applied; on its first apply, or after a failed one, it
/// lists the table instead, so a restarted proxy also removes what its predecessor left. Calls must not overlap (the
/// sync runner makes one at a time); an overlapping call throws <see cref="InvalidOperationException"/>.
/// </para>
/// </summary>
public sealed class NftablesBackend(RuleTool tool) : IProxyBackend
{
    private int _busy;

    /// <summary>Service/endpoint/fast-path chains, <c>lb-</c> maps and affinity sets of the last successful apply; null when unknown.</summary>
    private HashSet<string>? _applied;

    public string Mode => "nftables";

    public string Render(ProxySnapshot snapshot, NodeProxyContext node) => NftablesRenderer.Render(snapshot, node);

    public async Task ApplyAsync(string rules, CancellationToken cancellationToken)
    {
        Enter();
        try
        {
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
            AppendStaleDeletions(input, previous, current);

            RuleToolResult result;
            try
            {
                result = await tool.RunAsync("nft", ["-f", "-"], input.ToString(), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _applied = null;
                throw new ProxyApplyException($"nft -f could not run: {e.Message}");
            }

            if (!result.Succeeded)
            {
                _applied = null;
                throw new ProxyApplyException($"nft -f failed (exit {result.ExitCode}): {Trim(result.Stderr)}");
            }

            _applied = current;
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
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

    private static void AppendStaleDeletions(StringBuilder input, HashSet<string> previous, HashSet<string> current)
    {
        var stale = previous.Where(o => !current.Contains(o)).Order(StringComparer.Ordinal).ToList();
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
