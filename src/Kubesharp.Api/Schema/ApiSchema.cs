using System.Collections.Frozen;
using System.Text.Json.Nodes;

namespace Kubesharp.Api.Schema;

/// <summary>What JSON a schema accepts, as far as OpenAPI documents and unknown-field checks care.</summary>
#pragma warning disable CA1720 // The members are OpenAPI's type names on purpose.
public enum SchemaShape
{
    /// <summary>An object with named properties (a Go struct).</summary>
    Object,

    /// <summary>A list; <see cref="ApiSchema.Items"/> is the element.</summary>
    Array,

    /// <summary>An object with free keys; <see cref="ApiSchema.Items"/> is the value of every key.</summary>
    Map,

    String,
    Integer,
    Number,
    Boolean,

    /// <summary><c>intstr.IntOrString</c>: an integer or a string.</summary>
    IntOrString,

    /// <summary><c>resource.Quantity</c>: a string such as <c>100m</c>, or a number.</summary>
    Quantity,

    /// <summary>Any JSON value (<c>RawExtension</c>, <c>FieldsV1</c>, <c>JSON</c>): nothing below it is checked.</summary>
    Any,
}
#pragma warning restore CA1720

/// <summary>An entry of <c>x-kubernetes-group-version-kind</c>.</summary>
public sealed record GroupVersionKind(string Group, string Version, string Kind);

/// <summary>
/// One node of an API schema: the shape of a JSON value, with what OpenAPI v3 documents carry about it
/// (description, format, properties, the Kubernetes extensions). A node with a <see cref="Name"/> is a
/// definition (<c>components.schemas</c>, referred to by <c>$ref</c>); a node without one is written inline.
/// Nodes may form cycles (JSONSchemaProps refers to itself).
/// </summary>
/// <remarks>
/// Built once, then immutable and safe to share between threads: builders create the node, fill it with
/// <see cref="Complete"/> (which may refer to nodes not yet completed, for cycles), and publish the graph
/// only when every node is complete. Built-in kinds come from the <c>KubernetesClient</c> models
/// (<see cref="Models.BuiltinSchemas"/>); a custom resource can build its own nodes with the same API.
/// </remarks>
public sealed class ApiSchema
{
    private static readonly FrozenDictionary<string, ApiProperty> NoProperties = FrozenDictionary<string, ApiProperty>.Empty;

    private readonly Func<string?>? _describe;
    private string? _description;
    private volatile bool _described;
    private FrozenDictionary<string, ApiProperty> _byName = NoProperties;
    private FrozenDictionary<string, ApiProperty>.AlternateLookup<ReadOnlySpan<char>> _bySpan = NoProperties.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <param name="describe">Computes the description on first use (descriptions are read lazily: the
    /// unknown-field checks never need them).</param>
    public ApiSchema(SchemaShape shape, string? name = null, string? format = null, string? description = null, Func<string?>? describe = null)
    {
        Shape = shape;
        Name = name;
        Format = format;
        _description = description;
        _described = description is not null || describe is null;
        _describe = describe;
    }

    public SchemaShape Shape { get; }

    /// <summary>The definition name, upstream's (<c>io.k8s.api.core.v1.PodSpec</c>); null for inline schemas.</summary>
    public string? Name { get; }

    /// <summary>OpenAPI format: <c>int32</c>, <c>int64</c>, <c>double</c>, <c>date-time</c>, <c>byte</c>.</summary>
    public string? Format { get; }

    public string? Description
    {
        get
        {
            if (!_described)
            {
                _description = _describe!();
                _described = true;
            }

            return _description;
        }
    }

    /// <summary>The element of an array, or the value type of a map.</summary>
    public ApiSchema? Items { get; private set; }

    /// <summary>The properties of an object, sorted by name (ordinal), as upstream's documents list them.</summary>
    public IReadOnlyList<ApiProperty> Properties { get; private set; } = [];

    /// <summary>Property names that must be present.</summary>
    public IReadOnlyList<string> Required { get; private set; } = [];

    /// <summary>The kinds whose objects this schema describes (<c>x-kubernetes-group-version-kind</c>).</summary>
    public IReadOnlyList<GroupVersionKind> Kinds { get; private set; } = [];

    /// <summary>An object that keeps fields it does not declare (<c>x-kubernetes-preserve-unknown-fields</c>).</summary>
    public bool PreserveUnknownFields { get; private set; }

    /// <summary>Further keywords written verbatim into the document (enum, pattern, validations of a CRD). Read-only.</summary>
    public IReadOnlyDictionary<string, JsonNode>? Extensions { get; private set; }

    public ApiProperty? Property(string name) => _byName.GetValueOrDefault(name);

    public ApiProperty? Property(ReadOnlySpan<char> name) => _bySpan.TryGetValue(name, out var p) ? p : null;

    /// <summary>Fills the node. Call once, before the node is shared.</summary>
    public ApiSchema Complete(
        IEnumerable<ApiProperty>? properties = null,
        ApiSchema? items = null,
        IEnumerable<string>? required = null,
        IEnumerable<GroupVersionKind>? kinds = null,
        bool preserveUnknownFields = false,
        IReadOnlyDictionary<string, JsonNode>? extensions = null)
    {
        var sorted = (properties ?? []).OrderBy(p => p.Name, StringComparer.Ordinal).ToArray();
        for (var i = 0; i < sorted.Length; i++)
        {
            sorted[i].Index = i;
        }

        Properties = sorted;
        _byName = sorted.ToFrozenDictionary(p => p.Name, StringComparer.Ordinal);
        _bySpan = _byName.GetAlternateLookup<ReadOnlySpan<char>>();
        Items = items;
        Required = [.. required ?? []];
        Kinds = [.. kinds ?? []];
        PreserveUnknownFields = preserveUnknownFields;
        Extensions = extensions;
        return this;
    }

    public override string ToString() => Name ?? Shape.ToString();
}

/// <summary>
/// One property of an object schema, with the strategic-merge-patch metadata of the field
/// (<c>x-kubernetes-patch-strategy</c>, <c>x-kubernetes-patch-merge-key</c>) and its list semantics
/// (<c>x-kubernetes-list-type</c>, <c>x-kubernetes-list-map-keys</c>) when known.
/// </summary>
public sealed class ApiProperty(string name, ApiSchema schema, string? description = null, Func<string?>? describe = null)
{
    private string? _description = description;
    private volatile bool _described = description is not null || describe is null;

    /// <summary>The JSON field name.</summary>
    public string Name { get; } = name;

    public ApiSchema Schema { get; } = schema;

    public string? Description
    {
        get
        {
            if (!_described)
            {
                _description = describe!();
                _described = true;
            }

            return _description;
        }
    }

    /// <summary><c>merge</c>, <c>replace</c>, <c>retainKeys</c> or <c>merge,retainKeys</c>.</summary>
    public string? PatchStrategy { get; init; }

    public string? PatchMergeKey { get; init; }

    /// <summary><c>atomic</c>, <c>set</c> or <c>map</c>.</summary>
    public string? ListType { get; init; }

    public IReadOnlyList<string>? ListMapKeys { get; init; }

    /// <summary>Position in the owner's <see cref="ApiSchema.Properties"/>, for per-object bit sets.</summary>
    public int Index { get; internal set; }

    public override string ToString() => Name;
}
