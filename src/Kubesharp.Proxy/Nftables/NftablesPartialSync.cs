using System.Text;
using Kubesharp.Proxy.Model;
using static Kubesharp.Proxy.Nftables.NftablesNames;

namespace Kubesharp.Proxy.Nftables;

/// <summary>
/// What the backend applied last, as a partial sync needs it: every Service's ports with their endpoints (the records
/// the snapshot held, so unchanged Services cost nothing), and the fast path's reference counts. Immutable once made:
/// a partial sync makes a new one.
/// </summary>
internal sealed record NftablesState(
    NodeProxyContext Node,
    Dictionary<(string Namespace, string Name), ServicePortEndpoints[]> Services,
    FastPathReferences References)
{
    public static NftablesState Of(ProxySnapshot snapshot, NodeProxyContext node, FastPathReferences references)
    {
        var services = new Dictionary<(string, string), ServicePortEndpoints[]>();
        // The snapshot lists a Service's ports together.
        var start = 0;
        for (var i = 1; i <= snapshot.Services.Count; i++)
        {
            if (i == snapshot.Services.Count || !SameService(snapshot.Services[i], snapshot.Services[start]))
            {
                var name = snapshot.Services[start].Service.Name;
                services[(name.Namespace, name.Name)] = [.. snapshot.Services.Skip(start).Take(i - start)];
                start = i;
            }
        }

        return new NftablesState(node, services, references);
    }

    private static bool SameService(ServicePortEndpoints a, ServicePortEndpoints b) =>
        a.Service.Name.Namespace == b.Service.Name.Namespace && a.Service.Name.Name == b.Service.Name.Name;
}

/// <summary>A prepared nftables sync: the transaction, and the state and owned objects it leaves when applied.</summary>
internal sealed class NftablesSync(string rules, bool full, NftablesState state, NftablesState? basis, HashSet<string>? owned) : ProxySync
{
    public override string Rules => rules;

    public override bool Full => full;

    /// <summary>The backend's record once this sync is applied.</summary>
    public NftablesState State => state;

    /// <summary>For a partial sync, the record it was prepared on (it must still be the backend's when applied).</summary>
    public NftablesState? Basis => basis;

    /// <summary>For a partial sync, the owned chains, maps and sets (<see cref="NftablesBackend.OwnedObjectsIn"/>) once applied.</summary>
    public HashSet<string>? Owned => owned;
}

/// <summary>
/// Upstream's partial sync (pkg/proxy/nftables, a sync that is not <c>doFullSync</c>), carried down to set and map
/// elements: only the Services the change trackers reported are rendered, before and after; their own chains are
/// created, flushed and refilled, their elements in the shared sets and maps are deleted and added one by one, and what
/// they alone used is deleted. Upstream (v1.32) flushes and refills its maps even in a partial sync; with the fast
/// path's maps that would be the 100,000 endpoint elements of a 10,000-Service cluster at every change (ADR 0018).
/// <para>
/// One transaction, in this order: element deletions (so no element still jumps to a chain deleted at the end);
/// the fast path's shared chains that become used; the changed ports' own chains, maps and sets; element additions
/// (their chains exist by then); the chains, maps and sets no port uses any more (flushed, then maps, chains and sets
/// deleted, as in a full sync). An element whose value changes is deleted and added again: nft refuses to add an
/// existing key with another value.
/// </para>
/// </summary>
internal static class NftablesPartialSync
{
    // As the fast path's element lines: many elements to a command, never one command per element.
    private const int ElementsPerLine = 1000;

