using System.Net;
using k8s.Models;

namespace Kubesharp.Client.Cache;

/// <summary>
/// The API server answered with a failure <c>Status</c> (code, reason, message): what list, watch and
/// the other client calls of this project throw for an HTTP error status, so that callers can tell
/// 410 Gone, 404 NotFound and 409 Conflict apart without parsing text.
/// </summary>
public sealed class ApiStatusException : Exception
{
    public ApiStatusException(V1Status status)
        : base($"{status.Code} {status.Reason}: {status.Message}")
    {
        Status = status;
    }

    public ApiStatusException()
        : this(new V1Status { Code = 500, Reason = "InternalError", Message = "unknown" })
    {
    }

    public ApiStatusException(string message)
        : this(new V1Status { Code = 500, Reason = "InternalError", Message = message })
    {
    }

    public ApiStatusException(string message, Exception innerException)
        : base(message, innerException)
    {
        Status = new V1Status { Code = 500, Reason = "InternalError", Message = message };
    }

    public V1Status Status { get; }

    public int Code => Status.Code ?? 0;

    /// <summary>410 Gone: the requested resourceVersion is older than the server's history; relist.</summary>
    public bool IsGone => Code == (int)HttpStatusCode.Gone;

    public static bool IsGoneStatus(V1Status? status) => status?.Code == (int)HttpStatusCode.Gone || status?.Reason is "Expired" or "Gone";
}
