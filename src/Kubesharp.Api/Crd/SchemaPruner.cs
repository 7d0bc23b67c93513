using System.Text;
using System.Text.Json.Nodes;

namespace Kubesharp.Api.Crd;

/// <summary>
/// Upstream's pruning of unknown fields (<c>apiserver/schema/pruning</c>): every field a structural schema does
/// not specify is removed, unless <c>x-kubernetes-preserve-unknown-fields</c> keeps it; at the root of an object
/// and of an embedded resource, <c>apiVersion</c>, <c>kind</c> and <c>metadata</c> are left alone (metadata is
/// pruned to ObjectMeta by <see cref="ObjectMetaCoercion"/>). Works in place. Stateless and thread-safe.
/// </summary>
public static class SchemaPruner
{
    private static readonly HashSet<string> MetaFields = new(StringComparer.Ordinal) { "apiVersion", "kind", "metadata" };

    /// <summary>
    /// Prunes <paramref name="value"/> in place and returns the paths of the fields it removed, sorted, in
    /// upstream's form (<c>spec.foo</c>, <c>spec.items[0].bar</c>): what <c>fieldValidation=Strict|Warn</c> reports.
    /// </summary>
    /// <param name="isResourceRoot">True for a whole object: its root is treated as an embedded resource.</param>
    public static List<string> Prune(JsonNode? value, CrdSchema? schema, bool isResourceRoot)
    {
        var unknown = new List<string>();
        var path = new StringBuilder();
        if (isResourceRoot && schema is null)
        {
            PruneObjectWithoutSchema(value, embedded: true, path, unknown);
        }
        else
        {
            Prune(value, schema, isResourceRoot || schema?.XEmbeddedResource == true, path, unknown);
        }

        unknown.Sort(StringComparer.Ordinal);
        return unknown;
    }

    // A resource root without schema: only its meta fields survive.
    private static void PruneObjectWithoutSchema(JsonNode? value, bool embedded, StringBuilder path, List<string> unknown)
    {
        if (value is JsonObject obj)
        {
            foreach (var key in obj.Select(p => p.Key).ToList())
            {
                if (!(embedded && MetaFields.Contains(key)))
                {
                    Record(path, key, unknown);
                    obj.Remove(key);
                }
            }
        }
    }

    private static void Prune(JsonNode? value, CrdSchema? s, bool embedded, StringBuilder path, List<string> unknown)
    {
        if (s is { PreservesUnknownFields: true })
        {
            SkipPrune(value, s, embedded, path, unknown);
            return;
        }

        var mark = path.Length;
        switch (value)
        {
            case JsonObject obj:
                foreach (var key in obj.Select(p => p.Key).ToList())
                {
                    if (s is not null && embedded && MetaFields.Contains(key))
                    {
                        continue;
                    }

                    if (s?.Property(key) is { } property)
                    {
                        AppendKey(path, key);
                        Prune(obj[key], property, property.XEmbeddedResource, path, unknown);
                        path.Length = mark;
                    }
                    else if (s is { HasAdditionalProperties: true })
                    {
                        AppendKey(path, key);
                        Prune(obj[key], s.AdditionalProperties, s.AdditionalProperties?.XEmbeddedResource == true, path, unknown);
                        path.Length = mark;
                    }
                    else
                    {
                        Record(path, key, unknown);
                        obj.Remove(key);
                    }
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    path.Append('[').Append(i).Append(']');
                    Prune(array[i], s?.Items, s?.Items?.XEmbeddedResource == true, path, unknown);
                    path.Length = mark;
                }

                break;
        }
    }

    // Under x-kubernetes-preserve-unknown-fields unknown fields stay, but specified ones are still pruned inside.
    private static void SkipPrune(JsonNode? value, CrdSchema s, bool embedded, StringBuilder path, List<string> unknown)
    {
        var mark = path.Length;
        switch (value)
        {
            case JsonObject obj:
                foreach (var key in obj.Select(p => p.Key).ToList())
                {
                    if (embedded && MetaFields.Contains(key))
                    {
                        continue;
                    }

                    if (s.Property(key) is { } property)
                    {
                        AppendKey(path, key);
                        Prune(obj[key], property, property.XEmbeddedResource, path, unknown);
                        path.Length = mark;
                    }
                    else if (s.HasAdditionalProperties)
                    {
                        AppendKey(path, key);
                        Prune(obj[key], s.AdditionalProperties, s.AdditionalProperties?.XEmbeddedResource == true, path, unknown);
                        path.Length = mark;
                    }
                }

                break;
            case JsonArray array when s.Items is { } items:
                for (var i = 0; i < array.Count; i++)
                {
                    path.Append('[').Append(i).Append(']');
                    SkipPrune(array[i], items, items.XEmbeddedResource, path, unknown);
                    path.Length = mark;
                }

                break;
        }
    }

    private static void AppendKey(StringBuilder path, string key)
    {
        if (path.Length > 0)
        {
            path.Append('.');
        }

        path.Append(key);
    }

    private static void Record(StringBuilder path, string key, List<string> unknown) =>
        unknown.Add(path.Length > 0 ? $"{path}.{key}" : key);
}
