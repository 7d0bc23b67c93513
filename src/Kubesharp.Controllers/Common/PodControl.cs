using k8s;
using k8s.Models;
using Kubesharp.Client.Events;

namespace Kubesharp.Controllers.Common;

/// <summary>
/// Creates and deletes a controller's pods and records the events upstream's <c>RealPodControl</c> records
/// on the controller: SuccessfulCreate "Created pod: x", FailedCreate "Error creating: ...",
/// SuccessfulDelete "Deleted pod: x", FailedDelete "Error deleting: ...". Failures are rethrown.
/// </summary>
internal sealed class PodControl(IWorkloadClient client, IEventRecorder recorder)
{
    public const string SuccessfulCreateReason = "SuccessfulCreate";
    public const string FailedCreateReason = "FailedCreate";
    public const string SuccessfulDeleteReason = "SuccessfulDelete";
    public const string FailedDeleteReason = "FailedDelete";

    /// <summary>Creates one pod from <paramref name="template"/>, named <c>&lt;owner&gt;-&lt;5 random chars&gt;</c> by the server (generateName).</summary>
    public async Task CreatePodAsync(string ns, V1PodTemplateSpec template, IKubernetesObject<V1ObjectMeta> owner, V1OwnerReference controllerRef, CancellationToken cancellationToken)
    {
        var pod = PodFromTemplate(template, owner, controllerRef);
        pod.Metadata.NamespaceProperty = ns;
        if (pod.Metadata.Labels is not { Count: > 0 })
        {
            throw new InvalidOperationException("unable to create pods, no labels");
        }

        V1Pod created;
        try
        {
            created = await client.CreatePodAsync(ns, pod, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            if (!ApiErrors.HasStatusCause(e, ApiErrors.NamespaceTerminatingCause))
            {
                recorder.Event(owner, EventTypes.Warning, FailedCreateReason, "Error creating: " + ApiErrors.Message(e));
            }

            throw;
        }

        recorder.Event(owner, EventTypes.Normal, SuccessfulCreateReason, "Created pod: " + created.Metadata.Name);
    }

    public async Task DeletePodAsync(string ns, string name, IKubernetesObject<V1ObjectMeta> owner, CancellationToken cancellationToken)
    {
        try
        {
            await client.DeletePodAsync(ns, name, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            if (!ApiErrors.IsNotFound(e))
            {
                recorder.Event(owner, EventTypes.Warning, FailedDeleteReason, "Error deleting: " + ApiErrors.Message(e));
            }

            throw;
        }

        recorder.Event(owner, EventTypes.Normal, SuccessfulDeleteReason, "Deleted pod: " + name);
    }

    public Task PatchPodAsync(V1Pod pod, string patch, CancellationToken cancellationToken) =>
        client.PatchPodAsync(pod.Metadata.NamespaceProperty, pod.Metadata.Name, patch, cancellationToken);

    /// <summary>Upstream's <c>GetPodFromTemplate</c>: the template's labels, annotations, finalizers and spec, generateName from the owner.</summary>
    public static V1Pod PodFromTemplate(V1PodTemplateSpec template, IKubernetesObject<V1ObjectMeta> owner, V1OwnerReference? controllerRef)
    {
        var copy = Objects.DeepCopy(template);
        return new V1Pod
        {
            ApiVersion = "v1",
            Kind = "Pod",
            Metadata = new V1ObjectMeta
            {
                Labels = copy.Metadata?.Labels,
                Annotations = copy.Metadata?.Annotations,
                Finalizers = copy.Metadata?.Finalizers,
                GenerateName = PodsPrefix(owner.Metadata.Name),
                OwnerReferences = controllerRef is null ? null : [controllerRef],
            },
            Spec = copy.Spec,
        };
    }

    // The dash makes names prettier, unless the prefix would then be too long for a DNS subdomain.
    private static string PodsPrefix(string controllerName) => controllerName.Length + 1 <= 253 ? controllerName + "-" : controllerName;
}
