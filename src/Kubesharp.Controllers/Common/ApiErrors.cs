using k8s.Models;
using Kubesharp.Client.Cache;

namespace Kubesharp.Controllers.Common;

/// <summary>
/// Tells API failures apart as apimachinery's <c>errors.IsNotFound</c> and friends do, from the
/// <see cref="ApiStatusException"/> that <see cref="IWorkloadClient"/> throws.
/// </summary>
internal static class ApiErrors
{
    /// <summary>The cause type the API server puts on a create refused in a terminating namespace (<c>v1.NamespaceTerminatingCause</c>).</summary>
    public const string NamespaceTerminatingCause = "NamespaceTerminating";

    public static bool IsNotFound(Exception e) => e is ApiStatusException { Code: 404 } || Reason(e) == "NotFound";

    public static bool IsAlreadyExists(Exception e) => Reason(e) == "AlreadyExists";

    public static bool IsConflict(Exception e) => Reason(e) == "Conflict";

    public static bool IsInvalid(Exception e) => e is ApiStatusException { Code: 422 } || Reason(e) == "Invalid";

    public static bool HasStatusCause(Exception e, string causeType) =>
        e is ApiStatusException { Status.Details.Causes: { } causes } && causes.Any(c => c.Reason == causeType);

    /// <summary>What Go's <c>err.Error()</c> prints for an API error: the Status message; otherwise the exception's message.</summary>
    public static string Message(Exception e) => e is ApiStatusException { Status.Message: { Length: > 0 } message } ? message : e.Message;

    private static string? Reason(Exception e) => (e as ApiStatusException)?.Status.Reason;

    /// <summary>A Status exception as the API server would send it, for fakes and for errors found locally.</summary>
    public static ApiStatusException Status(int code, string reason, string message) =>
        new(new V1Status { Code = code, Reason = reason, Message = message, Status = "Failure" });
}
