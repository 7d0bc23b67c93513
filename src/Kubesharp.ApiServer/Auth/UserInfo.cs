using Kubesharp.Api.Auth;

namespace Kubesharp.ApiServer.Auth;

/// <summary>
/// Who a request comes from, as upstream's <c>user.Info</c>: a name, an optional uid, groups and
/// extra attributes. Immutable; authenticators build it, impersonation replaces it, authorizers read it.
/// </summary>
public sealed record UserInfo(string Name, string? Uid, IReadOnlyList<string> Groups, IReadOnlyDictionary<string, IReadOnlyList<string>> Extra)
{
    public const string Masters = "system:masters";
    public const string Authenticated = "system:authenticated";
    public const string Unauthenticated = "system:unauthenticated";
    public const string AnonymousName = "system:anonymous";
    public const string Nodes = "system:nodes";
    public const string NodePrefix = "system:node:";
    public const string ServiceAccounts = "system:serviceaccounts";
    public const string ServiceAccountPrefix = ServiceAccountNames.UsernamePrefix;
    public const string Bootstrappers = "system:bootstrappers";

    private static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> NoExtra = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>The user of a request without credentials.</summary>
    public static UserInfo Anonymous { get; } = new(AnonymousName, null, [Unauthenticated], NoExtra);

    public static UserInfo Create(string name, IEnumerable<string> groups, string? uid = null, IReadOnlyDictionary<string, IReadOnlyList<string>>? extra = null) =>
        new(name, uid, groups.ToArray(), extra ?? NoExtra);

    public bool InGroup(string group) => Groups.Contains(group, StringComparer.Ordinal);
}
