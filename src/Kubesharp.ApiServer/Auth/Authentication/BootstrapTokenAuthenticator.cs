using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using k8s.Models;

namespace Kubesharp.ApiServer.Auth.Authentication;

/// <summary>
/// Bootstrap tokens, as upstream's <c>plugin/pkg/auth/authenticator/token/bootstrap</c>:
/// <list type="bullet">
/// <item>NotApplicable: no bearer token, or one without the <c>[a-z0-9]{6}.[a-z0-9]{16}</c> shape (upstream ignores it too).</item>
/// <item>Failure: the shape is right but the Secret <c>kube-system/bootstrap-token-&lt;id&gt;</c> is missing, being deleted,
/// of another type, holds another secret (compared in constant time) or id, has expired (or an unreadable
/// expiration), is not marked <c>usage-bootstrap-authentication: "true"</c>, or lists an extra group outside
/// <c>system:bootstrappers:</c>.</item>
/// <item>Success: user <c>system:bootstrap:&lt;id&gt;</c>, groups <c>system:bootstrappers</c> and the extra groups, sorted and deduplicated.</item>
/// </list>
/// Upstream answers every failure as "not mine" and lets the bearer token step turn it into 401 "invalid
/// bearer token"; a Failure here ends in the same 401 through <see cref="AuthenticatorChain"/> (which still asks
/// the other authenticators) and keeps the reason for the log. Thread-safe.
/// </summary>
internal sealed partial class BootstrapTokenAuthenticator(IAuthObjectReader reader, TimeProvider time) : IAuthenticator
{
    public async ValueTask<AuthenticationResult> AuthenticateAsync(AuthenticationRequest request, CancellationToken cancellationToken)
    {
        if (request.BearerToken is not { } token || !BootstrapTokens.TryParse(token, out var id, out var tokenSecret))
        {
            return AuthenticationResult.NotApplicable;
        }

        var name = BootstrapTokens.SecretPrefix + id;
        var secret = await reader.GetSecretAsync(BootstrapTokens.SecretNamespace, name, cancellationToken);
        var where = $"bootstrap secret {BootstrapTokens.SecretNamespace}/{name} matching bearer token";
        if (secret is null)
        {
            return AuthenticationResult.Failure($"no secret {BootstrapTokens.SecretNamespace}/{name} to match bootstrap bearer token");
        }

        if (secret.Metadata.DeletionTimestamp is not null)
        {
            return AuthenticationResult.Failure($"{where} is deleted and awaiting removal");
        }

        if (secret.Type != BootstrapTokens.SecretType || secret.Data is null)
        {
            return AuthenticationResult.Failure($"{where} has invalid type, expected {BootstrapTokens.SecretType}");
        }

        if (!CryptographicOperations.FixedTimeEquals(Data(secret, BootstrapTokens.TokenSecretKey), Encoding.UTF8.GetBytes(tokenSecret)))
        {
            // Upstream logs the expected secret here; the reason must not carry credentials.
            return AuthenticationResult.Failure($"{where} has invalid value for key {BootstrapTokens.TokenSecretKey}");
        }

        if (Text(secret, BootstrapTokens.TokenIdKey) != id)
        {
            return AuthenticationResult.Failure($"{where} has invalid value for key {BootstrapTokens.TokenIdKey}");
        }

        if (Expired(secret) is { } expired)
        {
            return AuthenticationResult.Failure($"{where} {expired}");
        }

        if (Text(secret, BootstrapTokens.UsageAuthenticationKey) != "true")
        {
            return AuthenticationResult.Failure($"{where} not marked {BootstrapTokens.UsageAuthenticationKey}=true");
        }

        var groups = new SortedSet<string>(StringComparer.Ordinal) { UserInfo.Bootstrappers };
        var extra = Text(secret, BootstrapTokens.ExtraGroupsKey);
        if (extra.Length > 0)
        {
            foreach (var group in extra.Split(','))
            {
                if (!GroupName().IsMatch(group))
                {
                    return AuthenticationResult.Failure($"{where} has invalid value for key {BootstrapTokens.ExtraGroupsKey}: bootstrap group \"{group}\" is invalid (must match {GroupName()})");
                }

                groups.Add(group);
            }
        }

        return AuthenticationResult.Success(UserInfo.Create(BootstrapTokens.UserPrefix + id, groups));
    }

    private string? Expired(V1Secret secret)
    {
        var expiration = Text(secret, BootstrapTokens.ExpirationKey);
        if (expiration.Length == 0)
        {
            return null;
        }

        // Upstream treats an expiration it cannot read as expired.
        if (!DateTimeOffset.TryParseExact(expiration, ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFFFK"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var expires))
        {
            return $"has an invalid expiration {expiration} (treated as expired)";
        }

        return expires <= time.GetUtcNow() ? $"has expired at {expiration}" : null;
    }

    private static byte[] Data(V1Secret secret, string key) => secret.Data.TryGetValue(key, out var value) && value is not null ? value : [];

    private static string Text(V1Secret secret, string key) => Encoding.UTF8.GetString(Data(secret, key));

    [GeneratedRegex(@"\Asystem:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]\z", RegexOptions.CultureInvariant)]
    private static partial Regex GroupName();
}
