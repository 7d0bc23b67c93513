using System.Text.Json;
using System.Text.Json.Nodes;

namespace Kubesharp.Api.Crd;

/// <summary>The names of a CRD (<c>spec.names</c> or <c>status.acceptedNames</c>).</summary>
public sealed record CrdNames(string Plural, string Singular, string Kind, string ListKind, IReadOnlyList<string> ShortNames, IReadOnlyList<string> Categories)
{
    public static readonly CrdNames Empty = new("", "", "", "", [], []);

    /// <summary>Value equality, lists included (upstream compares names with DeepEqual).</summary>
    public bool SameAs(CrdNames other) =>
        Plural == other.Plural && Singular == other.Singular && Kind == other.Kind && ListKind == other.ListKind
        && ShortNames.SequenceEqual(other.ShortNames) && Categories.SequenceEqual(other.Categories);

    public JsonObject ToJson()
    {
        var o = new JsonObject { ["plural"] = Plural };
        if (Singular.Length > 0)
        {
            o["singular"] = Singular;
        }

        if (ShortNames.Count > 0)
        {
            o["shortNames"] = new JsonArray([.. ShortNames.Select(s => (JsonNode)s)]);
        }

        o["kind"] = Kind;
        if (ListKind.Length > 0)
        {
            o["listKind"] = ListKind;
        }

        if (Categories.Count > 0)
        {
            o["categories"] = new JsonArray([.. Categories.Select(s => (JsonNode)s)]);
        }

        return o;
    }
}

/// <summary><c>subresources.scale</c>: where the replica counts and the selector live in a custom resource.</summary>
public sealed record CrdScale(string SpecReplicasPath, string StatusReplicasPath, string? LabelSelectorPath);

/// <summary>One <c>additionalPrinterColumns</c> entry.</summary>
public sealed record CrdColumn(string Name, string Type, string Format, string Description, int Priority, string JsonPath);

/// <summary>One entry of <c>spec.versions</c>.</summary>
/// <param name="Schema">The <c>schema.openAPIV3Schema</c> object, or null.</param>
/// <param name="Subresources">The <c>subresources</c> object as sent, or null (compared whole by validation).</param>
public sealed record CrdVersion(
    string Name,
    bool Served,
    bool Storage,
    bool Deprecated,
    string? DeprecationWarning,
    JsonObject? Schema,
    JsonObject? Subresources,
    bool Status,
    CrdScale? Scale,
    IReadOnlyList<CrdColumn> Columns,
    IReadOnlyList<string> SelectableFields);

/// <summary>One <c>status.conditions</c> entry.</summary>
public sealed record CrdCondition(string Type, string Status, string? LastTransitionTime, string Reason, string Message);

/// <summary>
/// A typed view of an <c>apiextensions.k8s.io/v1 CustomResourceDefinition</c>'s JSON: what validation, the
/// naming and establishing logic and the custom resource handlers read. Immutable; the JSON it came from is
/// not kept.
/// </summary>
public sealed class CrdObject
{
    public const string CleanupFinalizer = "customresourcecleanup.apiextensions.k8s.io";

    public required string Name { get; init; }

    public required string Uid { get; init; }

    public required string Group { get; init; }

    public required string Scope { get; init; }

    public required CrdNames Names { get; init; }

    public required IReadOnlyList<CrdVersion> Versions { get; init; }

    public required string ConversionStrategy { get; init; }

    public required bool PreserveUnknownFields { get; init; }

    public required CrdNames AcceptedNames { get; init; }

    public required IReadOnlyList<CrdCondition> Conditions { get; init; }

    public required IReadOnlyList<string> StoredVersions { get; init; }

    public required bool Deleting { get; init; }

    public required IReadOnlyList<string> Finalizers { get; init; }

    public required IReadOnlyDictionary<string, string> Annotations { get; init; }

    public bool Namespaced => Scope == "Namespaced";

    public CrdVersion? StorageVersion => Versions.FirstOrDefault(v => v.Storage);

    public CrdCondition? Condition(string type) => Conditions.FirstOrDefault(c => c.Type == type);

    public bool IsTrue(string type) => Condition(type)?.Status == "True";

    /// <summary>
    /// Reads a CRD. Throws <see cref="FormatException"/> when a field has a value of the wrong JSON type, with a
    /// message in the spirit of Go's decoder (upstream answers such a request with 400 BadRequest).
    /// </summary>
    public static CrdObject Parse(JsonObject crd)
    {
        var meta = Obj(crd, "metadata", "metadata");
        var spec = Obj(crd, "spec", "spec");
        var status = Obj(crd, "status", "status");
        var versions = new List<CrdVersion>();
        if (spec?["versions"] is { } vs)
        {
            var list = vs as JsonArray ?? throw Mismatch("spec.versions", vs, "[]v1.CustomResourceDefinitionVersion");
            foreach (var item in list)
            {
                versions.Add(Version(item as JsonObject ?? throw Mismatch("spec.versions", item, "v1.CustomResourceDefinitionVersion")));
            }
        }

        var annotations = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Obj(meta, "annotations", "metadata.annotations") is { } a)
        {
            foreach (var (k, v) in a)
            {
                annotations[k] = v is JsonValue s && s.GetValueKind() == JsonValueKind.String ? s.GetValue<string>() : "";
            }
        }

