using System.Text.Json;
using System.Text.Json.Nodes;

namespace Kubesharp.Api.Crd;

/// <summary>
/// What upstream does to the <c>metadata</c> of a custom resource and of embedded resources
/// (<c>apiserver/schema/objectmeta</c>): metadata is decoded into ObjectMeta and encoded again, so unknown
/// fields and empty values disappear; embedded resources must carry <c>apiVersion</c> and <c>kind</c>.
/// Works in place. Stateless and thread-safe.
/// </summary>
public static class ObjectMetaCoercion
{
    private enum Shape
    {
        String,
        Integer,
        Time,
        StringMap,
        StringList,
        ObjectList,
    }

    private static readonly Dictionary<string, Shape> Fields = new(StringComparer.Ordinal)
    {
        ["name"] = Shape.String,
        ["generateName"] = Shape.String,
        ["namespace"] = Shape.String,
        ["selfLink"] = Shape.String,
        ["uid"] = Shape.String,
        ["resourceVersion"] = Shape.String,
        ["generation"] = Shape.Integer,
        ["creationTimestamp"] = Shape.Time,
        ["deletionTimestamp"] = Shape.Time,
        ["deletionGracePeriodSeconds"] = Shape.Integer,
        ["labels"] = Shape.StringMap,
        ["annotations"] = Shape.StringMap,
        ["ownerReferences"] = Shape.ObjectList,
        ["finalizers"] = Shape.StringList,
        ["managedFields"] = Shape.ObjectList,
    };

    /// <summary>
    /// Reduces <c>metadata</c> of <paramref name="obj"/> to ObjectMeta's fields, dropping empty ones, and returns
    /// the paths of unknown fields it removed (<c>metadata.foo</c>). A known field of the wrong JSON type is
    /// dropped when <paramref name="dropMalformed"/>, otherwise it throws <see cref="FormatException"/> (upstream
    /// refuses such a request body).
    /// </summary>
    public static List<string> CoerceRoot(JsonObject obj, bool dropMalformed = false) => CoerceMetadata(obj, "", dropMalformed);

    /// <summary>The same for every embedded resource (<c>x-kubernetes-embedded-resource</c>) inside <paramref name="value"/>.</summary>
    public static void CoerceEmbedded(JsonNode? value, CrdSchema? schema)
    {
        if (schema is null)
        {
            return;
        }

        switch (value)
        {
            case JsonObject obj:
                if (schema.XEmbeddedResource)
                {
                    CoerceMetadata(obj, "", dropMalformed: true);
                }

                foreach (var (key, child) in obj.ToList())
                {
                    CoerceEmbedded(child, schema.Property(key) ?? schema.AdditionalProperties);
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    CoerceEmbedded(item, schema.Items);
                }

                break;
        }
    }

    /// <summary>Upstream's checks of embedded resources: apiVersion and kind present and well formed, a usable name.</summary>
    public static void ValidateEmbedded(JsonNode? value, CrdSchema? schema, string path, List<FieldError> errors)
    {
        if (schema is null)
        {
            return;
        }

        switch (value)
        {
            case JsonObject obj:
                if (schema.XEmbeddedResource)
                {
                    ValidateResource(obj, path, errors);
                }

                foreach (var (key, child) in obj)
                {
                    if (schema.Property(key) is { } property)
                    {
                        ValidateEmbedded(child, property, Join(path, key), errors);
                    }
                    else if (schema.AdditionalProperties is { } additional)
                    {
                        ValidateEmbedded(child, additional, $"{path}[{key}]", errors);
                    }
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    ValidateEmbedded(array[i], schema.Items, $"{path}[{i}]", errors);
                }

                break;
        }
    }

