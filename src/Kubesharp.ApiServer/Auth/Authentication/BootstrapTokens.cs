using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using k8s.Models;

namespace Kubesharp.ApiServer.Auth.Authentication;

/// <summary>
/// Bootstrap tokens (<c>k8s.io/cluster-bootstrap</c>): <c>[a-z0-9]{6}.[a-z0-9]{16}</c>, the id before the dot and
/// the secret after it, stored in the Secret <c>kube-system/bootstrap-token-&lt;id&gt;</c> of type
/// <c>bootstrap.kubernetes.io/token</c>. This class makes new ones and the Secret that backs them
/// (<c>kubesharp server</c> creates the node join token with it); <see cref="BootstrapTokenAuthenticator"/> checks them.
/// </summary>
public static partial class BootstrapTokens
{
    public const string SecretNamespace = "kube-system";
    public const string SecretPrefix = "bootstrap-token-";
    public const string SecretType = "bootstrap.kubernetes.io/token";
    public const string TokenIdKey = "token-id";
    public const string TokenSecretKey = "token-secret";
    public const string ExpirationKey = "expiration";
    public const string DescriptionKey = "description";
    public const string UsageAuthenticationKey = "usage-bootstrap-authentication";
    public const string UsageSigningKey = "usage-bootstrap-signing";
    public const string ExtraGroupsKey = "auth-extra-groups";
    public const string UserPrefix = "system:bootstrap:";
    public const string GroupPrefix = "system:bootstrappers:";

    /// <summary>kubeadm's group for node join tokens, which its RBAC bindings name.</summary>
    public const string DefaultNodeTokenGroup = "system:bootstrappers:kubeadm:default-node-token";

    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    /// <summary>A new token from a cryptographic source.</summary>
    public static string Generate() => Generate(i => RandomNumberGenerator.GetInt32(i));

    /// <summary>A new token whose characters come from <paramref name="random"/>: seed it for a reproducible token (tests only).</summary>
    public static string Generate(Random random) => Generate(random.Next);

    /// <summary>Splits a token into id and secret; false when it has not the bootstrap token shape.</summary>
    public static bool TryParse(string token, out string id, out string secret)
    {
        var match = TokenShape().Match(token);
        id = match.Success ? match.Groups[1].Value : "";
        secret = match.Success ? match.Groups[2].Value : "";
        return match.Success;
    }

    /// <summary>
    /// The Secret for <paramref name="token"/>, usable for authentication and for signing the cluster-info
    /// ConfigMap, as <c>kubeadm token create</c> writes it.
    /// </summary>
    public static V1Secret CreateSecret(string token, DateTimeOffset? expiration = null, IEnumerable<string>? extraGroups = null, string? description = null)
    {
        if (!TryParse(token, out var id, out var secret))
        {
            throw new ArgumentException("a bootstrap token is [a-z0-9]{6}.[a-z0-9]{16}", nameof(token));
        }

        var data = new Dictionary<string, byte[]>(StringComparer.Ordinal)
        {
            [TokenIdKey] = Encoding.UTF8.GetBytes(id),
            [TokenSecretKey] = Encoding.UTF8.GetBytes(secret),
            [UsageAuthenticationKey] = "true"u8.ToArray(),
            [UsageSigningKey] = "true"u8.ToArray(),
        };
        if (expiration is { } expires)
        {
            data[ExpirationKey] = Encoding.UTF8.GetBytes(expires.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        }

        var groups = extraGroups?.ToList() ?? [];
        if (groups.Count > 0)
        {
            data[ExtraGroupsKey] = Encoding.UTF8.GetBytes(string.Join(',', groups));
        }

        if (!string.IsNullOrEmpty(description))
        {
            data[DescriptionKey] = Encoding.UTF8.GetBytes(description);
        }

        return new V1Secret
        {
            ApiVersion = "v1",
            Kind = "Secret",
            Metadata = new V1ObjectMeta { Name = SecretPrefix + id, NamespaceProperty = SecretNamespace },
            Type = SecretType,
            Data = data,
        };
    }

    private static string Generate(Func<int, int> next)
    {
        var chars = new char[23];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = i == 6 ? '.' : Alphabet[next(Alphabet.Length)];
        }

        return new string(chars);
    }

    [GeneratedRegex(@"\A([a-z0-9]{6})\.([a-z0-9]{16})\z", RegexOptions.CultureInvariant)]
    private static partial Regex TokenShape();
}