        return new CrdObject
        {
            Name = Str(meta, "name", "metadata.name") ?? "",
            Uid = Str(meta, "uid", "metadata.uid") ?? "",
            Group = Str(spec, "group", "spec.group") ?? "",
            Scope = Str(spec, "scope", "spec.scope") ?? "",
            Names = ParseNames(Obj(spec, "names", "spec.names"), "spec.names"),
            Versions = versions,
            ConversionStrategy = Str(Obj(spec, "conversion", "spec.conversion"), "strategy", "spec.conversion.strategy") ?? "",
            PreserveUnknownFields = Bool(spec, "preserveUnknownFields", "spec.preserveUnknownFields"),
            AcceptedNames = ParseNames(Obj(status, "acceptedNames", "status.acceptedNames"), "status.acceptedNames"),
            Conditions = ParseConditions(status),
            StoredVersions = Strings(status, "storedVersions", "status.storedVersions"),
            Deleting = meta?["deletionTimestamp"] is not null,
            Finalizers = Strings(meta, "finalizers", "metadata.finalizers"),
            Annotations = annotations,
        };
    }

    public static CrdNames ParseNames(JsonObject? names, string path) => names is null
        ? CrdNames.Empty
        : new CrdNames(
            Str(names, "plural", path + ".plural") ?? "",
            Str(names, "singular", path + ".singular") ?? "",
            Str(names, "kind", path + ".kind") ?? "",
            Str(names, "listKind", path + ".listKind") ?? "",
            Strings(names, "shortNames", path + ".shortNames"),
            Strings(names, "categories", path + ".categories"));

    private static CrdVersion Version(JsonObject v)
    {
        var subresources = Obj(v, "subresources", "spec.versions.subresources");
        var scale = Obj(subresources, "scale", "spec.versions.subresources.scale");
        var columns = new List<CrdColumn>();
        if (v["additionalPrinterColumns"] is { } cols)
        {
            foreach (var c in cols as JsonArray ?? throw Mismatch("spec.versions.additionalPrinterColumns", cols, "[]v1.CustomResourceColumnDefinition"))
            {
                var col = c as JsonObject ?? throw Mismatch("spec.versions.additionalPrinterColumns", c, "v1.CustomResourceColumnDefinition");
                const string P = "spec.versions.additionalPrinterColumns";
                var priority = col["priority"] switch
                {
                    null => 0,
                    JsonValue p when p.GetValueKind() == JsonValueKind.Number && int.TryParse(p.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture, out var n) => n,
                    var other => throw Mismatch(P + ".priority", other, "int32"),
                };
                columns.Add(new CrdColumn(Str(col, "name", P + ".name") ?? "", Str(col, "type", P + ".type") ?? "", Str(col, "format", P + ".format") ?? "",
                    Str(col, "description", P + ".description") ?? "", priority, Str(col, "jsonPath", P + ".jsonPath") ?? ""));
            }
        }

        var selectable = new List<string>();
        if (v["selectableFields"] is { } sel)
        {
            foreach (var s in sel as JsonArray ?? throw Mismatch("spec.versions.selectableFields", sel, "[]v1.SelectableField"))
            {
                selectable.Add(Str(s as JsonObject, "jsonPath", "spec.versions.selectableFields.jsonPath") ?? "");
            }
        }

        var schemaHolder = Obj(v, "schema", "spec.versions.schema");
        return new CrdVersion(
            Str(v, "name", "spec.versions.name") ?? "",
            Bool(v, "served", "spec.versions.served"),
            Bool(v, "storage", "spec.versions.storage"),
            Bool(v, "deprecated", "spec.versions.deprecated"),
            Str(v, "deprecationWarning", "spec.versions.deprecationWarning"),
            Obj(schemaHolder, "openAPIV3Schema", "spec.versions.schema.openAPIV3Schema"),
            subresources,
            subresources?["status"] is not null,
            scale is null ? null : new CrdScale(
                Str(scale, "specReplicasPath", "specReplicasPath") ?? "",
                Str(scale, "statusReplicasPath", "statusReplicasPath") ?? "",
                Str(scale, "labelSelectorPath", "labelSelectorPath")),
            columns,
            selectable);
    }

    private static List<CrdCondition> ParseConditions(JsonObject? status)
    {
        var result = new List<CrdCondition>();
        if (status?["conditions"] is JsonArray conditions)
        {
            foreach (var c in conditions.OfType<JsonObject>())
            {
                result.Add(new CrdCondition(Str(c, "type", "type") ?? "", Str(c, "status", "status") ?? "", Str(c, "lastTransitionTime", "lastTransitionTime"),
                    Str(c, "reason", "reason") ?? "", Str(c, "message", "message") ?? ""));
            }
        }

        return result;
    }

    private static JsonObject? Obj(JsonObject? parent, string name, string path) => parent?[name] switch
    {
        null => null,
        JsonObject o => o,
        var other => throw Mismatch(path, other, "object"),
    };

    private static string? Str(JsonObject? parent, string name, string path) => parent?[name] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        var other => throw Mismatch(path, other, "string"),
    };

    private static bool Bool(JsonObject? parent, string name, string path) => parent?[name] switch
    {
        null => false,
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
        var other => throw Mismatch(path, other, "bool"),
    };

    private static List<string> Strings(JsonObject? parent, string name, string path)
    {
        if (parent?[name] is not { } node)
        {
            return [];
        }

        if (node is not JsonArray items || items.Any(i => i is not JsonValue v || v.GetValueKind() != JsonValueKind.String))
        {
            throw Mismatch(path, node, "[]string");
        }

        return [.. items.Select(i => i!.GetValue<string>())];
    }

    private static FormatException Mismatch(string path, JsonNode? value, string goType)
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
        return new FormatException($"json: cannot unmarshal {jsonType} into Go struct field CustomResourceDefinition.{path} of type {goType}");
    }
}
