using System.Globalization;
using System.Text;
using Kubesharp.Api.Errors;
using Kubesharp.ApiServer.Auth.Authorization;
using Microsoft.Extensions.Primitives;

namespace Kubesharp.ApiServer.Auth.Authentication;

internal enum ImpersonationOutcome
{
    /// <summary>No impersonation header: the request goes on as its authenticated user.</summary>
    NotRequested,

    /// <summary>Every check was allowed: the request goes on as <see cref="ImpersonationResult.User"/>, without the impersonation headers.</summary>
    Impersonated,

    /// <summary>The headers are malformed (400) or a check was not allowed (403): answer with <see cref="ImpersonationResult.Error"/>.</summary>
    Refused,
}

/// <summary>The outcome of <see cref="Impersonation.Apply"/>.</summary>
internal sealed record ImpersonationResult(ImpersonationOutcome Outcome, UserInfo? User, StatusException? Error)
{
    public static ImpersonationResult NotRequested { get; } = new(ImpersonationOutcome.NotRequested, null, null);
}

/// <summary>The parsed impersonation headers: the requests in upstream's order, or why the headers are refused.</summary>
internal sealed record ImpersonationHeaders(IReadOnlyList<ImpersonationRequest> Requests, StatusException? Error);

/// <summary>
/// Upstream's impersonation filter (<c>endpoints/filters/impersonation.go</c>), without HTTP: reads the
/// <c>Impersonate-User</c>, <c>Impersonate-Uid</c>, <c>Impersonate-Group</c> (repeatable) and
/// <c>Impersonate-Extra-&lt;key&gt;</c> headers, checks each with the authorizer (verb <c>impersonate</c>) for the
/// authenticated user, and builds the user the request then runs as. Runs after authentication and before
/// the request's own authorization. Stateless and thread-safe.
/// </summary>
internal static class Impersonation
{
    public const string UserHeader = "Impersonate-User";
    public const string UidHeader = "Impersonate-Uid";
    public const string GroupHeader = "Impersonate-Group";
    public const string ExtraHeaderPrefix = "Impersonate-Extra-";

