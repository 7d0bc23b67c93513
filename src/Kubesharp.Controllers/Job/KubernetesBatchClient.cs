using k8s;
using k8s.Models;
using Kubesharp.Controllers.Common;

namespace Kubesharp.Controllers.Job;

/// <summary><see cref="IBatchClient"/> over the KubernetesClient package: one typed call each, failures turned into <see cref="Kubesharp.Client.Cache.ApiStatusException"/>.</summary>
internal sealed class KubernetesBatchClient(IKubernetes client) : IBatchClient
{
    public Task<V1Pod> CreatePodAsync(string ns, V1Pod pod, CancellationToken cancellationToken) =>
        KubernetesWorkloadClient.Call(() => client.CoreV1.CreateNamespacedPodAsync(pod, ns, cancellationToken: cancellationToken));

    public Task DeletePodAsync(string ns, string name, CancellationToken cancellationToken) =>
        KubernetesWorkloadClient.Call(() => client.CoreV1.DeleteNamespacedPodAsync(name, ns, cancellationToken: cancellationToken));

    public Task<V1Pod> PatchPodAsync(string ns, string name, string strategicMergePatch, CancellationToken cancellationToken) =>
        KubernetesWorkloadClient.Call(() => client.CoreV1.PatchNamespacedPodAsync(new V1Patch(strategicMergePatch, V1Patch.PatchType.StrategicMergePatch), name, ns, cancellationToken: cancellationToken));

    public Task<V1Job> GetJobAsync(string ns, string name, CancellationToken cancellationToken) =>
        KubernetesWorkloadClient.Call(() => client.BatchV1.ReadNamespacedJobAsync(name, ns, cancellationToken: cancellationToken));

    public Task<V1Job> CreateJobAsync(string ns, V1Job job, CancellationToken cancellationToken) =>
        KubernetesWorkloadClient.Call(() => client.BatchV1.CreateNamespacedJobAsync(job, ns, cancellationToken: cancellationToken));

    public Task<V1Job> UpdateJobStatusAsync(V1Job job, CancellationToken cancellationToken) =>
        KubernetesWorkloadClient.Call(() => client.BatchV1.ReplaceNamespacedJobStatusAsync(job, job.Metadata.Name, job.Metadata.NamespaceProperty, cancellationToken: cancellationToken));

    public Task DeleteJobAsync(string ns, string name, string propagationPolicy, string? uid, CancellationToken cancellationToken) =>
        KubernetesWorkloadClient.Call(() => client.BatchV1.DeleteNamespacedJobAsync(
            name,
            ns,
            new V1DeleteOptions { PropagationPolicy = propagationPolicy, Preconditions = uid is null ? null : new V1Preconditions { Uid = uid } },
            cancellationToken: cancellationToken));

    public Task<V1CronJob> GetCronJobAsync(string ns, string name, CancellationToken cancellationToken) =>
        KubernetesWorkloadClient.Call(() => client.BatchV1.ReadNamespacedCronJobAsync(name, ns, cancellationToken: cancellationToken));

    public Task<V1CronJob> UpdateCronJobStatusAsync(V1CronJob cronJob, CancellationToken cancellationToken) =>
        KubernetesWorkloadClient.Call(() => client.BatchV1.ReplaceNamespacedCronJobStatusAsync(cronJob, cronJob.Metadata.Name, cronJob.Metadata.NamespaceProperty, cancellationToken: cancellationToken));
}
