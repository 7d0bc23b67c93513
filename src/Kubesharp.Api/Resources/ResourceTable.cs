using System.Collections.Frozen;

namespace Kubesharp.Api.Resources;

/// <summary>
/// The kinds the server serves, looked up by (group, version, plural) for routing and by
/// (group, kind) for objects. Immutable once built; thread-safe. Custom resources come later as a
/// second, changing table layered over this one.
/// </summary>
public sealed class ResourceTable
{
    private readonly FrozenDictionary<(string Group, string Version, string Plural), ResourceInfo> _byResource;
    private readonly FrozenDictionary<(string Group, string Kind), ResourceInfo> _byKind;

    public ResourceTable(IEnumerable<ResourceInfo> resources)
    {
        All = [.. resources];
        _byResource = All.ToFrozenDictionary(r => (r.Group, r.Version, r.Plural));
        _byKind = All.ToFrozenDictionary(r => (r.Group, r.Kind));
    }

    /// <summary>Every kind, in the order discovery lists them.</summary>
    public IReadOnlyList<ResourceInfo> All { get; }

    public ResourceInfo? Find(string group, string version, string plural) =>
        _byResource.GetValueOrDefault((group, version, plural));

    public ResourceInfo? FindKind(string group, string kind) => _byKind.GetValueOrDefault((group, kind));

    /// <summary>The served group-versions, core first, in a stable order.</summary>
    public IReadOnlyList<(string Group, string Version)> GroupVersions() =>
        [.. All.Select(r => (r.Group, r.Version)).Distinct()];
}
