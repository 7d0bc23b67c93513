namespace Kubesharp.ApiServer.Auth.Authentication;

/// <summary>
/// Upstream's anonymous authenticator: always succeeds as <see cref="UserInfo.Anonymous"/> (user
/// <c>system:anonymous</c>, group <c>system:unauthenticated</c>, no <c>system:authenticated</c>). Ask it only when
/// <see cref="AuthenticatorChain"/> answered NotApplicable (no credentials) and anonymous requests are enabled:
/// a Failure must stay a 401, as upstream's fail-on-error union does.
/// </summary>
internal sealed class AnonymousAuthenticator : IAuthenticator
{
    public static AnonymousAuthenticator Instance { get; } = new();

    public ValueTask<AuthenticationResult> AuthenticateAsync(AuthenticationRequest request, CancellationToken cancellationToken) =>
        ValueTask.FromResult(AuthenticationResult.Success(UserInfo.Anonymous));
}
