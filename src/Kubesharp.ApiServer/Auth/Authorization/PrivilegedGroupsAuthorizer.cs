using k8s.Models;

namespace Kubesharp.ApiServer.Auth.Authorization;

/// <summary>
/// Upstream's privileged-groups authorizer, which the API server puts before Node and RBAC: a member of
/// one of the groups (<c>system:masters</c> by default) may do anything, whatever RBAC says, with an
/// empty reason; everyone else gets no opinion. This is why deleting the cluster-admin binding cannot
/// lock the cluster's administrators out. Immutable and thread-safe.
/// </summary>
internal sealed class PrivilegedGroupsAuthorizer : IAuthorizer, ISubjectRulesResolver
{
    private readonly string[] _groups;

    public PrivilegedGroupsAuthorizer(params string[] groups)
    {
        _groups = groups.Length == 0 ? [UserInfo.Masters] : groups;
    }

    public AuthorizationDecision Authorize(RequestAttributes attributes) =>
        IsPrivileged(attributes.User) ? AuthorizationDecision.Allow() : AuthorizationDecision.NoOpinion();

    /// <summary>For a privileged user, <c>*</c> on everything and on every non-resource URL, as upstream reports it.</summary>
    public SubjectRules RulesFor(UserInfo user, string @namespace)
    {
        if (!IsPrivileged(user))
        {
            return SubjectRules.Empty;
        }

        return new SubjectRules(
            [new V1ResourceRule { Verbs = ["*"], ApiGroups = ["*"], Resources = ["*"] }],
            [new V1NonResourceRule { Verbs = ["*"], NonResourceURLs = ["*"] }],
            Incomplete: false,
            Errors: []);
    }

    private bool IsPrivileged(UserInfo user)
    {
        foreach (var group in _groups)
        {
            if (user.InGroup(group))
            {
                return true;
            }
        }

        return false;
    }
}
