using System.Security.Cryptography;
using System.Text;
using k8s.Models;
using Kubesharp.Api.Auth;

namespace Kubesharp.ApiServer.Auth.Authentication;

/// <summary>
/// Service account bearer tokens, as upstream's <c>pkg/serviceaccount</c> JWT authenticator with its two
/// validators: bound tokens (issuer <see cref="Issuer"/>, TokenRequest) and legacy secret tokens (issuer
/// <c>kubernetes/serviceaccount</c>).
/// <list type="bullet">
/// <item>NotApplicable: no bearer token, or one that is not a compact JWS whose unverified <c>iss</c> is one of those two issuers.</item>
/// <item>Failure: our issuer but a bad header, an algorithm other than RS256, a foreign <c>kid</c>, a bad signature,
/// no audience in common with the request's, outside its validity (60 s leeway, as go-jose), or an account, pod,
/// secret or node that is gone, being deleted, or has another uid; for legacy tokens also a secret whose
/// <c>token</c> is not this token.</item>
/// <item>Success: user <c>system:serviceaccount:NS:NAME</c> with the account's uid, groups <c>system:serviceaccounts</c>
/// and <c>system:serviceaccounts:NS</c>, the extras of the binding, and the audiences the token was accepted for.</item>
/// </list>
/// Reads through <see cref="IAuthObjectReader"/> on every call (no cache of results). Thread-safe.
/// </summary>
internal sealed class ServiceAccountTokenAuthenticator : IAuthenticator
{
    // go-jose's jwt.DefaultLeeway, which upstream also uses for "deleted long enough ago".
    private static readonly TimeSpan Leeway = TimeSpan.FromMinutes(1);

    private readonly ServiceAccountKeys _keys;
    private readonly IAuthObjectReader _reader;
    private readonly TimeProvider _time;
    private readonly IReadOnlyList<string> _apiAudiences;

    /// <param name="issuer">The bound tokens' issuer (<c>--service-account-issuer</c>); legacy tokens are always accepted besides.</param>
    /// <param name="apiAudiences">The API server's audiences (<c>--api-audiences</c>, by default the issuer): a token must name one of them,
    /// unless the request asks for its own (<see cref="AuthenticationRequest.Audiences"/>, TokenReview).</param>
    public ServiceAccountTokenAuthenticator(ServiceAccountKeys keys, IAuthObjectReader reader, TimeProvider time, string issuer = ServiceAccountTokenIssuer.DefaultIssuer, IReadOnlyList<string>? apiAudiences = null)
    {
        _keys = keys;
        _reader = reader;
        _time = time;
        Issuer = issuer;
        _apiAudiences = apiAudiences ?? [ServiceAccountTokenIssuer.DefaultIssuer];
    }

    public string Issuer { get; }

    public async ValueTask<AuthenticationResult> AuthenticateAsync(AuthenticationRequest request, CancellationToken cancellationToken)
    {
        var token = request.BearerToken;
        if (string.IsNullOrEmpty(token) || !CompactJws.TrySplit(token, out var parts, out var payload))
        {
            return AuthenticationResult.NotApplicable;
        }

        var issuer = ServiceAccountClaims.PeekIssuer(payload);
        var legacy = issuer == ServiceAccountClaims.LegacyIssuer;
        if (issuer != Issuer && !legacy)
        {
            return AuthenticationResult.NotApplicable;
        }

        // From here the token claims to be ours: anything wrong with it is a failure, not someone else's token.
        if (CompactJws.Verify(parts, _keys) is { } invalid)
        {
            return AuthenticationResult.Failure(invalid);
        }

        var claims = ServiceAccountClaims.Parse(payload, out var malformed);
        if (claims is null)
        {
            return AuthenticationResult.Failure(malformed!);
        }

        // Upstream: a token without audiences (legacy) is implicitly for the API server's audiences.
        var tokenAudiences = claims.Audiences.Count == 0 ? _apiAudiences : claims.Audiences;
        var requested = request.Audiences ?? _apiAudiences;
        var accepted = requested.Where(a => tokenAudiences.Contains(a, StringComparer.Ordinal)).ToArray();
        if (accepted.Length == 0 && _apiAudiences.Count != 0)
        {
            return AuthenticationResult.Failure($"token audiences {GoQuoteList(tokenAudiences)} is invalid for the target audiences {GoQuoteList(requested)}");
        }

        var user = legacy
            ? await ValidateLegacyAsync(token, claims, cancellationToken)
            : await ValidateBoundAsync(claims, cancellationToken);
        return user.Reason is { } reason ? AuthenticationResult.Failure(reason) : AuthenticationResult.Success(user.User!, accepted);
    }