    public static NftablesSync Prepare(
        NftablesState state,
        HashSet<string> owned,
        ProxySnapshot snapshot,
        IReadOnlySet<(string Namespace, string Name)> changed)
    {
        var fresh = new Dictionary<(string, string), List<ServicePortEndpoints>>();
        foreach (var p in snapshot.Services)
        {
            var key = (p.Service.Name.Namespace, p.Service.Name.Name);
            if (changed.Contains(key))
            {
                if (!fresh.TryGetValue(key, out var ports))
                {
                    fresh[key] = ports = [];
                }

                ports.Add(p);
            }
        }

        var services = new Dictionary<(string Namespace, string Name), ServicePortEndpoints[]>(state.Services);
        var before = new List<ServicePortEndpoints>();
        var after = new List<ServicePortEndpoints>();
        foreach (var key in changed.OrderBy(k => k.Namespace, StringComparer.Ordinal).ThenBy(k => k.Name, StringComparer.Ordinal))
        {
            var was = state.Services.GetValueOrDefault(key) ?? [];
            var now = fresh.GetValueOrDefault(key) ?? [];
            if (was.SequenceEqual(now))
            {
                continue;
            }

            before.AddRange(was);
            after.AddRange(now);
            if (now.Count == 0)
            {
                services.Remove(key);
            }
            else
            {
                services[key] = [.. now];
            }
        }

        if (before.Count == 0 && after.Count == 0)
        {
            return new NftablesSync("", full: false, state, state, owned);
        }

        var old = NftablesRenderer.RenderPorts(before, state.Node);
        var next = NftablesRenderer.RenderPorts(after, state.Node);

        var deletions = new ElementCommands("delete");
        var additions = new ElementCommands("add");
        var oldElements = new HashSet<SharedElement>(old.Elements);
        var newElements = new HashSet<SharedElement>(next.Elements);
        foreach (var e in old.Elements)
        {
            if (!newElements.Contains(e))
            {
                deletions.Add(e.Set, e.Key);
            }
        }

        foreach (var e in next.Elements)
        {
            if (!oldElements.Contains(e))
            {
                additions.Add(e.Set, e.Key + e.Rest);
            }
        }

        var hairpin = Recount(state.References.Hairpin, old.References.Hairpin, next.References.Hairpin, out var hairpinGone, out var hairpinNew);
        foreach (var ip in hairpinGone)
        {
            deletions.Add(FastHairpinSet, ip + " . " + ip);
        }

        foreach (var ip in hairpinNew)
        {
            additions.Add(FastHairpinSet, ip + " . " + ip);
        }

        var chains = Recount(state.References.Chains, old.References.Chains, next.References.Chains, out var chainsGone, out var chainsNew);

        var oldOwned = NftablesBackend.OwnedObjectsIn(old.Body);
        var newOwned = NftablesBackend.OwnedObjectsIn(next.Body);
        var stale = oldOwned.Where(o => !newOwned.Contains(o)).Concat(chainsGone.Select(c => "chain " + c)).ToHashSet(StringComparer.Ordinal);
        var nowOwned = new HashSet<string>(owned, StringComparer.Ordinal);
        nowOwned.ExceptWith(stale);
        nowOwned.UnionWith(newOwned);
        nowOwned.UnionWith(chainsNew.Select(c => "chain " + c));

        var text = new StringBuilder(next.Body.Length + 1024);
        deletions.WriteTo(text);
        foreach (var name in chainsNew)
        {
            var (kind, protocol, count) = next.FastChains[name];
            NftablesFastPath.WriteChain(text, state.Node, name, kind, protocol, count);
        }

        text.Append(next.Body);
        additions.WriteTo(text);
        NftablesBackend.AppendDeletions(text, stale);
        var result = new NftablesState(state.Node, services, new FastPathReferences(chains, hairpin));
        return new NftablesSync(text.ToString(), full: false, result, state, nowOwned);
    }

    /// <summary>
    /// The counts once the changed ports' old counts are taken away and their new ones added; which names fall to 0
    /// (<paramref name="gone"/>) and which leave 0 (<paramref name="added"/>), in the order the renders met them.
    /// </summary>
    private static Dictionary<string, int> Recount(
        Dictionary<string, int> applied,
        Dictionary<string, int> removed,
        Dictionary<string, int> addedCounts,
        out List<string> gone,
        out List<string> added)
    {
        var counts = new Dictionary<string, int>(applied, StringComparer.Ordinal);
        foreach (var (name, n) in removed)
        {
            counts[name] = counts.GetValueOrDefault(name) - n;
        }

        foreach (var (name, n) in addedCounts)
        {
            counts[name] = counts.GetValueOrDefault(name) + n;
        }

        gone = [];
        added = [];
        foreach (var name in removed.Keys.Concat(addedCounts.Keys).Distinct(StringComparer.Ordinal))
        {
            var was = applied.GetValueOrDefault(name);
            var now = counts.GetValueOrDefault(name);
            if (now <= 0)
            {
                counts.Remove(name);
            }

            if (was > 0 && now <= 0)
            {
                gone.Add(name);
            }
            else if (was <= 0 && now > 0)
            {
                added.Add(name);
            }
        }

        return counts;
    }

    /// <summary><c>add element</c> or <c>delete element</c> commands, grouped by set in the order met, many elements a command.</summary>
    private sealed class ElementCommands(string verb)
    {
        private readonly Dictionary<string, List<string>> _bySet = new(StringComparer.Ordinal);
        private readonly HashSet<(string, string)> _seen = [];

        public void Add(string set, string element)
        {
            if (!_seen.Add((set, element)))
            {
                return;
            }

            if (!_bySet.TryGetValue(set, out var list))
            {
                _bySet[set] = list = [];
            }

            list.Add(element);
        }

        public void WriteTo(StringBuilder output)
        {
            foreach (var (set, elements) in _bySet)
            {
                for (var i = 0; i < elements.Count; i += ElementsPerLine)
                {
                    output.Append(verb).Append(" element ip ").Append(Table).Append(' ').Append(set).Append(" { ");
                    output.AppendJoin(", ", elements.Skip(i).Take(ElementsPerLine));
                    output.Append(" }\n");
                }
            }
        }
    }
}