    /// <summary>Whether a header is one the request must lose once impersonation succeeded (upstream deletes them before the handler).</summary>
    public static bool IsImpersonationHeader(string name) =>
        name.Equals(UserHeader, StringComparison.OrdinalIgnoreCase)
        || name.Equals(UidHeader, StringComparison.OrdinalIgnoreCase)
        || name.Equals(GroupHeader, StringComparison.OrdinalIgnoreCase)
        || name.StartsWith(ExtraHeaderPrefix, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Reads the headers into requests: the user (a service account when it is <c>system:serviceaccount:NS:NAME</c>),
    /// each group, each extra value, the uid. Groups, extras or a uid without a user are a 400, as upstream.
    /// </summary>
    public static ImpersonationHeaders Parse(IEnumerable<KeyValuePair<string, StringValues>> headers)
    {
        var requests = new List<ImpersonationRequest>();
        string? user = null;
        string? uid = null;
        var groups = new List<ImpersonationRequest>();
        var extras = new List<ImpersonationRequest>();
        foreach (var (name, values) in headers)
        {
            if (name.Equals(UserHeader, StringComparison.OrdinalIgnoreCase))
            {
                user ??= values.FirstOrDefault(v => v is not null);
            }
            else if (name.Equals(UidHeader, StringComparison.OrdinalIgnoreCase))
            {
                uid ??= values.FirstOrDefault(v => v is not null);
            }
            else if (name.Equals(GroupHeader, StringComparison.OrdinalIgnoreCase))
            {
                groups.AddRange(values.Select(v => new ImpersonationRequest(ImpersonationKind.Group, v ?? "")));
            }
            else if (name.StartsWith(ExtraHeaderPrefix, StringComparison.OrdinalIgnoreCase))
            {
                var key = PathUnescape(name[ExtraHeaderPrefix.Length..].ToLowerInvariant());
                extras.AddRange(values.Select(v => new ImpersonationRequest(ImpersonationKind.UserExtra, v ?? "", ExtraKey: key)));
            }
        }

        var hasUser = !string.IsNullOrEmpty(user);
        if (hasUser)
        {
            requests.Add(ServiceAccountUser.TrySplitUsername(user!, out var ns, out var sa)
                ? new ImpersonationRequest(ImpersonationKind.ServiceAccount, sa, ns)
                : new ImpersonationRequest(ImpersonationKind.User, user!));
        }

        requests.AddRange(groups);
        requests.AddRange(extras);
        if (!string.IsNullOrEmpty(uid))
        {
            requests.Add(new ImpersonationRequest(ImpersonationKind.Uid, uid));
        }

        if (!hasUser && requests.Count > 0)
        {
            var list = "[" + string.Join(' ', requests.Select(r => r.ToGoString())) + "]";
            return new ImpersonationHeaders([], StatusException.BadRequest($"requested {list} without impersonating a user"));
        }

        return new ImpersonationHeaders(requests, null);
    }

    /// <summary>
    /// Parses the headers and authorizes each request for <paramref name="requester"/> in order; the first one not
    /// allowed refuses the request with upstream's 403 (<c>users "bob" is forbidden: User "alice" cannot impersonate
    /// resource "users" in API group "" at the cluster scope</c>, plus <c>: reason</c> when the authorizer gave one).
    /// When all are allowed the new user has the requested name, uid, groups and extras; a service account
    /// impersonated without groups gets its two service account groups; then <c>system:authenticated</c> is added
    /// unless a group says otherwise, or <c>system:unauthenticated</c> for <c>system:anonymous</c>.
    /// </summary>
    public static ImpersonationResult Apply(UserInfo requester, IEnumerable<KeyValuePair<string, StringValues>> headers, Func<RequestAttributes, AuthorizationDecision> authorize)
    {
        var parsed = Parse(headers);
        if (parsed.Error is not null)
        {
            return new ImpersonationResult(ImpersonationOutcome.Refused, null, parsed.Error);
        }

        if (parsed.Requests.Count == 0)
        {
            return ImpersonationResult.NotRequested;
        }

        var groupsSpecified = parsed.Requests.Any(r => r.Kind == ImpersonationKind.Group);
        var username = "";
        string? uid = null;
        var groups = new List<string>();
        var extra = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var request in parsed.Requests)
        {
            var attributes = request.ToAttributes(requester);
            var decision = authorize(attributes);
            if (decision.Outcome != AuthorizationOutcome.Allow)
            {
                return new ImpersonationResult(ImpersonationOutcome.Refused, null, Forbidden(attributes, decision.Reason));
            }

            switch (request.Kind)
            {
                case ImpersonationKind.ServiceAccount:
                    username = ServiceAccountUser.MakeUsername(request.Namespace, request.Name);
                    if (!groupsSpecified)
                    {
                        groups = [.. ServiceAccountUser.MakeGroupNames(request.Namespace)];
                    }

                    break;
                case ImpersonationKind.User:
                    username = request.Name;
                    break;
                case ImpersonationKind.Group:
                    groups.Add(request.Name);
                    break;
                case ImpersonationKind.UserExtra:
                    if (!extra.TryGetValue(request.ExtraKey, out var values))
                    {
                        extra[request.ExtraKey] = values = [];
                    }

                    values.Add(request.Name);
                    break;
                case ImpersonationKind.Uid:
                    uid = request.Name;
                    break;
            }
        }

        if (username != UserInfo.AnonymousName)
        {
            if (!groups.Contains(UserInfo.Authenticated) && !groups.Contains(UserInfo.Unauthenticated))
            {
                groups.Add(UserInfo.Authenticated);
            }
        }
        else if (!groups.Contains(UserInfo.Unauthenticated))
        {
            groups.Add(UserInfo.Unauthenticated);
        }

        var user = UserInfo.Create(username, groups, uid, extra.ToDictionary(e => e.Key, e => (IReadOnlyList<string>)e.Value, StringComparer.Ordinal));
        return new ImpersonationResult(ImpersonationOutcome.Impersonated, user, null);
    }

    /// <summary>Upstream's <c>responsewriters.Forbidden</c> message for a resource request.</summary>
    private static StatusException Forbidden(RequestAttributes attributes, string reason)
    {
        var resource = attributes.Subresource.Length > 0 ? $"{attributes.Resource}/{attributes.Subresource}" : attributes.Resource;
        var scope = attributes.Namespace.Length > 0 ? $"in the namespace \"{attributes.Namespace}\"" : "at the cluster scope";
        var message = $"User \"{attributes.User.Name}\" cannot {attributes.Verb} resource \"{resource}\" in API group \"{attributes.ApiGroup}\" {scope}";
        if (reason.Length > 0)
        {
            message += ": " + reason;
        }

        return StatusException.Forbidden(attributes.ApiGroup, attributes.Resource, attributes.Name, message);
    }

    /// <summary>Go's <c>url.PathUnescape</c>; a malformed escape leaves the key as it came, as upstream does.</summary>
    private static string PathUnescape(string encoded)
    {
        if (!encoded.Contains('%', StringComparison.Ordinal))
        {
            return encoded;
        }

        var bytes = new List<byte>(encoded.Length);
        for (var i = 0; i < encoded.Length; i++)
        {
            if (encoded[i] != '%')
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(encoded[i].ToString()));
                continue;
            }

            if (i + 2 >= encoded.Length || !byte.TryParse(encoded.AsSpan(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var b))
            {
                return encoded;
            }

            bytes.Add(b);
            i += 2;
        }

        return Encoding.UTF8.GetString([.. bytes]);
    }
}
