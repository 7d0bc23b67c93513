using System.Text.Json;
using System.Text.Json.Nodes;

namespace Kubesharp.Controllers.Common;

/// <summary>
/// The canonical text the controllers hash templates and revisions by: keys sorted, empty objects, arrays and nulls
/// dropped (as Go's <c>omitempty</c> would leave them out), array elements kept in place even when empty.
/// </summary>
internal static class CanonicalJson
{
    private static readonly JsonSerializerOptions Compact = new() { WriteIndented = false };

    /// <summary>The canonical text of <paramref name="node"/>, "null" when nothing is left.</summary>
    public static string Text(JsonNode? node) => Normalize(node)?.ToJsonString(Compact) ?? "null";

    public static JsonNode? Normalize(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                var result = new JsonObject();
                foreach (var (key, value) in obj.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    if (Normalize(value) is { } normalized)
                    {
                        result[key] = normalized;
                    }
                }

                return result.Count == 0 ? null : result;
            case JsonArray array:
                var items = new JsonArray();
                foreach (var item in array)
                {
                    // Elements keep their place even when empty: [{}, x] is not [x].
                    items.Add(Normalize(item) ?? new JsonObject());
                }

                return items.Count == 0 ? null : items;
            case null:
                return null;
            default:
                return node.DeepClone();
        }
    }
}
