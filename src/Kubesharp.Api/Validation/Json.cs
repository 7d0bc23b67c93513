using System.Text.Json;
using System.Text.Json.Nodes;

namespace Kubesharp.Api.Validation;

/// <summary>
/// Tolerant reads of a JSON tree as upstream's typed decoding sees it: absent, null or of another JSON type
/// reads as absent (Go's nil or zero value). Never throws.
/// </summary>
internal static class Json
{
    public static JsonObject? Obj(JsonNode? node, string name) => node is JsonObject o ? o[name] as JsonObject : null;

    public static JsonArray? Arr(JsonNode? node, string name) => node is JsonObject o ? o[name] as JsonArray : null;

    /// <summary>The items of an array that are objects, with their index.</summary>
    public static IEnumerable<(int Index, JsonObject Item)> Items(JsonNode? node, string name)
    {
        if (Arr(node, name) is not { } array)
        {
            yield break;
        }

        for (var i = 0; i < array.Count; i++)
        {
            yield return (i, array[i] as JsonObject ?? []);
        }
    }

    /// <summary>The string at <paramref name="name"/>, or null: Go's <c>*string</c>.</summary>
    public static string? Str(JsonNode? node, string name) =>
        node is JsonObject o && o[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    /// <summary>The string at <paramref name="name"/>, or <c>""</c>: Go's <c>string</c>.</summary>
    public static string S(JsonNode? node, string name) => Str(node, name) ?? "";

    /// <summary>The integer at <paramref name="name"/>, or null: Go's <c>*int32</c>/<c>*int64</c>.</summary>
    public static long? Int(JsonNode? node, string name) =>
        node is JsonObject o ? Integer(o[name]) : null;

    /// <summary>An integral JSON number as Go decodes it into an int; whatever the node's backing type (parsed or built).</summary>
    public static long? Integer(JsonNode? node)
    {
        if (node is not JsonValue v || v.GetValueKind() != JsonValueKind.Number)
        {
            return null;
        }

        if (v.TryGetValue<long>(out var l))
        {
            return l;
        }

        if (v.TryGetValue<int>(out var i))
        {
            return i;
        }

        return v.TryGetValue<double>(out var d) && d == Math.Floor(d) && Math.Abs(d) < 9.2e18 ? (long)d : null;
    }

    /// <summary>The boolean at <paramref name="name"/>, or null: Go's <c>*bool</c>.</summary>
    public static bool? Bool(JsonNode? node, string name) =>
        node is JsonObject o && o[name] is JsonValue v ? v.GetValueKind() switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => null,
        } : null;

    public static bool Has(JsonNode? node, string name) => node is JsonObject o && o[name] is not null;

    /// <summary>The string entries of a <c>map[string]string</c> such as labels, in document order.</summary>
    public static List<KeyValuePair<string, string>> StringMap(JsonNode? node, string name)
    {
        var result = new List<KeyValuePair<string, string>>();
        if (Obj(node, name) is { } map)
        {
            foreach (var (key, value) in map)
            {
                result.Add(new(key, value is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : value?.ToJsonString() ?? ""));
            }
        }

        return result;
    }

    /// <summary>The strings of a <c>[]string</c>.</summary>
    public static List<string> Strings(JsonNode? node, string name) =>
        Arr(node, name) is { } array ? [.. array.Select(i => i is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : "")] : [];

    /// <summary>An IntOrString as Go decodes it: an integer, or a string.</summary>
    public static (long? Int, string? Str) IntOrString(JsonNode? node, string name)
    {
        if (node is not JsonObject o || o[name] is not JsonValue v)
        {
            return (null, null);
        }

        return v.GetValueKind() == JsonValueKind.String ? (null, v.GetValue<string>()) : (Integer(v), null);
    }

    /// <summary>JSON equality where an absent field and a null are the same, as Go's deep equality of decoded structs sees them.</summary>
    public static bool Same(JsonNode? a, JsonNode? b) => JsonNode.DeepEquals(Prune(a), Prune(b));

    /// <summary>A copy without null members, empty objects or empty arrays: the JSON forms Go decodes to nil.</summary>
    public static JsonNode? Prune(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                var copy = new JsonObject();
                foreach (var (key, value) in o)
                {
                    if (Prune(value) is { } pruned)
                    {
                        copy[key] = pruned;
                    }
                }

                return copy.Count == 0 ? null : copy;
            case JsonArray a:
                return a.Count == 0 ? null : new JsonArray([.. a.Select(Prune)]);
            default:
                return node?.DeepClone();
        }
    }
}