    private async ValueTask<(UserInfo? User, string? Reason)> ValidateBoundAsync(ServiceAccountClaims claims, CancellationToken cancellationToken)
    {
        // go-jose's ValidateWithLeeway: the exact time against whole-second claims, one minute either way.
        var now = _time.GetUtcNow();
        if (claims.NotBefore is { } nbf && now + Leeway < Instant(nbf))
        {
            return (null, "service account token is not valid yet");
        }

        if (claims.Expiry is { } exp && now - Leeway > Instant(exp))
        {
            return (null, "service account token has expired");
        }

        if (claims.IssuedAt is { } iat && now + Leeway < Instant(iat))
        {
            return (null, "service account token is issued in the future");
        }

        var deletedBefore = now - Leeway;
        var ns = claims.Namespace ?? "";
        var accountRef = claims.ServiceAccount ?? new ObjectReferenceClaim("", "");
        var account = await _reader.GetServiceAccountAsync(ns, accountRef.Name, cancellationToken);
        if (account is null)
        {
            return (null, $"serviceaccounts \"{accountRef.Name}\" not found");
        }

        if (account.Metadata.Uid != accountRef.Uid)
        {
            return (null, $"service account UID ({account.Metadata.Uid}) does not match claim ({accountRef.Uid})");
        }

        if (DeletedBefore(account.Metadata, deletedBefore))
        {
            return (null, $"service account {ns}/{accountRef.Name} has been deleted");
        }

        if (claims.Secret is { } secretRef)
        {
            var secret = await _reader.GetSecretAsync(ns, secretRef.Name, cancellationToken);
            if (secret is null)
            {
                return (null, $"service account token has been invalidated: bound secret {ns}/{secretRef.Name} not found");
            }

            if (secret.Metadata.Uid != secretRef.Uid)
            {
                return (null, $"secret UID ({secret.Metadata.Uid}) does not match service account secret ref claim ({secretRef.Uid})");
            }

            if (DeletedBefore(secret.Metadata, deletedBefore))
            {
                return (null, $"service account token has been invalidated: bound secret {ns}/{secretRef.Name} is being deleted");
            }
        }

        var extra = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        if (claims.Pod is { } podRef)
        {
            var pod = await _reader.GetPodAsync(ns, podRef.Name, cancellationToken);
            if (pod is null)
            {
                return (null, $"service account token has been invalidated: bound pod {ns}/{podRef.Name} not found");
            }

            if (pod.Metadata.Uid != podRef.Uid)
            {
                return (null, $"pod UID ({pod.Metadata.Uid}) does not match service account pod ref claim ({podRef.Uid})");
            }

            if (DeletedBefore(pod.Metadata, deletedBefore))
            {
                return (null, $"service account token has been invalidated: bound pod {ns}/{podRef.Name} is being deleted");
            }

            if (podRef.Name.Length > 0 && podRef.Uid.Length > 0)
            {
                extra[ServiceAccountUser.PodNameKey] = [podRef.Name];
                extra[ServiceAccountUser.PodUidKey] = [podRef.Uid];
            }
        }

        if (claims.Node is { } nodeRef)
        {
            // A pod-bound token only reports the node it ran on; a node-bound token is checked against the node.
            if (claims.Pod is null)
            {
                var node = await _reader.GetNodeAsync(nodeRef.Name, cancellationToken);
                if (node is null)
                {
                    return (null, $"service account token has been invalidated: bound node {nodeRef.Name} not found");
                }

                if (node.Metadata.Uid != nodeRef.Uid)
                {
                    return (null, $"node UID ({node.Metadata.Uid}) does not match service account node ref claim ({nodeRef.Uid})");
                }

                if (DeletedBefore(node.Metadata, deletedBefore))
                {
                    return (null, $"service account token has been invalidated: bound node {nodeRef.Name} is being deleted");
                }
            }

            if (nodeRef.Name.Length > 0)
            {
                extra[ServiceAccountUser.NodeNameKey] = [nodeRef.Name];
                if (nodeRef.Uid.Length > 0)
                {
                    extra[ServiceAccountUser.NodeUidKey] = [nodeRef.Uid];
                }
            }
        }

        if (!string.IsNullOrEmpty(claims.Id))
        {
            extra[ServiceAccountUser.CredentialIdKey] = ["JTI=" + claims.Id];
        }

        return (UserInfo.Create(ServiceAccountUser.MakeUsername(ns, accountRef.Name), ServiceAccountUser.MakeGroupNames(ns), accountRef.Uid, extra), null);
    }

