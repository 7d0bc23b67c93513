using System.Globalization;
using k8s.Models;
using Kubesharp.Controllers.Common;

namespace Kubesharp.Controllers.Job;

/// <summary>What the Job controller reads and writes on its pods: the tracking finalizer, the completion index, failure and finish times.</summary>
internal static class JobPods
{
    /// <summary>Upstream's <c>batch.JobTrackingFinalizer</c>: a finished pod is not removed before the Job has counted it.</summary>
    public const string TrackingFinalizer = "batch.kubernetes.io/job-tracking";

    /// <summary>The annotation (and, with PodIndexLabel, the label) that carries an Indexed Job pod's index.</summary>
    public const string CompletionIndexAnnotation = "batch.kubernetes.io/job-completion-index";

    public const string CompletionIndexEnvName = "JOB_COMPLETION_INDEX";

    public const int UnknownIndex = -1;

    public static bool HasTrackingFinalizer(V1Pod pod) => pod.Metadata?.Finalizers?.Contains(TrackingFinalizer) == true;

    /// <summary>Upstream's <c>removeTrackingFinalizerPatch</c>: a strategic merge patch deleting just our finalizer; null when the pod has none.</summary>
    public static string? RemoveTrackingFinalizerPatch(V1Pod pod) =>
        HasTrackingFinalizer(pod) ? """{"metadata":{"$deleteFromPrimitiveList/finalizers":["batch.kubernetes.io/job-tracking"]}}""" : null;

    /// <summary>The pod's completion index, or <see cref="UnknownIndex"/> when absent, unparsable or negative.</summary>
    public static int CompletionIndex(V1Pod pod) =>
        pod.Metadata?.Annotations is { } annotations && annotations.TryGetValue(CompletionIndexAnnotation, out var text)
            && int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var index) && index >= 0
            ? index
            : UnknownIndex;

    /// <summary>
    /// Upstream's <c>isPodFailed</c>: Failed, or (unless only failed pods are replaced) being deleted before
    /// it succeeded, which counts orphans that never reach the Failed phase.
    /// </summary>
    public static bool IsFailed(V1Pod pod, bool onlyReplaceFailed) =>
        pod.Status?.Phase == Pods.Failed
        || (!onlyReplaceFailed && pod.Metadata?.DeletionTimestamp is not null && pod.Status?.Phase != Pods.Succeeded);

    /// <summary>Being deleted and not finished: <c>controller.CountTerminatingPods</c>.</summary>
    public static bool IsTerminating(V1Pod pod) =>
        pod.Metadata?.DeletionTimestamp is not null && pod.Status?.Phase is not (Pods.Succeeded or Pods.Failed);

    /// <summary>
    /// Upstream's <c>getFinishedTime</c>: the latest container finish when every container finished; else the Ready=False
    /// transition; else the deletion time less the grace period; else the creation time.
    /// </summary>
    public static DateTimeOffset FinishedTime(V1Pod pod)
    {
        if (FinishTimeFromContainers(pod) is { } containers)
        {
            return containers;
        }

        if (Pods.ReadyCondition(pod) is { Status: "False", LastTransitionTime: { } notReady })
        {
            return MetaTime.Utc(notReady);
        }

        if (pod.Metadata?.DeletionTimestamp is { } deleted)
        {
            return MetaTime.Utc(deleted).AddSeconds(-(pod.Metadata.DeletionGracePeriodSeconds ?? 0));
        }

        return pod.Metadata?.CreationTimestamp is { } created ? MetaTime.Utc(created) : DateTimeOffset.MinValue;
    }

    private static DateTimeOffset? FinishTimeFromContainers(V1Pod pod)
    {
        DateTimeOffset? latest = null;
        var sidecars = pod.Spec?.InitContainers?.Where(c => c.RestartPolicy == "Always").Select(c => c.Name).ToHashSet(StringComparer.Ordinal) ?? [];
        var statuses = (pod.Status?.ContainerStatuses ?? []).Concat((pod.Status?.InitContainerStatuses ?? []).Where(s => sidecars.Contains(s.Name)));
        foreach (var status in statuses)
        {
            if (status.State?.Terminated?.FinishedAt is not { } finished)
            {
                return null;
            }

            var at = MetaTime.Utc(finished);
            if (latest is null || at > latest)
            {
                latest = at;
            }
        }

        return latest;
    }
}
