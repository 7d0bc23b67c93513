using System.Collections.Frozen;

namespace Kubesharp.Api.Patch;

/// <summary>How a strategic merge patch treats a field when both the live object and the patch have it.</summary>
internal enum PatchStrategy
{
    /// <summary>No <c>patchStrategy</c> tag: objects merge member by member, lists are replaced.</summary>
    Default,

    /// <summary><c>patchStrategy:"merge"</c> on a list: items are merged by the merge key, scalars are unioned.</summary>
    Merge,

    /// <summary><c>patchStrategy:"replace"</c>: the patch value replaces the live one.</summary>
    Replace,
}

/// <summary>
/// The patch metadata of one field, transcribed from the <c>patchStrategy</c> and <c>patchMergeKey</c> struct
/// tags of the Kubernetes API types. <paramref name="Type"/> is the type of the field's object, or of its list
/// items, when something below it has metadata; null when nothing does.
/// </summary>
/// <param name="RetainKeys">The tag also names <c>retainKeys</c>. Clients put <c>$retainKeys</c> in their
/// patches for such fields; applying honours <c>$retainKeys</c> wherever it appears, as upstream does.</param>
internal sealed record PatchField(string Name, PatchStrategy Strategy, string? MergeKey, bool RetainKeys, PatchType? Type)
{
    /// <summary>An object-valued field whose type has metadata further down.</summary>
    public static PatchField Object(string name, PatchType type) => new(name, PatchStrategy.Default, null, false, type);

    /// <summary>An object-valued field tagged <c>retainKeys</c> (a discriminated union such as a Deployment's strategy).</summary>
    public static PatchField RetainKeysObject(string name, PatchType? type = null) => new(name, PatchStrategy.Default, null, true, type);

    /// <summary>A list of objects merged item by item on <paramref name="mergeKey"/>.</summary>
    public static PatchField MergeList(string name, string mergeKey, PatchType? itemType = null, bool retainKeys = false) =>
        new(name, PatchStrategy.Merge, mergeKey, retainKeys, itemType);

    /// <summary>A list of scalars merged as a set (<c>patchStrategy:"merge"</c> without a merge key).</summary>
    public static PatchField MergeScalars(string name) => new(name, PatchStrategy.Merge, null, false, null);
}

/// <summary>
/// One API type (a Go struct) as far as strategic merge patch cares: its fields that have patch metadata, or
/// lead to a type that has. A field not listed has none. Immutable; safe to share between threads.
/// </summary>
internal sealed class PatchType
{
    private readonly FrozenDictionary<string, PatchField> _fields;

    public PatchType(string name, params PatchField[] fields)
    {
        Name = name;
        _fields = fields.ToFrozenDictionary(f => f.Name, StringComparer.Ordinal);
    }

    /// <summary>The OpenAPI name of the type, such as <c>io.k8s.api.core.v1.PodSpec</c>.</summary>
    public string Name { get; }

    public IEnumerable<PatchField> Fields => _fields.Values;

    public PatchField? Field(string name) => _fields.GetValueOrDefault(name);

    public override string ToString() => Name;
}