    private async ValueTask<(UserInfo? User, string? Reason)> ValidateLegacyAsync(string token, ServiceAccountClaims claims, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(claims.Subject))
        {
            return (null, "sub claim is missing");
        }

        var (ns, secretName, name, uid) = (claims.LegacyNamespace, claims.LegacySecretName, claims.LegacyServiceAccountName, claims.LegacyServiceAccountUid);
        if (string.IsNullOrEmpty(ns))
        {
            return (null, "namespace claim is missing");
        }

        if (string.IsNullOrEmpty(secretName))
        {
            return (null, "secretName claim is missing");
        }

        if (string.IsNullOrEmpty(name))
        {
            return (null, "serviceAccountName claim is missing");
        }

        if (string.IsNullOrEmpty(uid))
        {
            return (null, "serviceAccountUID claim is missing");
        }

        if (!ServiceAccountUser.TrySplitUsername(claims.Subject, out var subjectNamespace, out var subjectName) || subjectNamespace != ns || subjectName != name)
        {
            return (null, "sub claim is invalid");
        }

        var secret = await _reader.GetSecretAsync(ns, secretName, cancellationToken);
        if (secret is null)
        {
            return (null, $"token has been invalidated: secret {ns}/{secretName} not found");
        }

        if (secret.Metadata.DeletionTimestamp is not null)
        {
            return (null, $"token has been invalidated: secret {ns}/{secretName} is being deleted");
        }

        var stored = secret.Data is not null && secret.Data.TryGetValue("token", out var bytes) ? bytes : [];
        if (!CryptographicOperations.FixedTimeEquals(stored, Encoding.UTF8.GetBytes(token)))
        {
            return (null, $"token does not match server's copy in secret {ns}/{secretName}");
        }

        // Not in upstream's validator, which relies on the signed claims alone: a secret the tokens controller
        // made names its account, and one that names another account is not this account's token.
        if (secret.Metadata.Annotations is { } annotations && annotations.TryGetValue("kubernetes.io/service-account.name", out var owner) && owner != name)
        {
            return (null, $"secret {ns}/{secretName} belongs to service account {owner}, not {name}");
        }

        var account = await _reader.GetServiceAccountAsync(ns, name, cancellationToken);
        if (account is null)
        {
            return (null, $"serviceaccounts \"{name}\" not found");
        }

        if (account.Metadata.DeletionTimestamp is not null)
        {
            return (null, $"ServiceAccount {ns}/{name} has been deleted");
        }

        if (account.Metadata.Uid != uid)
        {
            return (null, $"ServiceAccount UID ({account.Metadata.Uid}) does not match claim ({uid})");
        }

        if (secret.Metadata.Labels is { } labels && labels.TryGetValue("kubernetes.io/legacy-token-invalid-since", out var since) && !string.IsNullOrEmpty(since))
        {
            return (null, $"the token in secret {ns}/{secretName} for service account {ns}/{name} has been marked invalid. Use tokens from the TokenRequest API or manually created secret-based tokens, or remove the 'kubernetes.io/legacy-token-invalid-since' label from the secret to temporarily allow use of this token");
        }

        return (UserInfo.Create(ServiceAccountUser.MakeUsername(ns, name), ServiceAccountUser.MakeGroupNames(ns), uid), null);
    }

    // Numeric dates outside DateTimeOffset's range are clamped, not thrown on.
    private static DateTimeOffset Instant(long unixSeconds) =>
        DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(unixSeconds, DateTimeOffset.MinValue.ToUnixTimeSeconds(), DateTimeOffset.MaxValue.ToUnixTimeSeconds()));

    private static bool DeletedBefore(V1ObjectMeta metadata, DateTimeOffset limit) =>
        metadata.DeletionTimestamp is { } deleted
        && new DateTimeOffset(deleted.Kind == DateTimeKind.Local ? deleted.ToUniversalTime() : DateTime.SpecifyKind(deleted, DateTimeKind.Utc)) < limit;

    // Go's %q of a []string: ["a" "b"].
    private static string GoQuoteList(IReadOnlyList<string> values) => "[" + string.Join(' ', values.Select(v => "\"" + v.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"")) + "]";
}
