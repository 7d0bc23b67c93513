using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Kubesharp.Api.Validation;

/// <summary>Upstream's ConfigMap and Secret rules (<c>ValidateConfigMap</c>, <c>ValidateSecret</c> and their updates).</summary>
internal static class ConfigValidation
{
    /// <summary>Upstream's <c>MaxSecretSize</c>, also the ConfigMap limit: 1 MiB of data.</summary>
    public const int MaxSize = 1024 * 1024;

    public static void ConfigMap(JsonObject obj, Causes causes)
    {
        var data = Json.StringMap(obj, "data");
        var binary = Json.StringMap(obj, "binaryData");
        var binaryKeys = binary.Select(p => p.Key).ToHashSet(StringComparer.Ordinal);
        long total = 0;
        foreach (var (key, value) in data)
        {
            causes.InvalidEach($"data[{key}]", key, Formats.ConfigMapKey(key));
            if (binaryKeys.Contains(key))
            {
                causes.Invalid($"data[{key}]", key, "duplicate of key present in binaryData");
            }

            total += Encoding.UTF8.GetByteCount(value);
        }

        foreach (var (key, value) in binary)
        {
            causes.InvalidEach($"binaryData[{key}]", key, Formats.ConfigMapKey(key));
            total += DecodedLength(value);
        }

        if (total > MaxSize)
        {
            // Upstream passes an empty path: the error is the whole object's.
            causes.TooLong("", MaxSize);
        }
    }

    public static void Secret(JsonObject obj, Causes causes)
    {
        var data = Json.StringMap(obj, "data");
        var decoded = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        long total = 0;
        foreach (var (key, value) in data)
        {
            causes.InvalidEach($"data[{key}]", key, Formats.ConfigMapKey(key));
            var bytes = TryDecode(value) ?? [];
            decoded[key] = bytes;
            total += bytes.Length;
        }

        // Upstream's conversion folds stringData into data before validating.
        foreach (var (key, value) in Json.StringMap(obj, "stringData"))
        {
            if (!decoded.ContainsKey(key))
            {
                causes.InvalidEach($"data[{key}]", key, Formats.ConfigMapKey(key));
            }

            var bytes = Encoding.UTF8.GetBytes(value);
            total += bytes.Length - (decoded.TryGetValue(key, out var old) ? old.Length : 0);
            decoded[key] = bytes;
        }

        if (total > MaxSize)
        {
            causes.TooLong("data", MaxSize);
        }

        switch (Json.S(obj, "type"))
        {
            case "kubernetes.io/service-account-token":
                if (Json.S(Json.Obj(Json.Obj(obj, "metadata"), "annotations"), "kubernetes.io/service-account.name").Length == 0)
                {
                    causes.Required("metadata.annotations[kubernetes.io/service-account.name]");
                }

                break;
            case "kubernetes.io/dockercfg":
                JsonKey(decoded, ".dockercfg", causes);
                break;
            case "kubernetes.io/dockerconfigjson":
                JsonKey(decoded, ".dockerconfigjson", causes);
                break;
            case "kubernetes.io/basic-auth":
                if (!decoded.ContainsKey("username") && !decoded.ContainsKey("password"))
                {
                    causes.Required("data[username]");
                    causes.Required("data[password]");
                }

                break;
            case "kubernetes.io/ssh-auth":
                if (!decoded.TryGetValue("ssh-privatekey", out var key) || key.Length == 0)
                {
                    causes.Required("data[ssh-privatekey]");
                }

                break;
            case "kubernetes.io/tls":
                foreach (var required in new[] { "tls.crt", "tls.key" })
                {
                    if (!decoded.ContainsKey(required))
                    {
                        causes.Required($"data[{required}]");
                    }
                }

                break;
        }
    }

    /// <summary>Upstream's <c>ValidateConfigMapUpdate</c> and <c>ValidateSecretUpdate</c> rules that compare with the stored object.</summary>
    public static void Update(string kind, JsonObject oldObj, JsonObject newObj, Causes causes)
    {
        if (kind == "Secret")
        {
            var oldType = Json.S(oldObj, "type");
            var newType = Json.S(newObj, "type");
            if (oldType != newType)
            {
                causes.Invalid("type", newType, "field is immutable");
            }
        }

        if (Json.Bool(oldObj, "immutable") != true)
        {
            return;
        }

        if (Json.Bool(newObj, "immutable") != true)
        {
            causes.Forbidden("immutable", "field is immutable when `immutable` is set");
        }

        if (!Json.Same(oldObj["data"], newObj["data"]) || (kind == "Secret" && Json.Obj(newObj, "stringData") is { Count: > 0 }))
        {
            causes.Forbidden("data", "field is immutable when `immutable` is set");
        }

        if (kind == "ConfigMap" && !Json.Same(oldObj["binaryData"], newObj["binaryData"]))
        {
            causes.Forbidden("binaryData", "field is immutable when `immutable` is set");
        }
    }

    private static void JsonKey(Dictionary<string, byte[]> data, string key, Causes causes)
    {
        if (!data.TryGetValue(key, out var bytes))
        {
            causes.Required($"data[{key}]");
            return;
        }

        if (JsonObjectError(bytes) is { } error)
        {
            causes.Invalid($"data[{key}]", "<secret contents redacted>", error);
        }
    }

    /// <summary>Roughly what Go's <c>json.Unmarshal</c> into a map says about bytes that are not a JSON object.</summary>
    private static string? JsonObjectError(byte[] bytes)
    {
        try
        {
            using var doc = JsonDocument.Parse(bytes);
            return doc.RootElement.ValueKind switch
            {
                JsonValueKind.Object or JsonValueKind.Null => null,
                JsonValueKind.Array => "json: cannot unmarshal array into Go value of type map[string]interface {}",
                JsonValueKind.String => "json: cannot unmarshal string into Go value of type map[string]interface {}",
                JsonValueKind.Number => "json: cannot unmarshal number into Go value of type map[string]interface {}",
                _ => "json: cannot unmarshal bool into Go value of type map[string]interface {}",
            };
        }
        catch (JsonException)
        {
            var text = Encoding.UTF8.GetString(bytes).TrimStart();
            return text.Length == 0 ? "unexpected end of JSON input" : $"invalid character '{text[0]}' looking for beginning of value";
        }
    }

    public static byte[]? TryDecode(string base64)
    {
        var buffer = new byte[(base64.Length * 3 / 4) + 3];
        return Convert.TryFromBase64String(base64, buffer, out var written) ? buffer[..written] : null;
    }

    private static long DecodedLength(string base64) => TryDecode(base64)?.Length ?? 0;
}
