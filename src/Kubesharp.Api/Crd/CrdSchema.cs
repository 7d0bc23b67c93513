using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Kubesharp.Api.Crd;

/// <summary>
/// One node of a CRD's <c>openAPIV3Schema</c> (upstream's <c>JSONSchemaProps</c>), read once from JSON and then
/// immutable and thread-safe: what validation, pruning, defaulting and the structural checks need. The JSON it was
/// read from is kept as <see cref="Raw"/> (never mutate it).
/// </summary>
public sealed class CrdSchema
{
    private static readonly CrdSchema[] None = [];
    private readonly Lazy<Regex?> _pattern;

    private CrdSchema(JsonObject raw, string path)
    {
        Raw = raw;
        Type = Str(raw, "type", path) ?? "";
        Format = Str(raw, "format", path) ?? "";
        Description = Str(raw, "description", path) ?? "";
        Title = Str(raw, "title", path) ?? "";
        Nullable = Bool(raw, "nullable", path) ?? false;
        Pattern = Str(raw, "pattern", path) ?? "";
        Maximum = Number(raw, "maximum", path);
        Minimum = Number(raw, "minimum", path);
        ExclusiveMaximum = Bool(raw, "exclusiveMaximum", path) ?? false;
        ExclusiveMinimum = Bool(raw, "exclusiveMinimum", path) ?? false;
        MultipleOf = Number(raw, "multipleOf", path);
        MaxLength = Integer(raw, "maxLength", path);
        MinLength = Integer(raw, "minLength", path);
        MaxItems = Integer(raw, "maxItems", path);
        MinItems = Integer(raw, "minItems", path);
        MaxProperties = Integer(raw, "maxProperties", path);
        MinProperties = Integer(raw, "minProperties", path);
        UniqueItems = Bool(raw, "uniqueItems", path) ?? false;
        XPreserveUnknownFields = Bool(raw, "x-kubernetes-preserve-unknown-fields", path);
        XIntOrString = Bool(raw, "x-kubernetes-int-or-string", path) ?? false;
        XEmbeddedResource = Bool(raw, "x-kubernetes-embedded-resource", path) ?? false;
        XListType = Str(raw, "x-kubernetes-list-type", path);
        XMapType = Str(raw, "x-kubernetes-map-type", path);
        XListMapKeys = Strings(raw, "x-kubernetes-list-map-keys", path);
        Required = Strings(raw, "required", path);
        // A JSON null default is no default (upstream's JSON type drops a literal null).
        Default = raw["default"]?.DeepClone();
        HasDefault = Default is not null;
        if (raw.TryGetPropertyValue("enum", out var e) && e is not null)
        {
            Enum = e is JsonArray items ? [.. items.Select(i => i?.DeepClone())] : throw Mismatch(path, "enum", e, "[]apiextensions.JSON");
        }

        if (raw["properties"] is { } props)
        {
            var map = props as JsonObject ?? throw Mismatch(path, "properties", props, "map[string]v1.JSONSchemaProps");
            var properties = new List<KeyValuePair<string, CrdSchema>>(map.Count);
            foreach (var (name, value) in map)
            {
                properties.Add(new(name, Child(value, path + ".properties")));
            }

            Properties = properties;
            PropertyIndex = properties.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        }

        switch (raw["additionalProperties"])
        {
            case null:
                break;
            case JsonObject schema:
                AdditionalProperties = Child(schema, path + ".additionalProperties");
                AllowsAdditionalProperties = true;
                HasAdditionalProperties = true;
                break;
            case JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False:
                AllowsAdditionalProperties = v.GetValue<bool>();
                HasAdditionalProperties = true;
                break;
            case var other:
                throw Mismatch(path, "additionalProperties", other, "v1.JSONSchemaPropsOrBool");
        }

        if (raw["items"] is { } items2)
        {
            if (items2 is JsonArray tuple)
            {
                ItemsIsArray = true;
                ItemsTuple = [.. tuple.Select(t => Child(t, path + ".items"))];
            }
            else
            {
                Items = Child(items2, path + ".items");
            }
        }

        AllOf = List(raw, "allOf", path);
        AnyOf = List(raw, "anyOf", path);
        OneOf = List(raw, "oneOf", path);
        if (raw["not"] is { } not)
        {
            Not = Child(not, path + ".not");
        }

        _pattern = new Lazy<Regex?>(() => CompilePattern(Pattern, out _));
    }

    public JsonObject Raw { get; }

    public string Type { get; }

    public string Format { get; }

    public string Description { get; }

    public string Title { get; }

    public bool Nullable { get; }

    public string Pattern { get; }

    public double? Maximum { get; }

    public double? Minimum { get; }

    public bool ExclusiveMaximum { get; }

    public bool ExclusiveMinimum { get; }

    public double? MultipleOf { get; }

    public long? MaxLength { get; }

    public long? MinLength { get; }

    public long? MaxItems { get; }

    public long? MinItems { get; }

    public long? MaxProperties { get; }

    public long? MinProperties { get; }

    public bool UniqueItems { get; }

    /// <summary>True, false, or unset (null): <c>false</c> is refused by CRD validation.</summary>
    public bool? XPreserveUnknownFields { get; }

