using System.Security.Cryptography.X509Certificates;
using Kubesharp.Api.Errors;
using Kubesharp.ApiServer.Auth.Authentication;
using Kubesharp.ApiServer.Auth.Authorization;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Kubesharp.ApiServer.Auth;

/// <summary>
/// The authentication and authorization steps every request passes before any handler, as upstream's
/// filter chain: credentials (client certificate, bearer token) to a user, or <c>system:anonymous</c>
/// when there are none; credentials that are present but invalid are 401; then the authorizers decide,
/// and anything not allowed is 403 with upstream's message. Reasons for refusals are logged, not sent.
/// </summary>
internal sealed partial class RequestAuth(IAuthenticator authenticator, IAuthorizer authorizer, ILogger logger, TimeProvider time)
{
    private const string ConnectionKey = "kubesharp.x509-user";

    public IAuthorizer Authorizer { get; } = authorizer;

    public IAuthenticator Authenticator { get; } = authenticator;

    /// <summary>Whether a request without credentials is <c>system:anonymous</c> (true) or 401 (false).</summary>
    public bool Anonymous { get; init; } = true;

    /// <summary>The user of the request; throws a 401 <see cref="StatusException"/> for bad credentials.</summary>
    public async ValueTask<UserInfo> AuthenticateAsync(HttpContext context)
    {
        var certificate = context.Connection.ClientCertificate;
        var (hasBearer, token) = BearerToken(context.Request.Headers.Authorization.ToString());
        if (hasBearer && token.Length == 0)
        {
            RequestAuthLog.Refused(logger, context.Request.Method, context.Request.Path, "empty bearer token");
            throw StatusException.Unauthorized();
        }

        // A connection's certificate does not change: verify its chain once per connection, not per request.
        var items = hasBearer || certificate is null ? null : context.Features.Get<IConnectionItemsFeature>()?.Items;
        AuthenticationResult result;
        if (items is not null && items.TryGetValue(ConnectionKey, out var cached) && cached is CachedResult known && ReferenceEquals(known.Certificate, certificate)
            && known.Certificate.NotAfter.ToUniversalTime() > time.GetUtcNow().UtcDateTime)
        {
            result = known.Result;
        }
        else
        {
            result = await Authenticator.AuthenticateAsync(new AuthenticationRequest(certificate, hasBearer ? token : null), context.RequestAborted);
            if (items is not null && certificate is not null)
            {
                items[ConnectionKey] = new CachedResult(certificate, result);
            }
        }

        switch (result.Outcome)
        {
            case AuthenticationOutcome.Success:
                return result.User!;
            case AuthenticationOutcome.Failure:
                RequestAuthLog.Refused(logger, context.Request.Method, context.Request.Path, result.Reason ?? "invalid credentials");
                throw StatusException.Unauthorized();
            default:
                return Anonymous ? UserInfo.Anonymous : throw StatusException.Unauthorized();
        }
    }

    /// <summary>Throws a 403 <see cref="StatusException"/> unless an authorizer allows the request.</summary>
    public void Authorize(RequestAttributes attributes)
    {
        var decision = Authorizer.Authorize(attributes);
        if (decision.Outcome == AuthorizationOutcome.Allow)
        {
            return;
        }

        var message = RequestInfo.ForbiddenMessage(attributes);
        if (decision.Reason.Length > 0)
        {
            message += ": " + decision.Reason;
        }

        RequestAuthLog.Forbidden(logger, attributes.User.Name, attributes.Verb, attributes.Path, decision.Reason);
        throw StatusException.ForbiddenRequest(attributes.ApiGroup, attributes.Resource, attributes.Name, message);
    }

    // Upstream's bearer token authenticator: the scheme is case-insensitive, the token is what follows it.
    private static (bool Present, string Token) BearerToken(string header)
    {
        var space = header.IndexOf(' ', StringComparison.Ordinal);
        if (space <= 0 || !header.AsSpan(0, space).Equals("Bearer", StringComparison.OrdinalIgnoreCase))
        {
            return (false, "");
        }

        return (true, header[(space + 1)..].Trim());
    }

    private sealed record CachedResult(X509Certificate2 Certificate, AuthenticationResult Result);
}

internal static partial class RequestAuthLog
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Unable to authenticate the request {Method} {Path}: {Reason}")]
    public static partial void Refused(ILogger logger, string method, string? path, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Forbidden: user {User} cannot {Verb} {Path}: {Reason}")]
    public static partial void Forbidden(ILogger logger, string user, string verb, string path, string reason);
}
