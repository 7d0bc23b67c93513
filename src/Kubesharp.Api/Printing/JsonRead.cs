using System.Globalization;
using System.Text.Json;

namespace Kubesharp.Api.Printing;

/// <summary>
/// Tolerant readers over a stored object's JSON. A missing field, a JSON null, or a value of the wrong
/// JSON type all read as absent, and absent reads as Go's zero value (<c>""</c>, <c>0</c>,
/// <c>false</c>, no items): what upstream's typed decoding hands its printers. Readers never throw.
/// </summary>
internal static class JsonRead
{
    /// <summary>The value at <paramref name="path"/>, or null when any step is missing, null, or not an object.</summary>
    public static JsonElement? At(this JsonElement e, params ReadOnlySpan<string> path)
    {
        var current = e;
        foreach (var name in path)
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(name, out var next) || next.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            current = next;
        }

        return current;
    }

    /// <summary>The object at <paramref name="path"/>: Go's non-nil pointer to a struct.</summary>
    public static JsonElement? Obj(this JsonElement e, params ReadOnlySpan<string> path) =>
        e.At(path) is { ValueKind: JsonValueKind.Object } v ? v : null;

    public static bool Has(this JsonElement e, params ReadOnlySpan<string> path) => e.At(path) is not null;

    public static string Str(this JsonElement e, params ReadOnlySpan<string> path) =>
        e.At(path) is { ValueKind: JsonValueKind.String } v ? v.GetString()! : "";

    /// <summary>The string at <paramref name="path"/>, or null when absent: Go's <c>*string</c>.</summary>
    public static string? StrOrNull(this JsonElement e, params ReadOnlySpan<string> path) =>
        e.At(path) is { ValueKind: JsonValueKind.String } v ? v.GetString() : null;

    public static long Int(this JsonElement e, params ReadOnlySpan<string> path) =>
        e.At(path) is { ValueKind: JsonValueKind.Number } v && v.TryGetInt64(out var n) ? n : 0;

    /// <summary>The integer at <paramref name="path"/>, or null when absent: Go's <c>*int32</c>.</summary>
    public static long? IntOrNull(this JsonElement e, params ReadOnlySpan<string> path) =>
        e.At(path) is { ValueKind: JsonValueKind.Number } v && v.TryGetInt64(out var n) ? n : null;

    public static bool Bool(this JsonElement e, params ReadOnlySpan<string> path) =>
        e.At(path) is { ValueKind: JsonValueKind.True };

    /// <summary>The boolean at <paramref name="path"/>, or null when absent: Go's <c>*bool</c>.</summary>
    public static bool? BoolOrNull(this JsonElement e, params ReadOnlySpan<string> path) =>
        e.At(path) switch
        {
            { ValueKind: JsonValueKind.True } => true,
            { ValueKind: JsonValueKind.False } => false,
            _ => null,
        };

    /// <summary>The items of the array at <paramref name="path"/>; none when it is absent or not an array.</summary>
    public static IReadOnlyList<JsonElement> Items(this JsonElement e, params ReadOnlySpan<string> path) =>
        e.At(path) is { ValueKind: JsonValueKind.Array } v ? [.. v.EnumerateArray()] : [];

    /// <summary>The properties of the object at <paramref name="path"/>: Go's map.</summary>
    public static IReadOnlyList<JsonProperty> Props(this JsonElement e, params ReadOnlySpan<string> path) =>
        e.At(path) is { ValueKind: JsonValueKind.Object } v ? [.. v.EnumerateObject()] : [];

    /// <summary>The string-valued properties of a map such as labels or a selector, as Go decodes a <c>map[string]string</c>.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> StringMap(this JsonElement e, params ReadOnlySpan<string> path) =>
        [.. e.Props(path).Select(p => KeyValuePair.Create(p.Name, p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : ""))];

    /// <summary>
    /// The timestamp at <paramref name="path"/> (RFC 3339, with or without fractional seconds), or null
    /// when it is absent, unparseable, or Go's zero time: the cases upstream prints as <c>&lt;unknown&gt;</c>.
    /// </summary>
    public static DateTimeOffset? Time(this JsonElement e, params ReadOnlySpan<string> path)
    {
        if (e.At(path) is not { ValueKind: JsonValueKind.String } v
            || !DateTimeOffset.TryParse(v.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t))
        {
            return null;
        }

        return t.UtcDateTime == DateTime.MinValue ? null : t;
    }
}
