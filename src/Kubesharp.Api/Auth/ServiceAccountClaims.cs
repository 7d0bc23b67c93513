using System.Text.Json;

namespace Kubesharp.Api.Auth;

/// <summary>An object a token is bound to, as the <c>{"name","uid"}</c> references in the <c>kubernetes.io</c> claim.</summary>
public sealed record ObjectReferenceClaim(string Name, string Uid);

/// <summary>
/// The claims of a service account token, read from its (already verified) payload. Bound tokens
/// (TokenRequest) carry the registered claims and the private <c>kubernetes.io</c> claim; legacy secret
/// tokens carry <c>kubernetes.io/serviceaccount/*</c> claims and no time claims. Absent claims are null.
/// </summary>
public sealed record ServiceAccountClaims
{
    public const string LegacyIssuer = "kubernetes/serviceaccount";
    public const string LegacyNamespaceClaim = "kubernetes.io/serviceaccount/namespace";
    public const string LegacySecretNameClaim = "kubernetes.io/serviceaccount/secret.name";
    public const string LegacyServiceAccountNameClaim = "kubernetes.io/serviceaccount/service-account.name";
    public const string LegacyServiceAccountUidClaim = "kubernetes.io/serviceaccount/service-account.uid";

    public string? Issuer { get; init; }

    public string? Subject { get; init; }

    public IReadOnlyList<string> Audiences { get; init; } = [];

    public long? Expiry { get; init; }

    public long? NotBefore { get; init; }

    public long? IssuedAt { get; init; }

    public string? Id { get; init; }

    /// <summary>The <c>kubernetes.io</c> claim's namespace (bound tokens).</summary>
    public string? Namespace { get; init; }

    public ObjectReferenceClaim? ServiceAccount { get; init; }

    public ObjectReferenceClaim? Pod { get; init; }

    public ObjectReferenceClaim? Secret { get; init; }

    public ObjectReferenceClaim? Node { get; init; }

    public string? LegacyNamespace { get; init; }

    public string? LegacySecretName { get; init; }

    public string? LegacyServiceAccountName { get; init; }

    public string? LegacyServiceAccountUid { get; init; }

    /// <summary>Reads only the <c>iss</c> claim of an unverified payload: which authenticator the token is for.</summary>
    public static string? PeekIssuer(byte[] payload)
    {
        try
        {
            using var document = JsonDocument.Parse(payload);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("iss", out var iss)
                && iss.ValueKind == JsonValueKind.String ? iss.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// Parses a payload; null with <paramref name="error"/> when a claim has the wrong JSON type (go-jose's
    /// unmarshalling refuses those). Unknown claims are ignored.
    /// </summary>
    public static ServiceAccountClaims? Parse(byte[] payload, out string? error)
    {
        error = null;
        try
        {
            using var document = JsonDocument.Parse(payload);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = "token payload is not a JSON object";
                return null;
            }

            var kubernetes = root.TryGetProperty("kubernetes.io", out var k) && k.ValueKind != JsonValueKind.Null ? k : (JsonElement?)null;
            if (kubernetes is { ValueKind: not JsonValueKind.Object })
            {
                error = "claim \"kubernetes.io\" is not an object";
                return null;
            }

            return new ServiceAccountClaims
            {
                Issuer = String(root, "iss"),
                Subject = String(root, "sub"),
                Audiences = Audience(root),
                Expiry = NumericDate(root, "exp"),
                NotBefore = NumericDate(root, "nbf"),
                IssuedAt = NumericDate(root, "iat"),
                Id = String(root, "jti"),
                Namespace = kubernetes is { } ns ? String(ns, "namespace") : null,
                ServiceAccount = kubernetes is { } sa ? Reference(sa, "serviceaccount") : null,
                Pod = kubernetes is { } pod ? Reference(pod, "pod") : null,
                Secret = kubernetes is { } secret ? Reference(secret, "secret") : null,
                Node = kubernetes is { } node ? Reference(node, "node") : null,
                LegacyNamespace = String(root, LegacyNamespaceClaim),
                LegacySecretName = String(root, LegacySecretNameClaim),
                LegacyServiceAccountName = String(root, LegacyServiceAccountNameClaim),
                LegacyServiceAccountUid = String(root, LegacyServiceAccountUidClaim),
            };
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            error = "malformed token claims: " + e.Message;
            return null;
        }
    }

    private static string? String(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var value) switch
        {
            false => null,
            true when value.ValueKind == JsonValueKind.Null => null,
            true when value.ValueKind == JsonValueKind.String => value.GetString(),
            _ => throw new FormatException($"claim \"{name}\" is not a string"),
        };

    // go-jose's NumericDate reads any JSON number and truncates it to whole seconds.
    private static long? NumericDate(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var value) switch
        {
            false => null,
            true when value.ValueKind == JsonValueKind.Null => null,
            true when value.ValueKind == JsonValueKind.Number => value.TryGetInt64(out var whole) ? whole : (long)Math.Truncate(value.GetDouble()),
            _ => throw new FormatException($"claim \"{name}\" is not a number"),
        };

    // RFC 7519: "aud" is a string or an array of strings.
    private static IReadOnlyList<string> Audience(JsonElement root)
    {
        if (!root.TryGetProperty("aud", out var aud) || aud.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        return aud.ValueKind switch
        {
            JsonValueKind.String => [aud.GetString()!],
            JsonValueKind.Array => [.. aud.EnumerateArray().Select(a => a.ValueKind == JsonValueKind.String ? a.GetString()! : throw new FormatException("claim \"aud\" holds a value that is not a string"))],
            _ => throw new FormatException("claim \"aud\" is neither a string nor an array"),
        };
    }

    private static ObjectReferenceClaim? Reference(JsonElement kubernetes, string name)
    {
        if (!kubernetes.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException($"claim \"kubernetes.io\".\"{name}\" is not an object");
        }

        return new ObjectReferenceClaim(String(value, "name") ?? "", String(value, "uid") ?? "");
    }
}
