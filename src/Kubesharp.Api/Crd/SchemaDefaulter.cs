using System.Text.Json.Nodes;

namespace Kubesharp.Api.Crd;

/// <summary>
/// Upstream's structural defaulting (<c>apiserver/schema/defaulting</c>): a property that is absent, or null
/// while not nullable, takes its schema's <c>default</c>; then nulls that are neither nullable nor defaulted are
/// dropped. Works in place. Stateless and thread-safe.
/// </summary>
public static class SchemaDefaulter
{
    /// <summary>Applies the defaults of <paramref name="schema"/> to <paramref name="value"/>, recursively.</summary>
    public static void Default(JsonNode? value, CrdSchema? schema)
    {
        if (schema is null)
        {
            return;
        }

        switch (value)
        {
            case JsonObject obj:
                foreach (var (key, property) in schema.Properties)
                {
                    if (property.Default is null)
                    {
                        continue;
                    }

                    if (!obj.TryGetPropertyValue(key, out var current) || IsNonNullableNull(current, property))
                    {
                        obj[key] = property.Default.DeepClone();
                    }
                }

                foreach (var key in obj.Select(p => p.Key).ToList())
                {
                    if (schema.Property(key) is { } property)
                    {
                        Default(obj[key], property);
                    }
                    else if (schema.AdditionalProperties is { } additional)
                    {
                        if (IsNonNullableNull(obj[key], additional) && additional.Default is { } d)
                        {
                            obj[key] = d.DeepClone();
                        }

                        Default(obj[key], additional);
                    }
                }

                break;
            case JsonArray array when schema.Items is { } items:
                for (var i = 0; i < array.Count; i++)
                {
                    if (IsNonNullableNull(array[i], items) && items.Default is { } d)
                    {
                        array[i] = d.DeepClone();
                    }

                    Default(array[i], items);
                }

                break;
        }
    }

    /// <summary>Upstream's <c>PruneNonNullableNullsWithoutDefaults</c>: drops object fields that are null though neither nullable nor defaulted.</summary>
    public static void PruneNonNullableNulls(JsonNode? value, CrdSchema? schema)
    {
        switch (value)
        {
            case JsonObject obj:
                foreach (var key in obj.Select(p => p.Key).ToList())
                {
                    var field = schema?.Property(key) ?? schema?.AdditionalProperties;
                    if (obj[key] is null && field is { Nullable: false, Default: null })
                    {
                        obj.Remove(key);
                    }
                    else
                    {
                        PruneNonNullableNulls(obj[key], field);
                    }
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    PruneNonNullableNulls(item, schema?.Items);
                }

                break;
        }
    }

    private static bool IsNonNullableNull(JsonNode? value, CrdSchema schema) => value is null && !schema.Nullable;
}
