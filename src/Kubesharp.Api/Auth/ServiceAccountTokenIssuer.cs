using System.Buffers;
using System.Text.Json;
using k8s.Models;

namespace Kubesharp.Api.Auth;

/// <summary>What a TokenRequest asks for, once the caller has validated it (expirationSeconds at least 600, the bound objects read).</summary>
/// <param name="Audiences">The token's audiences; the caller substitutes the API audiences when the request gives none, as upstream.</param>
/// <param name="ExpirationSeconds">Lifetime from now; upstream's default is 3600.</param>
/// <param name="Pod">The pod the token is bound to (and <paramref name="Node"/> the node it runs on, when known).</param>
/// <param name="Secret">The secret the token is bound to; not together with a pod or a node.</param>
/// <param name="Node">The node the token is bound to (alone), or the pod's node (with <paramref name="Pod"/>).</param>
/// <param name="WarnAfterSeconds">When non-zero, the <c>warnafter</c> claim: upstream's extended-expiration tokens (3607 s asked, one year given).</param>
public sealed record BoundTokenRequest(
    V1ServiceAccount ServiceAccount,
    IReadOnlyList<string> Audiences,
    long ExpirationSeconds = ServiceAccountTokenIssuer.DefaultExpirationSeconds,
    V1Pod? Pod = null,
    V1Secret? Secret = null,
    V1Node? Node = null,
    long WarnAfterSeconds = 0);

/// <summary>A signed token and when it expires (TokenRequest's <c>status.expirationTimestamp</c>).</summary>
public sealed record IssuedToken(string Token, DateTimeOffset ExpirationTimestamp);

/// <summary>
/// Issues service account tokens signed by <see cref="ServiceAccountKeys"/>: bound tokens for TokenRequest
/// with upstream's claims (<c>pkg/serviceaccount/claims.go</c>: aud, exp, iat, iss, jti, kubernetes.io, nbf, sub),
/// and legacy tokens for secrets of type <c>kubernetes.io/service-account-token</c> (<c>legacy.go</c>).
/// The payload's keys are sorted as go-jose writes them (it merges the claims through a Go map).
/// Thread-safe; does no validation of the request beyond refusing impossible bindings (a bug in the caller).
/// </summary>
public sealed class ServiceAccountTokenIssuer
{
    /// <summary>Upstream's issuer and API audience when neither is configured otherwise.</summary>
    public const string DefaultIssuer = "https://kubernetes.default.svc.cluster.local";
    public const long DefaultExpirationSeconds = 3600;
    public const long MinimumExpirationSeconds = 600;

    private readonly ServiceAccountKeys _keys;
    private readonly TimeProvider _time;
    private readonly Func<string> _newId;

    /// <param name="newId">The <c>jti</c> of each token; a random UUID unless a test wants a fixed one.</param>
    public ServiceAccountTokenIssuer(ServiceAccountKeys keys, TimeProvider time, string issuer = DefaultIssuer, Func<string>? newId = null)
    {
        _keys = keys;
        _time = time;
        Issuer = issuer;
        _newId = newId ?? (() => Guid.NewGuid().ToString());
    }

    public string Issuer { get; }

    public IssuedToken IssueBound(BoundTokenRequest request)
    {
        if (request.Secret is not null && (request.Pod is not null || request.Node is not null))
        {
            throw new ArgumentException("a token can only be bound to one object type", nameof(request));
        }

        var account = request.ServiceAccount.Metadata;
        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        var expiry = now + request.ExpirationSeconds;
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (request.Audiences.Count > 0)
            {
                json.WriteStartArray("aud");
                foreach (var audience in request.Audiences)
                {
                    json.WriteStringValue(audience);
                }

                json.WriteEndArray();
            }

            json.WriteNumber("exp", expiry);
            json.WriteNumber("iat", now);
            json.WriteString("iss", Issuer);
            json.WriteString("jti", _newId());
            json.WriteStartObject("kubernetes.io");
            json.WriteString("namespace", account.NamespaceProperty);
            // Upstream records the pod's node only with the pod, and a node alone as the bound object.
            if (request.Node is { } node)
            {
                WriteReference(json, "node", node.Metadata);
            }

            if (request.Pod is { } pod)
            {
                WriteReference(json, "pod", pod.Metadata);
            }

            if (request.Secret is { } secret)
            {
                WriteReference(json, "secret", secret.Metadata);
            }

            WriteReference(json, "serviceaccount", account);
            if (request.WarnAfterSeconds != 0)
            {
                json.WriteNumber("warnafter", now + request.WarnAfterSeconds);
            }

            json.WriteEndObject();
            json.WriteNumber("nbf", now);
            json.WriteString("sub", ServiceAccountNames.MakeUsername(account.NamespaceProperty, account.Name));
            json.WriteEndObject();
        }

        return new IssuedToken(CompactJws.Sign(buffer.WrittenSpan, _keys), DateTimeOffset.FromUnixTimeSeconds(expiry));
    }

    /// <summary>
    /// A token for a legacy service account token secret (the tokens controller writes it into the secret's
    /// <c>token</c> key): issuer <c>kubernetes/serviceaccount</c>, no audience, no expiry.
    /// </summary>
    public string IssueLegacy(V1ServiceAccount serviceAccount, string secretName)
    {
        var account = serviceAccount.Metadata;
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("iss", ServiceAccountClaims.LegacyIssuer);
            json.WriteString(ServiceAccountClaims.LegacyNamespaceClaim, account.NamespaceProperty);
            json.WriteString(ServiceAccountClaims.LegacySecretNameClaim, secretName);
            json.WriteString(ServiceAccountClaims.LegacyServiceAccountNameClaim, account.Name);
            json.WriteString(ServiceAccountClaims.LegacyServiceAccountUidClaim, account.Uid);
            json.WriteString("sub", ServiceAccountNames.MakeUsername(account.NamespaceProperty, account.Name));
            json.WriteEndObject();
        }

        return CompactJws.Sign(buffer.WrittenSpan, _keys);
    }

    private static void WriteReference(Utf8JsonWriter json, string name, V1ObjectMeta metadata)
    {
        // Go's omitempty: a reference without a uid is written as {"name":...}.
        json.WriteStartObject(name);
        if (!string.IsNullOrEmpty(metadata.Name))
        {
            json.WriteString("name", metadata.Name);
        }

        if (!string.IsNullOrEmpty(metadata.Uid))
        {
            json.WriteString("uid", metadata.Uid);
        }

        json.WriteEndObject();
    }
}
