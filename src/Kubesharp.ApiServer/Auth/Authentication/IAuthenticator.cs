using System.Security.Cryptography.X509Certificates;

namespace Kubesharp.ApiServer.Auth.Authentication;

/// <summary>
/// One way of proving who a request comes from (client certificate, bearer token of some kind).
/// Contract: an authenticator answers <see cref="AuthenticationResult.NotApplicable"/> when the request
/// carries no credential of its kind (the next one is asked), <see cref="AuthenticationResult.Success"/>
/// with the user when the credential is good, and <see cref="AuthenticationResult.Failure"/> when it
/// is its kind but bad (expired, wrong signature, unknown, its bound objects gone): the request is then
/// refused with 401 and the reason is logged, never shown to the client.
/// Safe to call concurrently; never throws for a bad credential (only for infrastructure faults).
/// </summary>
public interface IAuthenticator
{
    ValueTask<AuthenticationResult> AuthenticateAsync(AuthenticationRequest request, CancellationToken cancellationToken);
}

/// <summary>What a request offers as credentials: the TLS client certificate (already presented by the
/// client, not yet verified) and the bearer token of the <c>Authorization</c> header, if any.</summary>
public sealed record AuthenticationRequest(X509Certificate2? ClientCertificate, string? BearerToken)
{
    /// <summary>
    /// The audiences the token must be for, as upstream's <c>authenticator.AudiencesFrom(ctx)</c>: null for
    /// an ordinary API request (the API server's own audiences apply), a TokenReview's <c>spec.audiences</c> otherwise.
    /// </summary>
    public IReadOnlyList<string>? Audiences { get; init; }
}

/// <summary>The outcome of one authenticator. <see cref="Audiences"/> are the token's audiences when it had any.</summary>
public sealed record AuthenticationResult(AuthenticationOutcome Outcome, UserInfo? User, string? Reason, IReadOnlyList<string>? Audiences = null)
{
    public static AuthenticationResult NotApplicable { get; } = new(AuthenticationOutcome.NotApplicable, null, null);

    public static AuthenticationResult Success(UserInfo user, IReadOnlyList<string>? audiences = null) => new(AuthenticationOutcome.Success, user, null, audiences);

    public static AuthenticationResult Failure(string reason) => new(AuthenticationOutcome.Failure, null, reason);
}

public enum AuthenticationOutcome
{
    NotApplicable,
    Success,
    Failure,
}
