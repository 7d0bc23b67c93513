using System.Collections.Frozen;

namespace Kubesharp.Api.Resources;

/// <summary>
/// The kinds the server serves, looked up by (group, version, plural) for routing and by (group, kind) for
/// objects. A table built from rows is immutable. A layered table (<see cref="WithCustomLayer"/>) keeps those
/// rows frozen and adds a custom layer (the CRD-defined kinds) that <see cref="ReplaceCustom"/> swaps: every
/// swap publishes one new immutable snapshot, so a lookup is one volatile read and one frozen-dictionary
/// lookup, and readers never see half a change. Built-in rows win over custom rows with the same key.
/// Lookups are thread-safe; <see cref="ReplaceCustom"/> calls must not overlap (one owner writes).
/// </summary>
public sealed class ResourceTable
{
    private readonly IReadOnlyList<ResourceInfo>? _builtin;
    private volatile Snapshot _current;

    public ResourceTable(IEnumerable<ResourceInfo> resources)
    {
        _current = new Snapshot([.. resources], 0);
    }

    private ResourceTable(IReadOnlyList<ResourceInfo> builtin)
    {
        _builtin = builtin;
        _current = new Snapshot(builtin, 0);
    }

    /// <summary>Every kind, in the order discovery lists them: built-in first, then the custom layer.</summary>
    public IReadOnlyList<ResourceInfo> All => _current.All;

    /// <summary>Changes with every swap of the custom layer, so that callers can cache what they derive from the table.</summary>
    public long Revision => _current.Revision;

    /// <summary>A new layered table over this table's rows, with an empty custom layer.</summary>
    public ResourceTable WithCustomLayer() => new(_current.All);

    /// <summary>
    /// Replaces the custom layer with <paramref name="custom"/> (in discovery order) and publishes the result
    /// atomically. Rows whose (group, version, plural) is a built-in row's are left out. Throws on a table that
    /// is not layered.
    /// </summary>
    public void ReplaceCustom(IEnumerable<ResourceInfo> custom)
    {
        var builtin = _builtin ?? throw new InvalidOperationException("this resource table has no custom layer");
        var taken = builtin.Select(r => (r.Group, r.Version, r.Plural)).ToHashSet();
        var previous = _current;
        _current = new Snapshot([.. builtin, .. custom.Where(r => taken.Add((r.Group, r.Version, r.Plural)))], previous.Revision + 1);
    }

    public ResourceInfo? Find(string group, string version, string plural) =>
        _current.ByResource.GetValueOrDefault((group, version, plural));

    public ResourceInfo? FindKind(string group, string kind) => _current.ByKind.GetValueOrDefault((group, kind));

    /// <summary>The served group-versions, core first, in a stable order.</summary>
    public IReadOnlyList<(string Group, string Version)> GroupVersions() => _current.GroupVersions;

    private sealed class Snapshot
    {
        public Snapshot(IReadOnlyList<ResourceInfo> all, long revision)
        {
            All = all;
            Revision = revision;
            ByResource = all.ToFrozenDictionary(r => (r.Group, r.Version, r.Plural));
            // A kind served in several versions is found by its first (preferred) row.
            var byKind = new Dictionary<(string, string), ResourceInfo>();
            foreach (var r in all)
            {
                byKind.TryAdd((r.Group, r.Kind), r);
            }

            ByKind = byKind.ToFrozenDictionary();
            GroupVersions = [.. all.Select(r => (r.Group, r.Version)).Distinct()];
        }

        public IReadOnlyList<ResourceInfo> All { get; }

        public long Revision { get; }

        public FrozenDictionary<(string Group, string Version, string Plural), ResourceInfo> ByResource { get; }

        public FrozenDictionary<(string Group, string Kind), ResourceInfo> ByKind { get; }

        public IReadOnlyList<(string Group, string Version)> GroupVersions { get; }
    }
}
