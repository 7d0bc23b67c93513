using k8s.Models;

namespace Kubesharp.Controllers.Common;

/// <summary>Pod predicates as upstream's <c>podutil</c> and <c>controller</c> packages have them.</summary>
internal static class Pods
{
    public const string Pending = "Pending";
    public const string Running = "Running";
    public const string Succeeded = "Succeeded";
    public const string Failed = "Failed";
    public const string Unknown = "Unknown";

    /// <summary>Not finished (Succeeded or Failed) and not being deleted: <c>controller.IsPodActive</c>.</summary>
    public static bool IsActive(V1Pod pod) =>
        pod.Status?.Phase is not (Succeeded or Failed) && pod.Metadata?.DeletionTimestamp is null;

    public static List<V1Pod> FilterActive(IEnumerable<V1Pod> pods) => [.. pods.Where(IsActive)];

    public static V1PodCondition? ReadyCondition(V1Pod pod) =>
        pod.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready");

    /// <summary>The Ready condition is True.</summary>
    public static bool IsReady(V1Pod pod) => ReadyCondition(pod)?.Status == "True";

    /// <summary>
    /// Ready, and ready for at least <paramref name="minReadySeconds"/> by the Ready condition's
    /// lastTransitionTime (upstream's <c>IsPodAvailable</c>: strictly before now).
    /// </summary>
    public static bool IsAvailable(V1Pod pod, int minReadySeconds, DateTimeOffset now)
    {
        var ready = ReadyCondition(pod);
        if (ready?.Status != "True")
        {
            return false;
        }

        if (minReadySeconds == 0)
        {
            return true;
        }

        return ready.LastTransitionTime is { } since && MetaTime.Utc(since).AddSeconds(minReadySeconds) < now;
    }

    /// <summary>When the pod became ready (the Ready condition's lastTransitionTime), or null when not ready or unknown.</summary>
    public static DateTimeOffset? ReadyTime(V1Pod pod)
    {
        var ready = ReadyCondition(pod);
        return ready?.Status == "True" && ready.LastTransitionTime is { } since ? MetaTime.Utc(since) : null;
    }

    public static int MaxContainerRestarts(V1Pod pod)
    {
        var max = 0;
        if (pod.Status?.ContainerStatuses is { } statuses)
        {
            foreach (var status in statuses)
            {
                max = Math.Max(max, status.RestartCount);
            }
        }

        return max;
    }

    /// <summary><c>namespace/name</c>, as upstream's <c>controller.PodKey</c>.</summary>
    public static string Key(V1Pod pod) => pod.Metadata.NamespaceProperty + "/" + pod.Metadata.Name;
}
