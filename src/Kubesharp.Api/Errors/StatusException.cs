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

    public static StatusException Invalid(string group, string kind, string name, IReadOnlyList<StatusCause> causes) =>
        // Upstream's message is its aggregate error: one cause alone, several distinct ones in brackets.
        new((HttpStatusCode)422, "Invalid", $"{(group.Length == 0 ? kind : kind + "." + group)} \"{name}\" is invalid: {Selectors.GoText.Aggregate([.. causes.Select(c => c.Field is null ? c.Message : $"{c.Field}: {c.Message}")])}", new StatusDetails(name, group, null, kind, causes));

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
        new(HttpStatusCode.UnsupportedMediaType, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (got \"{contentType}\")");

    public static StatusException Gone(string message) => new(HttpStatusCode.Gone, "Expired", message);

    public static StatusException TooLarge(string message) => new(HttpStatusCode.RequestEntityTooLarge, "RequestEntityTooLarge", message);

    public static StatusException Internal(string message) => new(HttpStatusCode.InternalServerError, "InternalError", message);

    public static StatusException ServiceUnavailable(string message) => new(HttpStatusCode.ServiceUnavailable, "ServiceUnavailable", message);

    private static string Qualified(string group, string resource) => group.Length == 0 ? resource : $"{resource}.{group}";
}

/// <summary>The <c>details</c> of a Status.</summary>
public sealed record StatusDetails(string? Name, string? Group, string? Resource, string? Kind, IReadOnlyList<StatusCause> Causes);
