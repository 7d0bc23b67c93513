using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Kubesharp.Api.Auth;

namespace Kubesharp.ApiServer.Tests.Auth.Authentication;

/// <summary>Signing keys shared by the token tests (RSA-2048 generation is slow), and helpers to forge tokens.</summary>
internal static class TestKeys
{
    public static ServiceAccountKeys Primary { get; } = ServiceAccountKeys.FromKey(RSA.Create(2048));

    /// <summary>A key the API server does not know: tokens it signs come from an attacker.</summary>
    public static RSA Attacker { get; } = RSA.Create(2048);

    public static ServiceAccountKeys AttackerKeys { get; } = ServiceAccountKeys.FromKey(Attacker);

    public static string Encode(string json) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(json));

    public static string Decode(string part) => Encoding.UTF8.GetString(Base64Url.DecodeFromChars(part));

    /// <summary>A compact JWS with any header, signed RS256 by <paramref name="key"/>.</summary>
    public static string Forge(string headerJson, string payloadJson, RSA key)
    {
        var input = Encode(headerJson) + "." + Encode(payloadJson);
        var signature = key.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return input + "." + Base64Url.EncodeToString(signature);
    }
}
