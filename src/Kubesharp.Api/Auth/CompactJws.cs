using System.Buffers.Text;
using System.Text;
using System.Text.Json;

namespace Kubesharp.Api.Auth;

/// <summary>
/// The compact JWS serialisation (RFC 7515) with RS256 only, which is all service account tokens use:
/// <c>BASE64URL(header).BASE64URL(payload).BASE64URL(signature)</c>. Written by hand on purpose: a JWT library
/// would bring algorithm negotiation we must refuse anyway (<c>none</c>, HMAC with the public key).
/// </summary>
public static class CompactJws
{
    public const string Rs256 = "RS256";

    /// <summary>Signs <paramref name="payloadJson"/> with header <c>{"alg":"RS256","kid":KID}</c>, as go-jose writes it.</summary>
    public static string Sign(ReadOnlySpan<byte> payloadJson, ServiceAccountKeys keys)
    {
        var header = Encoding.UTF8.GetBytes($$"""{"alg":"{{Rs256}}","kid":"{{keys.KeyId}}"}""");
        var signingInput = Base64Url.EncodeToString(header) + "." + Base64Url.EncodeToString(payloadJson);
        var signature = keys.Sign(Encoding.ASCII.GetBytes(signingInput));
        return signingInput + "." + Base64Url.EncodeToString(signature);
    }

    /// <summary>
    /// Splits a token that has the shape of a compact JWS (three dot-separated parts, not JSON) and decodes
    /// its payload; false when it has not that shape, so that the token is left to other authenticators.
    /// Nothing is verified here.
    /// </summary>
    public static bool TrySplit(string token, out string[] parts, out byte[] payload)
    {
        payload = [];
        parts = token.Split('.');
        if (token.TrimStart().StartsWith('{') || parts.Length != 3)
        {
            return false;
        }

        var decoded = TryDecode(parts[1]);
        if (decoded is null)
        {
            return false;
        }

        payload = decoded;
        return true;
    }

    /// <summary>
    /// Checks the header and the signature of a split token against <paramref name="keys"/>. Returns null
    /// when the token is signed by that key with RS256, otherwise why not.
    /// </summary>
    public static string? Verify(string[] parts, ServiceAccountKeys keys)
    {
        var headerBytes = TryDecode(parts[0]);
        if (headerBytes is null)
        {
            return "malformed token header: not base64url";
        }

        string? alg = null;
        string? kid = null;
        try
        {
            using var header = JsonDocument.Parse(headerBytes);
            if (header.RootElement.ValueKind != JsonValueKind.Object)
            {
                return "malformed token header: not a JSON object";
            }

            foreach (var property in header.RootElement.EnumerateObject())
            {
                switch (property.Name)
                {
                    case "alg" when property.Value.ValueKind == JsonValueKind.String:
                        alg = property.Value.GetString();
                        break;
                    case "kid" when property.Value.ValueKind == JsonValueKind.String:
                        kid = property.Value.GetString();
                        break;
                    case "alg" or "kid":
                        return $"malformed token header: \"{property.Name}\" is not a string";
                    case "crit":
                        // go-jose refuses critical extensions it does not know, and it knows none we use.
                        return "unsupported critical header in token";
                }
            }
        }
        catch (JsonException)
        {
            return "malformed token header: not JSON";
        }

        if (alg != Rs256)
        {
            return $"unsupported signing algorithm \"{alg}\": only {Rs256} is accepted";
        }

        // Upstream picks the verification keys by kid and tries every key when the token has none.
        if (!string.IsNullOrEmpty(kid) && kid != keys.KeyId)
        {
            return "invalid signature, no keys found";
        }

        var signature = TryDecode(parts[2]);
        if (signature is null)
        {
            return "malformed token signature: not base64url";
        }

        return keys.Verify(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), signature) ? null : "invalid signature";
    }

    private static byte[]? TryDecode(string part)
    {
        // Raw base64url only: no padding, no standard-alphabet characters, no whitespace.
        foreach (var c in part)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '-' || c == '_'))
            {
                return null;
            }
        }

        if (part.Length % 4 == 1)
        {
            return null;
        }

        try
        {
            return Base64Url.DecodeFromChars(part);
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
