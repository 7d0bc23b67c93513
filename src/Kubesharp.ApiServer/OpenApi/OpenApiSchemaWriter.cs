using System.Text.Json;
using Kubesharp.Api.Schema;

namespace Kubesharp.ApiServer.OpenApi;

/// <summary>
/// Writes <see cref="ApiSchema"/> nodes as OpenAPI 3.0 schema objects, in the shapes upstream's documents use:
/// named nodes are definitions in <c>components.schemas</c>, a property of a definition's type is a
/// <c>$ref</c>, wrapped in <c>allOf</c> when the property carries its own description or extensions, and the
/// keys of every object are in ordinal order (upstream marshals maps sorted). Stateless.
/// </summary>
internal static class OpenApiSchemaWriter
{
    public const string RefPrefix = "#/components/schemas/";

    /// <summary>Adds every named node reachable from <paramref name="root"/> (itself included) to <paramref name="into"/>.</summary>
    public static void Collect(ApiSchema root, IDictionary<string, ApiSchema> into)
    {
        var pending = new Stack<ApiSchema>([root]);
        var seen = new HashSet<ApiSchema>(ReferenceEqualityComparer.Instance);
        while (pending.TryPop(out var schema))
        {
            if (!seen.Add(schema))
            {
                continue;
            }

            if (schema.Name is { } name)
            {
                into.TryAdd(name, schema);
            }

            if (schema.Items is { } items)
            {
                pending.Push(items);
            }

            foreach (var property in schema.Properties)
            {
                pending.Push(property.Schema);
            }
        }
    }

    /// <summary>A definition: the body of a named node.</summary>
    public static void WriteDefinition(Utf8JsonWriter w, ApiSchema schema)
    {
        w.WriteStartObject();
        switch (schema.Shape)
        {
            case SchemaShape.IntOrString:
                w.WriteStartArray("anyOf");
                TypeOnly(w, "integer");
                TypeOnly(w, "string");
                w.WriteEndArray();
                Description(w, schema.Description);
                w.WriteBoolean("x-kubernetes-int-or-string", true);
                break;
            case SchemaShape.Quantity:
                Description(w, schema.Description);
                w.WriteStartArray("oneOf");
                TypeOnly(w, "string");
                TypeOnly(w, "number");
                w.WriteEndArray();
                break;
            case SchemaShape.Object:
                Description(w, schema.Description);
                if (schema.Properties.Count > 0)
                {
                    w.WriteStartObject("properties");
                    foreach (var property in schema.Properties)
                    {
                        w.WritePropertyName(property.Name);
                        WriteProperty(w, property);
                    }

                    w.WriteEndObject();
                }

                if (schema.Required.Count > 0)
                {
                    w.WriteStartArray("required");
                    foreach (var name in schema.Required)
                    {
                        w.WriteStringValue(name);
                    }

                    w.WriteEndArray();
                }

                w.WriteString("type", "object");
                Kinds(w, schema);
                if (schema.PreserveUnknownFields)
                {
                    w.WriteBoolean("x-kubernetes-preserve-unknown-fields", true);
                }

                break;
            default:
                Body(w, schema, schema.Description);
                break;
        }

        Extensions(w, schema);
        w.WriteEndObject();
    }

    /// <summary>A property of an object: its type inline or by reference, with the field's description and extensions.</summary>
    private static void WriteProperty(Utf8JsonWriter w, ApiProperty property)
    {
        var schema = property.Schema;
        var description = property.Description;
        w.WriteStartObject();
        if (schema.Name is { } name)
        {
            var siblings = description is not null || property.PatchStrategy is not null || property.PatchMergeKey is not null;
            if (siblings)
            {
                w.WriteStartArray("allOf");
                w.WriteStartObject();
                w.WriteString("$ref", RefPrefix + name);
                w.WriteEndObject();
                w.WriteEndArray();
                Description(w, description);
            }
            else
            {
                w.WriteString("$ref", RefPrefix + name);
            }
        }
        else
        {
            Body(w, schema, description, writeExtensions: false);
        }

        if (property.ListMapKeys is { Count: > 0 } keys)
        {
            w.WriteStartArray("x-kubernetes-list-map-keys");
            foreach (var key in keys)
            {
                w.WriteStringValue(key);
            }

            w.WriteEndArray();
        }

        if (property.ListType is { } listType)
        {
            w.WriteString("x-kubernetes-list-type", listType);
        }

        if (property.PatchMergeKey is { } mergeKey)
        {
            w.WriteString("x-kubernetes-patch-merge-key", mergeKey);
        }

        if (property.PatchStrategy is { } strategy)
        {
            w.WriteString("x-kubernetes-patch-strategy", strategy);
        }

        if (schema.Name is null)
        {
            Extensions(w, schema);
        }

        w.WriteEndObject();
    }

