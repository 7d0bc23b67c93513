using Kubesharp.ApiServer.Auth.Authorization;

namespace Kubesharp.ApiServer.Auth.Authentication;

internal enum ImpersonationKind
{
    User,
    ServiceAccount,
    Group,
    UserExtra,
    Uid,
}

/// <summary>
/// One thing a request asks to act as (upstream builds an <c>ObjectReference</c> per header value), and the
/// <c>impersonate</c> check it needs: users, groups and serviceaccounts in the core group; uids and
/// <c>userextras/&lt;key&gt;</c> in <c>authentication.k8s.io</c>.
/// </summary>
/// <param name="Name">The user or group name, the service account's name, the extra's value, or the uid.</param>
/// <param name="Namespace">The service account's namespace; empty otherwise.</param>
/// <param name="ExtraKey">The extra's key (lower-cased, percent-decoded); empty otherwise.</param>
internal sealed record ImpersonationRequest(ImpersonationKind Kind, string Name, string Namespace = "", string ExtraKey = "")
{
    public const string AuthenticationGroup = "authentication.k8s.io";

    public string ApiGroup => Kind is ImpersonationKind.UserExtra or ImpersonationKind.Uid ? AuthenticationGroup : "";

    public string Resource => Kind switch
    {
        ImpersonationKind.User => "users",
        ImpersonationKind.ServiceAccount => "serviceaccounts",
        ImpersonationKind.Group => "groups",
        ImpersonationKind.UserExtra => "userextras",
        _ => "uids",
    };

    /// <summary>The authorization check for <paramref name="requester"/> to act as this.</summary>
    public RequestAttributes ToAttributes(UserInfo requester) => new(
        requester,
        "impersonate",
        IsResourceRequest: true,
        ApiGroup: ApiGroup,
        ApiVersion: ApiGroup.Length == 0 ? "" : "v1",
        Resource: Resource,
        Subresource: ExtraKey,
        Namespace: Namespace,
        Name: Name);

    /// <summary>Go's <c>%v</c> of the <c>v1.ObjectReference</c> upstream builds: <c>{Kind Namespace Name UID APIVersion ResourceVersion FieldPath}</c>.</summary>
    public string ToGoString()
    {
        var (kind, apiVersion) = Kind switch
        {
            ImpersonationKind.UserExtra => ("UserExtra", AuthenticationGroup + "/v1"),
            ImpersonationKind.Uid => ("UID", AuthenticationGroup + "/v1"),
            _ => (Kind.ToString(), ""),
        };
        return $"{{{kind} {Namespace} {Name}  {apiVersion}  {ExtraKey}}}";
    }
}