    public bool PreservesUnknownFields => XPreserveUnknownFields == true;

    public bool XIntOrString { get; }

    public bool XEmbeddedResource { get; }

    public string? XListType { get; }

    public string? XMapType { get; }

    public IReadOnlyList<string> XListMapKeys { get; }

    public IReadOnlyList<string> Required { get; }

    /// <summary>The default value, or null when there is none. Clone it before putting it in an object.</summary>
    public JsonNode? Default { get; }

    public bool HasDefault { get; }

    public IReadOnlyList<JsonNode?>? Enum { get; }

    /// <summary>The properties in the order the schema lists them.</summary>
    public IReadOnlyList<KeyValuePair<string, CrdSchema>> Properties { get; } = [];

    private Dictionary<string, CrdSchema>? PropertyIndex { get; }

    /// <summary>The schema of <c>additionalProperties</c> when it is a schema.</summary>
    public CrdSchema? AdditionalProperties { get; }

    /// <summary>True when <c>additionalProperties</c> is set at all (a schema, true or false).</summary>
    public bool HasAdditionalProperties { get; }

    /// <summary><c>additionalProperties</c> is true or a schema; false when it is <c>false</c>.</summary>
    public bool AllowsAdditionalProperties { get; } = true;

    public CrdSchema? Items { get; }

    /// <summary>True when <c>items</c> is a list of schemas (refused by CRD validation).</summary>
    public bool ItemsIsArray { get; }

    public IReadOnlyList<CrdSchema> ItemsTuple { get; } = None;

    public IReadOnlyList<CrdSchema> AllOf { get; }

    public IReadOnlyList<CrdSchema> AnyOf { get; }

    public IReadOnlyList<CrdSchema> OneOf { get; }

    public CrdSchema? Not { get; }

    /// <summary>The compiled <see cref="Pattern"/>, or null when there is none or it does not compile.</summary>
    public Regex? PatternRegex => _pattern.Value;

    public CrdSchema? Property(string name) => PropertyIndex is { } index && index.TryGetValue(name, out var s) ? s : null;

    /// <summary>
    /// Reads a schema. Throws <see cref="FormatException"/> with a message in the spirit of Go's decoder when a
    /// keyword has a value of the wrong JSON type (upstream answers such a CRD with 400 BadRequest).
    /// </summary>
    public static CrdSchema Parse(JsonNode node, string path = "openAPIV3Schema") => Child(node, path);

    /// <summary>Compiles an OpenAPI pattern; <paramref name="error"/> says why it does not compile.</summary>
    public static Regex? CompilePattern(string pattern, out string? error)
    {
        error = null;
        if (pattern.Length == 0)
        {
            return null;
        }

        try
        {
            // Go's regexp (RE2) and .NET agree on the patterns schemas use; matching is a search, as in Go.
            return new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException e)
        {
            error = e.Message;
            return null;
        }
    }

    private static CrdSchema Child(JsonNode? node, string path) =>
        node is JsonObject o ? new CrdSchema(o, path) : throw Mismatch(path, "", node, "v1.JSONSchemaProps");

    private static CrdSchema[] List(JsonObject raw, string name, string path)
    {
        if (raw[name] is not { } node)
        {
            return None;
        }

        return node is JsonArray items ? [.. items.Select(i => Child(i, $"{path}.{name}"))] : throw Mismatch(path, name, node, "[]v1.JSONSchemaProps");
    }

    private static string? Str(JsonObject raw, string name, string path) => raw[name] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        var other => throw Mismatch(path, name, other, "string"),
    };

    private static bool? Bool(JsonObject raw, string name, string path) => raw[name] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
        var other => throw Mismatch(path, name, other, "bool"),
    };

    private static double? Number(JsonObject raw, string name, string path) => raw[name] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => double.Parse(v.ToJsonString(), CultureInfo.InvariantCulture),
        var other => throw Mismatch(path, name, other, "float64"),
    };

    private static long? Integer(JsonObject raw, string name, string path) => raw[name] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.Number && long.TryParse(v.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) => n,
        var other => throw Mismatch(path, name, other, "int64"),
    };

    private static IReadOnlyList<string> Strings(JsonObject raw, string name, string path)
    {
        if (raw[name] is not { } node)
        {
            return [];
        }

        if (node is not JsonArray items || items.Any(i => i is not JsonValue v || v.GetValueKind() != JsonValueKind.String))
        {
            throw Mismatch(path, name, node, "[]string");
        }

        return [.. items.Select(i => i!.GetValue<string>())];
    }

    private static FormatException Mismatch(string path, string name, JsonNode? value, string goType)
    {
        var jsonType = value switch
        {
            JsonObject => "object",
            JsonArray => "array",
            null => "null",
            _ => value.GetValueKind() switch
            {
                JsonValueKind.String => "string",
                JsonValueKind.Number => "number",
                _ => "bool",
            },
        };
        var field = name.Length == 0 ? path : $"{path}.{name}";
        return new FormatException($"json: cannot unmarshal {jsonType} into Go struct field {field} of type {goType}");
    }
}
