using Kubesharp.Api.Auth;

namespace Kubesharp.ApiServer.Auth.Authentication;

/// <summary>
/// How a service account appears as a user, as upstream's <c>apiserver/pkg/authentication/serviceaccount</c>:
/// the name <c>system:serviceaccount:NS:NAME</c>, the groups <c>system:serviceaccounts</c> and
/// <c>system:serviceaccounts:NS</c>, and the keys of the extra attributes bound tokens carry.
/// </summary>
internal static class ServiceAccountUser
{
    public const string PodNameKey = "authentication.kubernetes.io/pod-name";
    public const string PodUidKey = "authentication.kubernetes.io/pod-uid";
    public const string NodeNameKey = "authentication.kubernetes.io/node-name";
    public const string NodeUidKey = "authentication.kubernetes.io/node-uid";

    /// <summary>Upstream's <c>user.CredentialIDKey</c>: which credential a request used (audit, whoami).</summary>
    public const string CredentialIdKey = "authentication.kubernetes.io/credential-id";

    public static string MakeUsername(string @namespace, string name) => ServiceAccountNames.MakeUsername(@namespace, name);

    public static IReadOnlyList<string> MakeGroupNames(string @namespace) => [UserInfo.ServiceAccounts, UserInfo.ServiceAccounts + ":" + @namespace];

    /// <summary>
    /// Upstream's <c>SplitUsername</c>: true for <c>system:serviceaccount:NS:NAME</c> with a valid namespace
    /// (DNS-1123 label) and a valid service account name (DNS-1123 subdomain); anything else is an ordinary user name.
    /// </summary>
    public static bool TrySplitUsername(string username, out string @namespace, out string name)
    {
        @namespace = "";
        name = "";
        if (!username.StartsWith(UserInfo.ServiceAccountPrefix, StringComparison.Ordinal))
        {
            return false;
        }

        var parts = username[UserInfo.ServiceAccountPrefix.Length..].Split(':');
        if (parts.Length != 2 || !IsDns1123Label(parts[0]) || !IsDns1123Subdomain(parts[1]))
        {
            return false;
        }

        @namespace = parts[0];
        name = parts[1];
        return true;
    }

    private static bool IsDns1123Subdomain(string value) =>
        value.Length is > 0 and <= 253 && value.Split('.').All(label => label.Length > 0 && IsLabelShape(label));

    private static bool IsDns1123Label(string value) => value.Length is > 0 and <= 63 && IsLabelShape(value);

    private static bool IsLabelShape(string value) =>
        IsAlphanumeric(value[0]) && IsAlphanumeric(value[^1]) && value.All(c => IsAlphanumeric(c) || c == '-');

    private static bool IsAlphanumeric(char c) => c is (>= 'a' and <= 'z') or (>= '0' and <= '9');
}