    /// <summary>An unnamed node's keywords (the caller writes the braces).</summary>
    private static void Body(Utf8JsonWriter w, ApiSchema schema, string? description, bool writeExtensions = false)
    {
        switch (schema.Shape)
        {
            case SchemaShape.Array:
                Description(w, description);
                w.WritePropertyName("items");
                Inline(w, schema.Items);
                w.WriteString("type", "array");
                break;
            case SchemaShape.Map:
                w.WritePropertyName("additionalProperties");
                Inline(w, schema.Items);
                Description(w, description);
                w.WriteString("type", "object");
                break;
            case SchemaShape.String or SchemaShape.Integer or SchemaShape.Number or SchemaShape.Boolean:
                Description(w, description);
                if (schema.Format is { } format)
                {
                    w.WriteString("format", format);
                }

                w.WriteString("type", schema.Shape switch
                {
                    SchemaShape.String => "string",
                    SchemaShape.Integer => "integer",
                    SchemaShape.Number => "number",
                    _ => "boolean",
                });
                break;
            case SchemaShape.Object:
                // An unnamed object (a custom resource's nested schema): properties inline.
                Description(w, description);
                if (schema.Properties.Count > 0)
                {
                    w.WriteStartObject("properties");
                    foreach (var property in schema.Properties)
                    {
                        w.WritePropertyName(property.Name);
                        WriteProperty(w, property);
                    }

                    w.WriteEndObject();
                }

                w.WriteString("type", "object");
                if (schema.PreserveUnknownFields)
                {
                    w.WriteBoolean("x-kubernetes-preserve-unknown-fields", true);
                }

                break;
            default:
                // Any JSON (RawExtension, FieldsV1, JSON): upstream calls these objects.
                Description(w, description);
                w.WriteString("type", "object");
                break;
        }

        if (writeExtensions)
        {
            Extensions(w, schema);
        }
    }

    /// <summary>The schema of a list item or map value: a reference, or the node inline.</summary>
    private static void Inline(Utf8JsonWriter w, ApiSchema? schema)
    {
        w.WriteStartObject();
        if (schema?.Name is { } name)
        {
            w.WriteString("$ref", RefPrefix + name);
        }
        else if (schema is not null)
        {
            Body(w, schema, null, writeExtensions: true);
        }

        w.WriteEndObject();
    }

    private static void Kinds(Utf8JsonWriter w, ApiSchema schema)
    {
        if (schema.Kinds.Count == 0)
        {
            return;
        }

        w.WriteStartArray("x-kubernetes-group-version-kind");
        foreach (var gvk in schema.Kinds)
        {
            GroupVersionKind(w, gvk);
        }

        w.WriteEndArray();
    }

    public static void GroupVersionKind(Utf8JsonWriter w, GroupVersionKind gvk)
    {
        w.WriteStartObject();
        w.WriteString("group", gvk.Group);
        w.WriteString("kind", gvk.Kind);
        w.WriteString("version", gvk.Version);
        w.WriteEndObject();
    }

    private static void Extensions(Utf8JsonWriter w, ApiSchema schema)
    {
        foreach (var (key, value) in schema.Extensions ?? new Dictionary<string, System.Text.Json.Nodes.JsonNode>())
        {
            w.WritePropertyName(key);
            value.WriteTo(w);
        }
    }

    private static void Description(Utf8JsonWriter w, string? description)
    {
        if (!string.IsNullOrEmpty(description))
        {
            w.WriteString("description", description);
        }
    }

    private static void TypeOnly(Utf8JsonWriter w, string type)
    {
        w.WriteStartObject();
        w.WriteString("type", type);
        w.WriteEndObject();
    }
}
