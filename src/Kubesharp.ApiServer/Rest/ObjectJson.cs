using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kubesharp.Api.Errors;
using Kubesharp.Api.Resources;

namespace Kubesharp.ApiServer.Rest;

/// <summary>Object metadata handling on JSON trees: parsing bodies, stamping and checking metadata.</summary>
internal static class ObjectJson
{
    /// <summary>Largest request body accepted, as upstream (3 MiB).</summary>
    public const int MaxBodyBytes = 3 * 1024 * 1024;

    public static JsonObject ParseObject(ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty)
        {
            throw StatusException.BadRequest("the request body is empty");
        }

        try
        {
            return JsonNode.Parse(body, documentOptions: new JsonDocumentOptions { MaxDepth = 256 }) as JsonObject
                ?? throw StatusException.BadRequest("the request body must be a JSON object");
        }
        catch (JsonException e)
        {
            throw StatusException.BadRequest($"the request body is not valid JSON: {e.Message}");
        }
    }

    public static JsonObject Metadata(JsonObject obj)
    {
        if (obj["metadata"] is JsonObject metadata)
        {
            return metadata;
        }

        var created = new JsonObject();
        obj["metadata"] = created;
        return created;
    }

    public static string? String(JsonObject? obj, string property) =>
        obj?[property] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    /// <summary>The object as stored: no resourceVersion (the store's mod revision is the truth).</summary>
    public static byte[] ToStorage(JsonObject obj)
    {
        Metadata(obj).Remove("resourceVersion");
        return JsonSerializer.SerializeToUtf8Bytes(obj);
    }

    /// <summary>A stored object as clients see it: with metadata.resourceVersion set to its mod revision.</summary>
    public static JsonObject FromStorage(byte[] value, long modRevision)
    {
        var obj = (JsonObject)JsonNode.Parse(value)!;
        Metadata(obj)["resourceVersion"] = modRevision.ToString(CultureInfo.InvariantCulture);
        return obj;
    }

    public static byte[] Serialize(JsonNode node) => JsonSerializer.SerializeToUtf8Bytes(node);

    /// <summary>
    /// A stored object as clients see it, as bytes: the stored JSON with <c>"resourceVersion":"N"</c>
    /// spliced in as the last field of <c>metadata</c>. One forward pass of a reader to find the end of
    /// <c>metadata</c>, then one copy: no tree is built (the hot path of lists and watches).
    /// </summary>
    public static byte[] WithResourceVersion(byte[] stored, long modRevision)
    {
        var reader = new Utf8JsonReader(stored);
        reader.Read(); // the top-level StartObject
        int insertAt = -1;
        var empty = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isMetadata = reader.ValueTextEquals("metadata"u8);
            reader.Read();
            if (isMetadata && reader.TokenType == JsonTokenType.StartObject)
            {
                var start = reader.TokenStartIndex;
                reader.Skip();
                insertAt = (int)reader.TokenStartIndex; // the metadata object's closing brace
                empty = insertAt == start + 1;
                break;
            }

            reader.Skip();
        }

        var rv = System.Text.Encoding.UTF8.GetBytes(modRevision.ToString(CultureInfo.InvariantCulture));
        if (insertAt < 0)
        {
            // No metadata at all: add it before the object's closing brace.
            var close = Array.LastIndexOf(stored, (byte)'}');
            return [.. stored.AsSpan(0, close), .. ",\"metadata\":{\"resourceVersion\":\""u8, .. rv, .. "\"}"u8, .. stored.AsSpan(close)];
        }

        return [.. stored.AsSpan(0, insertAt), .. (empty ? "\"resourceVersion\":\""u8 : ",\"resourceVersion\":\""u8), .. rv, .. "\""u8, .. stored.AsSpan(insertAt)];
    }

    /// <summary>RFC 3339 in whole seconds, as upstream's metav1.Time.</summary>
    public static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>Checks apiVersion and kind against the URL's resource, filling them when absent.</summary>
    public static void CheckTypeMeta(JsonObject obj, ResourceInfo resource, string expectedKind, string expectedApiVersion)
    {
        var kind = String(obj, "kind");
        var apiVersion = String(obj, "apiVersion");
        if (kind is not null && kind != expectedKind || apiVersion is not null && apiVersion != expectedApiVersion)
        {
            throw StatusException.BadRequest($"the API version in the data ({apiVersion}) does not match the expected API version ({expectedApiVersion})"
                + (kind is not null && kind != expectedKind ? $" or kind {kind} is not {expectedKind} for {resource.Plural}" : ""));
        }

        obj["kind"] = expectedKind;
        obj["apiVersion"] = expectedApiVersion;
    }

    /// <summary>Upstream's generateName suffix: five characters from a consonant-and-digit alphabet.</summary>
    public static string GenerateName(string prefix)
    {
        const string Alphabet = "bcdfghjklmnpqrstvwxz2456789";
        Span<char> suffix = stackalloc char[5];
        for (var i = 0; i < suffix.Length; i++)
        {
            suffix[i] = Alphabet[Random.Shared.Next(Alphabet.Length)];
        }

        return (prefix.Length > 58 ? prefix[..58] : prefix) + new string(suffix);
    }
}
