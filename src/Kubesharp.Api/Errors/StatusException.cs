using System.Net;

namespace Kubesharp.Api.Errors;

/// <summary>One cause of an Invalid (422) or BadRequest error, as upstream's <c>StatusCause</c>.</summary>
/// <param name="Reason">Upstream cause type: FieldValueRequired, FieldValueInvalid, FieldValueNotSupported, FieldValueDuplicate, FieldValueForbidden, FieldValueTooLong, UnexpectedServerResponse...</param>
/// <param name="Field">JSON path of the field, such as <c>spec.containers[0].image</c>.</param>
public sealed record StatusCause(string Reason, string Message, string? Field);

/// <summary>
/// The API's one error type: carries everything of a <c>meta.k8s.io/v1 Status</c> body (code, reason,
/// message, details). Thrown by API code for outcomes that end a request; the server writes it as the
/// response. Reason strings and codes are upstream's (<c>apimachinery/pkg/api/errors</c>).
/// </summary>
public sealed class StatusException : Exception
{
    public StatusException(HttpStatusCode code, string reason, string message, StatusDetails? details = null)
        : base(message)
    {
        Code = code;
        Reason = reason;
        Details = details;
    }

    public StatusException()
        : this(HttpStatusCode.InternalServerError, "InternalError", "internal error")
    {
    }

    public StatusException(string message)
        : this(HttpStatusCode.InternalServerError, "InternalError", message)
    {
    }

    public StatusException(string message, Exception innerException)
        : base(message, innerException)
    {
        Code = HttpStatusCode.InternalServerError;
        Reason = "InternalError";
    }

    private StatusException(HttpStatusCode code, string reason, string message, StatusDetails? details, Exception innerException)
        : base(message, innerException)
    {
        Code = code;
        Reason = reason;
        Details = details;
    }

    public HttpStatusCode Code { get; }

    public string Reason { get; }

    public StatusDetails? Details { get; }

    /// <summary>Extra response headers (Retry-After and the like).</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    public static StatusException NotFound(string group, string resource, string name) =>
        new(HttpStatusCode.NotFound, "NotFound", $"{Qualified(group, resource)} \"{name}\" not found", new StatusDetails(name, group, resource, null, []));

    public static StatusException AlreadyExists(string group, string resource, string name) =>
        new(HttpStatusCode.Conflict, "AlreadyExists", $"{Qualified(group, resource)} \"{name}\" already exists", new StatusDetails(name, group, resource, null, []));

    public static StatusException Conflict(string group, string resource, string name, string why) =>
        new(HttpStatusCode.Conflict, "Conflict", $"Operation cannot be fulfilled on {Qualified(group, resource)} \"{name}\": {why}", new StatusDetails(name, group, resource, null, []));

    /// <summary>Upstream's <c>NewInvalid</c>: the message aggregates the causes (in brackets when there are several).</summary>
    public static StatusException Invalid(string group, string kind, string name, IReadOnlyList<StatusCause> causes) =>
        new((HttpStatusCode)422, "Invalid", $"{(group.Length == 0 ? kind : kind + "." + group)} \"{name}\" is invalid"
            + (causes.Count == 0 ? "" : ": " + Selectors.GoText.Aggregate([.. causes.Select(c => c.Field is null ? c.Message : $"{c.Field}: {c.Message}")])), new StatusDetails(name, group, null, kind, causes));

    public static StatusException BadRequest(string message) => new(HttpStatusCode.BadRequest, "BadRequest", message);

    /// <summary>
    /// A patch that decoded but could not be applied (a JSON patch <c>test</c> that failed, a path that does not
    /// exist, a strategic merge patch with a list of lists). Upstream answers these with a generic 422: reason
    /// Invalid, empty details, and a fixed message that drops the cause. <paramref name="cause"/> is kept as the
    /// inner exception's message for logs and is not meant for the response.
    /// </summary>
    public static StatusException UnprocessablePatch(string cause) =>
        new((HttpStatusCode)422, "Invalid", "the server rejected our request due to an error in our request", new StatusDetails(null, null, null, null, []), new InvalidOperationException(cause));

    /// <summary>
    /// An error upstream never turns into a Status (for instance most strategic merge patch failures): the
    /// apiserver answers it with code 500, an empty reason (StatusReasonUnknown) and the error's text as the
    /// message, which kubectl prints as "Error from server: &lt;message&gt;".
    /// </summary>
    public static StatusException Unclassified(string message) => new(HttpStatusCode.InternalServerError, "", message);

