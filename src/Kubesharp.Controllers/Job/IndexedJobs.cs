using k8s.Models;
using Kubesharp.Controllers.Common;

namespace Kubesharp.Controllers.Job;

/// <summary>The Indexed completion mode's bookkeeping (upstream's <c>indexed_job_utils.go</c>).</summary>
internal static class IndexedJobs
{
    public static bool IsIndexed(V1Job job) => job.Spec?.CompletionMode == "Indexed";

    /// <summary>
    /// Upstream's <c>calculateSucceededIndexes</c>: the indexes already in <c>status.completedIndexes</c>, and those plus
    /// the indexes of succeeded pods not counted yet (they still carry the tracking finalizer).
    /// </summary>
    public static (OrderedIntervals Previous, OrderedIntervals Current) SucceededIndexes(V1Job job, IEnumerable<V1Pod> pods)
    {
        var completions = job.Spec.Completions ?? 0;
        var previous = OrderedIntervals.Parse(job.Status?.CompletedIndexes, completions);
        var succeeded = new SortedSet<int>();
        foreach (var pod in pods)
        {
            var index = JobPods.CompletionIndex(pod);
            if (pod.Status?.Phase == Pods.Succeeded && index != JobPods.UnknownIndex && index < completions && JobPods.HasTrackingFinalizer(pod))
            {
                succeeded.Add(index);
            }
        }

        return (previous, previous.With([.. succeeded]));
    }

    /// <summary>Upstream's <c>firstPendingIndexes</c>: the first <paramref name="count"/> indexes below <paramref name="completions"/> neither active nor succeeded.</summary>
    public static List<int> FirstPending(IEnumerable<V1Pod> activePods, OrderedIntervals succeeded, int count, int completions)
    {
        var result = new List<int>(Math.Max(count, 0));
        if (count <= 0)
        {
            return result;
        }

        var active = new SortedSet<int>(activePods.Select(JobPods.CompletionIndex).Where(i => i != JobPods.UnknownIndex));
        var candidate = 0;
        foreach (var (first, last) in succeeded.With([.. active]).Intervals)
        {
            for (; candidate < completions && result.Count < count && candidate < first; candidate++)
            {
                result.Add(candidate);
            }

            candidate = Math.Max(candidate, last + 1);
        }

        for (; candidate < completions && result.Count < count; candidate++)
        {
            result.Add(candidate);
        }

        return result;
    }

    /// <summary>
    /// Upstream's <c>appendDuplicatedIndexPodsForRemoval</c>: of the active pods, those without an index, with an index
    /// out of range, and all but one of each repeated index (the one kept is the last in active-pod order) go to
    /// <c>Remove</c>; the others to <c>Keep</c>.
    /// </summary>
    public static (List<V1Pod> Remove, List<V1Pod> Keep) DuplicatedIndexPods(IEnumerable<V1Pod> pods, int completions, DateTimeOffset now)
    {
        var remove = new List<V1Pod>();
        var keep = new List<V1Pod>();
        foreach (var group in pods.GroupBy(JobPods.CompletionIndex).OrderBy(g => g.Key))
        {
            if (group.Key == JobPods.UnknownIndex || group.Key >= completions)
            {
                remove.AddRange(group);
                continue;
            }

            var same = group.ToList();
            if (same.Count > 1)
            {
                PodDeletionOrder.Sort(same, new int[same.Count], now);
            }

            remove.AddRange(same.Take(same.Count - 1));
            keep.Add(same[^1]);
        }

        return (remove, keep);
    }

    /// <summary>Upstream's <c>podGenerateNameWithIndex</c>: <c>&lt;job&gt;-&lt;index&gt;-</c>, the job name cut so that the server's five random characters still fit.</summary>
    public static string GenerateName(string jobName, int index)
    {
        // names.MaxGeneratedNameLength: 63 less the 5 random characters.
        const int MaxGeneratedNameLength = 58;
        var suffix = "-" + index.ToString(System.Globalization.CultureInfo.InvariantCulture) + "-";
        var prefix = jobName + suffix;
        return prefix.Length > MaxGeneratedNameLength ? prefix[..(MaxGeneratedNameLength - suffix.Length)] + suffix : prefix;
    }

    /// <summary>Upstream's <c>addCompletionIndexEnvVariables</c>: <c>JOB_COMPLETION_INDEX</c> from the pod's index label (PodIndexLabel is on in v1.32).</summary>
    public static void AddIndexEnv(V1PodSpec spec)
    {
        foreach (var container in (spec.InitContainers ?? []).Concat(spec.Containers ?? []))
        {
            container.Env ??= [];
            if (container.Env.Any(e => e.Name == JobPods.CompletionIndexEnvName))
            {
                continue;
            }

            container.Env.Add(new V1EnvVar
            {
                Name = JobPods.CompletionIndexEnvName,
                ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { FieldPath = $"metadata.labels['{JobPods.CompletionIndexAnnotation}']" } },
            });
        }
    }
}
