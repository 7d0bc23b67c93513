namespace Kubesharp.ApiServer.Auth.Authorization;

/// <summary>
/// Decides whether a request may proceed, as upstream's <c>authorizer.Authorizer</c>. Authorizers are
/// chained (Node, then RBAC): the first <see cref="AuthorizationOutcome.Allow"/> or
/// <see cref="AuthorizationOutcome.Deny"/> decides, and when all have no opinion the request is denied.
/// Synchronous: decisions are made from in-memory snapshots. Safe to call concurrently.
/// </summary>
public interface IAuthorizer
{
    AuthorizationDecision Authorize(RequestAttributes attributes);
}

public enum AuthorizationOutcome
{
    NoOpinion,
    Allow,
    Deny,
}

/// <summary>A decision and the reason for it (upstream puts the reason in the 403's message and in the audit log).</summary>
public readonly record struct AuthorizationDecision(AuthorizationOutcome Outcome, string Reason)
{
    public static AuthorizationDecision NoOpinion(string reason = "") => new(AuthorizationOutcome.NoOpinion, reason);

    public static AuthorizationDecision Allow(string reason = "") => new(AuthorizationOutcome.Allow, reason);

    public static AuthorizationDecision Deny(string reason) => new(AuthorizationOutcome.Deny, reason);
}
