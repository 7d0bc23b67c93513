namespace Kubesharp.ApiServer.Auth.Authentication;

/// <summary>
/// The authenticators of the API server as one, as upstream's union authenticator (<c>FailOnError=false</c>)
/// wrapped by the bearer token step and the authenticated-group adder:
/// <list type="bullet">
/// <item>Every authenticator is asked in order until one succeeds; a Failure does not stop the chain (a bad client
/// certificate does not hide a good token, and a token may be shaped like a bootstrap token yet be in the token file).</item>
/// <item>Success: the first success, with <c>system:authenticated</c> appended to its groups unless the user is
/// <c>system:anonymous</c> or already has <c>system:authenticated</c> or <c>system:unauthenticated</c>.</item>
/// <item>Failure: no success and at least one failure (the reasons aggregated as Go's <c>utilerrors</c> prints them),
/// or a bearer token that no authenticator took (<c>invalid bearer token</c>): the request gets 401, never anonymous.</item>
/// <item>NotApplicable: no credentials at all. Whether that means <see cref="UserInfo.Anonymous"/> (upstream's
/// <c>--anonymous-auth</c>) is the caller's decision: see <see cref="AnonymousAuthenticator"/>.</item>
/// </list>
/// Upstream's order is client certificate, token file, service account tokens, bootstrap tokens; since every
/// authenticator is asked, order only matters when two would accept the same credential.
/// Thread-safe when its authenticators are; an authenticator's exception (an infrastructure fault) propagates.
/// </summary>
internal sealed class AuthenticatorChain(IReadOnlyList<IAuthenticator> authenticators) : IAuthenticator
{
    public async ValueTask<AuthenticationResult> AuthenticateAsync(AuthenticationRequest request, CancellationToken cancellationToken)
    {
        List<string>? reasons = null;
        foreach (var authenticator in authenticators)
        {
            var result = await authenticator.AuthenticateAsync(request, cancellationToken);
            switch (result.Outcome)
            {
                case AuthenticationOutcome.Success:
                    return result with { User = WithAuthenticatedGroup(result.User!) };
                case AuthenticationOutcome.Failure:
                    (reasons ??= []).Add(result.Reason ?? "authentication failed");
                    break;
            }
        }

        if (reasons is not null)
        {
            return AuthenticationResult.Failure(Aggregate(reasons));
        }

        return string.IsNullOrEmpty(request.BearerToken) ? AuthenticationResult.NotApplicable : AuthenticationResult.Failure("invalid bearer token");
    }

    private static UserInfo WithAuthenticatedGroup(UserInfo user) =>
        user.Name == UserInfo.AnonymousName || user.InGroup(UserInfo.Authenticated) || user.InGroup(UserInfo.Unauthenticated)
            ? user
            : user with { Groups = [.. user.Groups, UserInfo.Authenticated] };

    // Go's utilerrors.NewAggregate(...).Error(): one message alone, several deduplicated in brackets.
    private static string Aggregate(List<string> reasons)
    {
        var distinct = reasons.Distinct(StringComparer.Ordinal).ToList();
        return distinct.Count == 1 ? distinct[0] : "[" + string.Join(", ", distinct) + "]";
    }
}
