using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Kubesharp.Api.Patch;

/// <summary>
/// The kinds of value Go's <c>encoding/json</c> decodes into <c>interface{}</c> when ints are preserved (as the
/// apiserver decodes patches): two values of different kinds never compare equal, and two lists or maps of
/// different kinds are "not the same type" to the strategic merge code.
/// </summary>
internal enum GoKind
{
    Null,
    Object,
    Array,
    String,
    Bool,
    Int,
    Float,
}

/// <summary>Parsing and comparing JSON the way the Go code behind each patch format does.</summary>
internal static class PatchJson
{
    // Go's decoder allows 10000 levels; recursion here is on the stack, so stay well below that. No
    // Kubernetes object comes near this depth.
    internal const int MaxDepth = 1000;

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = MaxDepth };

    /// <summary>
    /// Parses one JSON value. Duplicate member names are allowed and the last one wins, as in Go. On failure
    /// <paramref name="error"/> says why; it never throws for bad input.
    /// </summary>
    internal static bool TryParse(ReadOnlySpan<byte> utf8, out JsonNode? node, out string error)
    {
        node = null;
        error = "";
        var reader = new Utf8JsonReader(utf8, ReaderOptions);
        try
        {
            reader.Read();
            var element = JsonElement.ParseValue(ref reader);
            if (reader.Read())
            {
                error = $"invalid character after top-level value at byte {reader.TokenStartIndex}";
                return false;
            }

            node = ToNode(element);
            return true;
        }
        catch (JsonException e)
        {
            error = IsTruncated(utf8) ? "unexpected end of JSON input" : e.Message;
            return false;
        }
    }

    // Whether the input stops before its first value is complete, which Go reports in its own words.
    private static bool IsTruncated(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8, isFinalBlock: false, new JsonReaderState(ReaderOptions));
        try
        {
            while (reader.Read())
            {
                if (reader.CurrentDepth == 0 && reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray or JsonTokenType.PropertyName))
                {
                    return false;
                }
            }

            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static JsonNode? ToNode(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var obj = new JsonObject();
                foreach (var property in element.EnumerateObject())
                {
                    // The indexer replaces an earlier member of the same name: last one wins, as in Go.
                    obj[ReadString(property)] = ToNode(property.Value);
                }

                return obj;
            case JsonValueKind.Array:
                var array = new JsonArray();
                foreach (var item in element.EnumerateArray())
                {
                    array.Add(ToNode(item));
                }

                return array;
            case JsonValueKind.Null:
                return null;
            case JsonValueKind.String:
                return JsonValue.Create(ReadString(element));
            default:
                // Numbers keep their text, so that 1 and 1.0 stay different as they are to Go.
                return JsonValue.Create(element);
        }
    }

    private static string ReadString(JsonProperty property)
    {
        try
        {
            return property.Name;
        }
        catch (InvalidOperationException)
        {
            return DecodeLikeGo(JsonMarshal.GetRawUtf8PropertyName(property));
        }
    }

    private static string ReadString(JsonElement element)
    {
        try
        {
            return element.GetString()!;
        }
        catch (InvalidOperationException)
        {
            var raw = JsonMarshal.GetRawUtf8Value(element);
            return DecodeLikeGo(raw[1..^1]);
        }
    }

    // .NET refuses strings with invalid UTF-8 or an unpaired surrogate escape, which Go decodes with U+FFFD
    // in their place. `escaped` is the text between the quotes.
    private static string DecodeLikeGo(ReadOnlySpan<byte> escaped)
    {
        var text = new StringBuilder(escaped.Length);
        var run = 0;
        for (var i = 0; i < escaped.Length; i++)
        {
            if (escaped[i] != '\\')
            {
                continue;
            }

            text.Append(Encoding.UTF8.GetString(escaped[run..i]));
            var escape = (char)escaped[++i];
            if (escape == 'u')
            {
                var unit = ParseHex(escaped.Slice(i + 1, 4));
                i += 4;
                if (char.IsHighSurrogate(unit) && i + 6 < escaped.Length && escaped[i + 1] == '\\' && escaped[i + 2] == 'u' && char.IsLowSurrogate(ParseHex(escaped.Slice(i + 3, 4))))
                {
                    text.Append(unit).Append(ParseHex(escaped.Slice(i + 3, 4)));
                    i += 6;
                }
                else
                {
                    text.Append(char.IsSurrogate(unit) ? '\uFFFD' : unit);
                }
            }
            else
            {
                text.Append(escape switch { 'b' => '\b', 'f' => '\f', 'n' => '\n', 'r' => '\r', 't' => '\t', _ => escape });
            }

            run = i + 1;
        }

        return text.Append(Encoding.UTF8.GetString(escaped[run..])).ToString();

        static char ParseHex(ReadOnlySpan<byte> hex) => (char)int.Parse(Encoding.ASCII.GetString(hex), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
    }

    internal static GoKind Kind(JsonNode? node) => node switch
    {
        null => GoKind.Null,
        JsonObject => GoKind.Object,
        JsonArray => GoKind.Array,
        _ => node.GetValueKind() switch
        {
            JsonValueKind.String => GoKind.String,
            JsonValueKind.True or JsonValueKind.False => GoKind.Bool,
            JsonValueKind.Number => IsInt(node.ToJsonString()) ? GoKind.Int : GoKind.Float,
            _ => GoKind.Null,
        },
    };

    // sigs.k8s.io/json keeps a number as int64 when ParseInt accepts its text, as float64 otherwise.
    private static bool IsInt(string text) => long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _);

    /// <summary>
    /// Go's <c>==</c> on two decoded values, as the strategic merge code compares merge keys and list items:
    /// scalars equal by kind and value, objects and lists never equal.
    /// </summary>
    internal static bool ScalarEquals(JsonNode? a, JsonNode? b)
    {
        var kind = Kind(a);
        if (kind != Kind(b))
        {
            return false;
        }

        return kind switch
        {
            GoKind.Null => true,
            GoKind.String => a!.GetValue<string>() == b!.GetValue<string>(),
            GoKind.Bool => a!.GetValueKind() == b!.GetValueKind(),
            GoKind.Int => long.Parse(a!.ToJsonString(), CultureInfo.InvariantCulture) == long.Parse(b!.ToJsonString(), CultureInfo.InvariantCulture),
            GoKind.Float => double.Parse(a!.ToJsonString(), CultureInfo.InvariantCulture) == double.Parse(b!.ToJsonString(), CultureInfo.InvariantCulture),
            _ => false,
        };
    }

    /// <summary>The word Go's decoder uses for a JSON value in "cannot unmarshal X into ..." errors.</summary>
    internal static string JsonTypeWord(JsonNode? node) => Kind(node) switch
    {
        GoKind.Object => "object",
        GoKind.Array => "array",
        GoKind.String => "string",
        GoKind.Bool => "bool",
        GoKind.Null => "null",
        _ => "number",
    };

    /// <summary>Removes every member of <paramref name="obj"/> and returns them, detached, in document order.</summary>
    internal static List<KeyValuePair<string, JsonNode?>> TakeMembers(JsonObject obj)
    {
        var members = obj.ToList();
        obj.Clear();
        return members;
    }

    /// <summary>Removes every item of <paramref name="array"/> and returns them, detached.</summary>
    internal static List<JsonNode?> TakeItems(JsonArray array)
    {
        var items = array.ToList();
        array.Clear();
        return items;
    }

    /// <summary>Detaches <paramref name="node"/> from its parent, if it has one, so that it can be placed elsewhere.</summary>
    internal static JsonNode? Detach(JsonNode? node)
    {
        switch (node?.Parent)
        {
            case JsonObject parent:
                parent.Remove(node.GetPropertyName());
                break;
            case JsonArray parent:
                parent.RemoveAt(node.GetElementIndex());
                break;
        }

        return node;
    }
}