    private static void ValidateResource(JsonObject obj, string path, List<FieldError> errors)
    {
        if (!obj.ContainsKey("apiVersion"))
        {
            errors.Add(FieldError.Required(Join(path, "apiVersion"), "must not be empty"));
        }

        if (!obj.ContainsKey("kind"))
        {
            errors.Add(FieldError.Required(Join(path, "kind"), "must not be empty"));
        }

        foreach (var (key, value) in obj)
        {
            switch (key)
            {
                case "apiVersion" when value is not JsonValue v || v.GetValueKind() != JsonValueKind.String:
                    errors.Add(FieldError.Invalid(Join(path, key), value, "must be a string"));
                    break;
                case "apiVersion" when value!.GetValue<string>().Length == 0:
                    errors.Add(FieldError.Invalid(Join(path, key), value, "must not be empty"));
                    break;
                case "apiVersion" when value!.GetValue<string>().Count(c => c == '/') > 1:
                    errors.Add(FieldError.Invalid(Join(path, key), value, $"unexpected GroupVersion string: {value.GetValue<string>()}"));
                    break;
                case "kind" when value is not JsonValue v || v.GetValueKind() != JsonValueKind.String:
                    errors.Add(FieldError.Invalid(Join(path, key), value, "must be a string"));
                    break;
                case "kind" when value!.GetValue<string>().Length == 0:
                    errors.Add(FieldError.Invalid(Join(path, key), value, "must not be empty"));
                    break;
                case "kind" when CrdNameRules.Dns1035Label(value!.GetValue<string>().ToLowerInvariant()) is { Count: > 0 } problems:
                    errors.Add(FieldError.Invalid(Join(path, key), value, "may have mixed case, but should otherwise match: " + string.Join(",", problems)));
                    break;
                case "metadata" when value is JsonObject m && m["name"] is JsonValue name && name.GetValueKind() == JsonValueKind.String:
                    var n = name.GetValue<string>();
                    if (n is "." or "..")
                    {
                        errors.Add(FieldError.Invalid(Join(path, "metadata.name"), name, $"may not be '{n}'"));
                    }

                    foreach (var bad in new[] { "/", "%" })
                    {
                        if (n.Contains(bad, StringComparison.Ordinal))
                        {
                            errors.Add(FieldError.Invalid(Join(path, "metadata.name"), name, $"may not contain '{bad}'"));
                        }
                    }

                    break;
            }
        }
    }

    private static string Join(string path, string child) => path.Length == 0 ? child : $"{path}.{child}";

    private static List<string> CoerceMetadata(JsonObject obj, string path, bool dropMalformed)
    {
        var unknown = new List<string>();
        if (!obj.TryGetPropertyValue("metadata", out var node))
        {
            return unknown;
        }

        if (node is not JsonObject metadata)
        {
            if (node is null || dropMalformed)
            {
                obj.Remove("metadata");
                return unknown;
            }

            throw new FormatException("json: cannot unmarshal into Go value of type v1.ObjectMeta");
        }

        foreach (var (key, value) in metadata.ToList())
        {
            if (!Fields.TryGetValue(key, out var shape))
            {
                unknown.Add(Join(Join(path, "metadata"), key));
                metadata.Remove(key);
                continue;
            }

            if (value is null || IsEmpty(value))
            {
                metadata.Remove(key);
                continue;
            }

            if (!Fits(value, shape))
            {
                if (!dropMalformed)
                {
                    throw new FormatException($"json: cannot unmarshal {JsonType(value)} into Go struct field ObjectMeta.metadata.{key} of type {GoType(shape)}");
                }

                metadata.Remove(key);
            }
        }

        return unknown;
    }

    // Go's omitempty: empty strings, zero numbers, empty maps and lists are not encoded.
    private static bool IsEmpty(JsonNode value) => value switch
    {
        JsonObject o => o.Count == 0,
        JsonArray a => a.Count == 0,
        _ => value.GetValueKind() switch
        {
            JsonValueKind.String => value.GetValue<string>().Length == 0,
            JsonValueKind.Number => value.ToJsonString() == "0",
            _ => false,
        },
    };

    private static bool Fits(JsonNode value, Shape shape) => shape switch
    {
        Shape.String or Shape.Time => value is JsonValue v && v.GetValueKind() == JsonValueKind.String,
        Shape.Integer => value is JsonValue v && v.GetValueKind() == JsonValueKind.Number && long.TryParse(v.ToJsonString(), out _),
        Shape.StringMap => value is JsonObject o && o.All(p => p.Value is JsonValue s && s.GetValueKind() == JsonValueKind.String),
        Shape.StringList => value is JsonArray a && a.All(i => i is JsonValue s && s.GetValueKind() == JsonValueKind.String),
        _ => value is JsonArray a && a.All(i => i is JsonObject),
    };

    private static string JsonType(JsonNode value) => value switch
    {
        JsonObject => "object",
        JsonArray => "array",
        _ => value.GetValueKind() switch
        {
            JsonValueKind.String => "string",
            JsonValueKind.Number => "number",
            _ => "bool",
        },
    };

    private static string GoType(Shape shape) => shape switch
    {
        Shape.String => "string",
        Shape.Integer => "int64",
        Shape.Time => "v1.Time",
        Shape.StringMap => "map[string]string",
        Shape.StringList => "[]string",
        _ => "[]v1.OwnerReference",
    };
}
