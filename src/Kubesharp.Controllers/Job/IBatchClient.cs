using k8s.Models;

namespace Kubesharp.Controllers.Job;

/// <summary>
/// The API calls the Job, CronJob and TTL-after-finished controllers make (client-go's typed clients,
/// narrowed to what they use), so that unit tests can stand a recording fake in for the API server.
/// <para>
/// Contract: as <see cref="Common.IWorkloadClient"/>: every call is one request, no caching or retries; a failure the
/// server answered throws <see cref="Kubesharp.Client.Cache.ApiStatusException"/> (see <see cref="Common.ApiErrors"/>),
/// a transport failure whatever the transport throws; the callers let their work queue retry. Thread-safe.
/// </para>
/// </summary>
internal interface IBatchClient
{
    Task<V1Pod> CreatePodAsync(string ns, V1Pod pod, CancellationToken cancellationToken);

    /// <summary>Deletes with the server's default options; a pod with finalizers is only marked (deletionTimestamp).</summary>
    Task DeletePodAsync(string ns, string name, CancellationToken cancellationToken);

    /// <summary>A strategic merge patch, as JSON text (adoption, release, finalizer removal).</summary>
    Task<V1Pod> PatchPodAsync(string ns, string name, string strategicMergePatch, CancellationToken cancellationToken);

    Task<V1Job> GetJobAsync(string ns, string name, CancellationToken cancellationToken);

    Task<V1Job> CreateJobAsync(string ns, V1Job job, CancellationToken cancellationToken);

    /// <summary>A PUT of the status subresource; a compare-and-swap on the resourceVersion (409 Conflict when stale).</summary>
    Task<V1Job> UpdateJobStatusAsync(V1Job job, CancellationToken cancellationToken);

    /// <summary>Deletes with <paramref name="propagationPolicy"/> (Background, Foreground) and, when given, the UID as a precondition (409 Conflict when it differs).</summary>
    Task DeleteJobAsync(string ns, string name, string propagationPolicy, string? uid, CancellationToken cancellationToken);

    Task<V1CronJob> GetCronJobAsync(string ns, string name, CancellationToken cancellationToken);

    /// <summary>A PUT of the status subresource; a compare-and-swap on the resourceVersion.</summary>
    Task<V1CronJob> UpdateCronJobStatusAsync(V1CronJob cronJob, CancellationToken cancellationToken);
}
