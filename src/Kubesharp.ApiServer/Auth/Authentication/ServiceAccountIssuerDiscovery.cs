using System.Buffers;
using System.Text.Json;
using Kubesharp.Api.Auth;

namespace Kubesharp.ApiServer.Auth.Authentication;

/// <summary>
/// The bodies of the service account issuer discovery endpoints (upstream's <c>pkg/serviceaccount/openidmetadata.go</c>):
/// <c>/.well-known/openid-configuration</c> and <c>/openid/v1/jwks</c>. Built once (the key does not change while
/// the server runs); the router serves them to anyone allowed by RBAC (<c>system:service-account-issuer-discovery</c>)
/// with <see cref="CacheControl"/>.
/// </summary>
internal sealed class ServiceAccountIssuerDiscovery
{
    public const string ConfigurationPath = "/.well-known/openid-configuration";
    public const string JwksPath = "/openid/v1/jwks";
    public const string ConfigurationContentType = "application/json";
    public const string JwksContentType = "application/jwk-set+json";
    public const string CacheControl = "public, max-age=3600";

    /// <param name="issuer">The issuer tokens carry (<c>--service-account-issuer</c>).</param>
    /// <param name="jwksUri">Where relying parties fetch the keys (<c>--service-account-jwks-uri</c>); upstream's default is
    /// <c>https://&lt;external address&gt;/openid/v1/jwks</c>, see <see cref="DefaultJwksUri"/>.</param>
    public ServiceAccountIssuerDiscovery(ServiceAccountKeys keys, string issuer, string jwksUri)
    {
        OpenIdConfiguration = Write(json =>
        {
            json.WriteStartObject();
            json.WriteString("issuer", issuer);
            json.WriteString("jwks_uri", jwksUri);
            json.WriteStartArray("response_types_supported");
            json.WriteStringValue("id_token");
            json.WriteEndArray();
            json.WriteStartArray("subject_types_supported");
            json.WriteStringValue("public");
            json.WriteEndArray();
            json.WriteStartArray("id_token_signing_alg_values_supported");
            json.WriteStringValue(CompactJws.Rs256);
            json.WriteEndArray();
            json.WriteEndObject();
        });
        Jwks = Write(json =>
        {
            json.WriteStartObject();
            json.WriteStartArray("keys");
            keys.WriteJwk(json);
            json.WriteEndArray();
            json.WriteEndObject();
        });
    }

    public byte[] OpenIdConfiguration { get; }

    public byte[] Jwks { get; }

    /// <summary>Upstream's default JWKS URI: the API server's external <c>host:port</c> with <see cref="JwksPath"/>.</summary>
    public static string DefaultJwksUri(string externalHostPort) => $"https://{externalHostPort}{JwksPath}";

    private static byte[] Write(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            write(json);
        }

        return buffer.WrittenSpan.ToArray();
    }
}
