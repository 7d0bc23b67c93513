using System.Net;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Kubesharp.Client.Cache;

namespace Kubesharp.Controllers.Dynamic;

/// <summary>
/// Tells the expected API failures apart, whichever client raised them: the generated client's
/// <see cref="HttpOperationException"/> or this project's <see cref="ApiStatusException"/>.
/// </summary>
public static class ApiErrors
{
    /// <summary>The cause upstream's NamespaceLifecycle admission gives when a namespace being deleted refuses new content.</summary>
    public const string NamespaceTerminatingCause = "NamespaceTerminating";

    public static bool IsNotFound(Exception e) => StatusOf(e) is { Code: 404 };

    public static bool IsAlreadyExists(Exception e) => StatusOf(e) is { Code: 409, Reason: "AlreadyExists" };

    /// <summary>409 Conflict: a lost compare-and-swap (stale resourceVersion or a failed precondition).</summary>
    public static bool IsConflict(Exception e) => StatusOf(e) is { Code: 409 } status && status.Reason != "AlreadyExists";

    public static bool IsMethodNotSupported(Exception e) => StatusOf(e) is { Code: 405 };

    public static bool HasCause(Exception e, string reason) =>
        StatusOf(e)?.Details?.Causes?.Any(c => c.Reason == reason) == true;

    /// <summary>The Status the server answered with, or null for a failure that is not an API answer.</summary>
    public static V1Status? StatusOf(Exception e)
    {
        switch (e)
        {
            case ApiStatusException api:
                return api.Status;
            case HttpOperationException http when http.Response is { } response:
                V1Status? status = null;
                try
                {
                    status = string.IsNullOrEmpty(response.Content) ? null : KubernetesJson.Deserialize<V1Status>(response.Content);
                }
                catch (JsonException)
                {
                    // Not a Status body.
                }

                status ??= new V1Status();
                status.Code ??= (int)response.StatusCode;
                if (status.Code == 0)
                {
                    status.Code = (int)response.StatusCode;
                }

                return status;
            default:
                return null;
        }
    }

    public static HttpStatusCode? CodeOf(Exception e) => StatusOf(e)?.Code is { } code ? (HttpStatusCode)code : null;
}