    public static StatusException MethodNotAllowed(string message) => new(HttpStatusCode.MethodNotAllowed, "MethodNotAllowed", message);

    public static StatusException UnsupportedMediaType(string contentType) =>
        new(HttpStatusCode.UnsupportedMediaType, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf, application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (got \"{contentType}\")");

    public static StatusException Gone(string message) => new(HttpStatusCode.Gone, "Expired", message);

    public static StatusException TooLarge(string message) => new(HttpStatusCode.RequestEntityTooLarge, "RequestEntityTooLarge", message);

    public static StatusException Internal(string message) => new(HttpStatusCode.InternalServerError, "InternalError", message);

    public static StatusException ServiceUnavailable(string message) => new(HttpStatusCode.ServiceUnavailable, "ServiceUnavailable", message);

    /// <summary>
    /// Upstream's <c>NewForbidden</c>: 403 with reason Forbidden, <c>RESOURCE[.GROUP] "NAME" is forbidden: WHY</c>. Used for
    /// refusals by the API itself (an eviction against a broken disruption budget), not by authorization.
    /// </summary>
    public static StatusException Forbidden(string group, string resource, string name, string why) =>
        new(HttpStatusCode.Forbidden, "Forbidden", $"{Qualified(group, resource)} \"{name}\" is forbidden: {why}", new StatusDetails(name, group, resource, null, []));

    /// <summary>
    /// Upstream's <c>NewForbidden</c> as authorization writes it: the name is left out of the message when the
    /// request names no object, and a request for no resource (a path such as <c>/api</c>) reads <c>forbidden: WHY</c>.
    /// </summary>
    public static StatusException ForbiddenRequest(string group, string resource, string name, string why)
    {
        var message = resource.Length == 0 ? $"forbidden: {why}"
            : name.Length == 0 ? $"{Qualified(group, resource)} is forbidden: {why}"
            : $"{Qualified(group, resource)} \"{name}\" is forbidden: {why}";
        return new(HttpStatusCode.Forbidden, "Forbidden", message, new StatusDetails(name.Length == 0 ? null : name, group, resource.Length == 0 ? null : resource, null, []));
    }

    /// <summary>A 403 whose whole message (<c>RESOURCE "NAME" is forbidden: WHY</c>) was composed by the caller.</summary>
    public static StatusException ForbiddenWithMessage(string group, string resource, string name, string message) =>
        new(HttpStatusCode.Forbidden, "Forbidden", message, new StatusDetails(name.Length == 0 ? null : name, group, resource, null, []));

    /// <summary>Upstream's 401: credentials were presented but are not valid (the reason is logged, never sent).</summary>
    public static StatusException Unauthorized() => new(HttpStatusCode.Unauthorized, "Unauthorized", "Unauthorized");

    /// <summary>
    /// Upstream's <c>NewTooManyRequests</c>: 429 with reason TooManyRequests. A positive
    /// <paramref name="retryAfterSeconds"/> goes into <c>details.retryAfterSeconds</c> and the <c>Retry-After</c> header, as
    /// the apiserver writes it; clients such as <c>kubectl drain</c> retry on 429.
    /// </summary>
    public static StatusException TooManyRequests(string message, int retryAfterSeconds, IReadOnlyList<StatusCause>? causes = null) =>
        new((HttpStatusCode)429, "TooManyRequests", message, new StatusDetails(null, null, null, null, causes ?? [], retryAfterSeconds))
        {
            Headers = RetryAfter(retryAfterSeconds),
        };

    /// <summary>Upstream's <c>NewTimeoutError</c>: 504 with reason Timeout and the message prefixed <c>Timeout: </c>.</summary>
    public static StatusException Timeout(string message, int retryAfterSeconds) =>
        new(HttpStatusCode.GatewayTimeout, "Timeout", $"Timeout: {message}", new StatusDetails(null, null, null, null, [], retryAfterSeconds))
        {
            Headers = RetryAfter(retryAfterSeconds),
        };

    private static Dictionary<string, string>? RetryAfter(int seconds) =>
        seconds > 0 ? new Dictionary<string, string> { ["Retry-After"] = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture) } : null;

    private static string Qualified(string group, string resource) => group.Length == 0 ? resource : $"{resource}.{group}";
}

/// <summary>The <c>details</c> of a Status.</summary>
/// <param name="RetryAfterSeconds">How long a client should wait before retrying; 0 (left out of the body) when unsaid.</param>
public sealed record StatusDetails(string? Name, string? Group, string? Resource, string? Kind, IReadOnlyList<StatusCause> Causes, int RetryAfterSeconds = 0);
