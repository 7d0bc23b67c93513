using System.Globalization;
using k8s.Models;

namespace Kubesharp.Controllers.Common;

/// <summary>
/// Which pods a ReplicaSet (or replication controller) deletes first when it has too many: upstream's
/// <c>ActivePodsWithRanks.Less</c> as v1.32 runs it (PodDeletionCost and LogarithmicScaleDown on, their
/// defaults). A pod sorts earlier, so is deleted sooner, when it is:
/// <list type="number">
/// <item>unassigned (no node) rather than assigned;</item>
/// <item>Pending, then Unknown, then Running (other phases count as Pending);</item>
/// <item>not ready rather than ready;</item>
/// <item>of lower <c>controller.kubernetes.io/pod-deletion-cost</c>;</item>
/// <item>of higher rank: more related active pods on its node (doubled up);</item>
/// <item>both ready: ready more recently, compared on a log2 scale of time since ready, ties broken by UID;</item>
/// <item>of more container restarts;</item>
/// <item>created more recently, on the same log2 scale, ties broken by UID.</item>
/// </list>
/// A missing time sorts first in both time comparisons. Like Go's <c>sort.Sort</c>, the sort is not stable.
/// </summary>
internal static class PodDeletionOrder
{
    public const string DeletionCostAnnotation = "controller.kubernetes.io/pod-deletion-cost";

    /// <summary>
    /// The <paramref name="count"/> pods of <paramref name="pods"/> to delete, ranking each by the active pods of
    /// <paramref name="related"/> on its node (upstream's <c>getPodsToDelete</c>). Sorts <paramref name="pods"/> in place.
    /// </summary>
    public static List<V1Pod> PodsToDelete(List<V1Pod> pods, IReadOnlyList<V1Pod> related, int count, DateTimeOffset now)
    {
        // No need to sort when all go.
        if (count < pods.Count)
        {
            var onNode = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var pod in related)
            {
                if (Pods.IsActive(pod))
                {
                    var node = pod.Spec?.NodeName ?? "";
                    onNode[node] = onNode.GetValueOrDefault(node) + 1;
                }
            }

            Sort(pods, [.. pods.Select(p => onNode.GetValueOrDefault(p.Spec?.NodeName ?? ""))], now);
        }

        return pods.GetRange(0, Math.Min(count, pods.Count));
    }

    /// <summary>Sorts <paramref name="pods"/> (with their <paramref name="ranks"/>) so that the pods to delete first come first.</summary>
    public static void Sort(List<V1Pod> pods, int[] ranks, DateTimeOffset now)
    {
        var ranked = pods.Select((p, i) => (Pod: p, Rank: ranks[i])).ToArray();
        Array.Sort(ranked, (a, b) => Less(a.Pod, a.Rank, b.Pod, b.Rank, now) ? -1 : Less(b.Pod, b.Rank, a.Pod, a.Rank, now) ? 1 : 0);
        for (var i = 0; i < ranked.Length; i++)
        {
            pods[i] = ranked[i].Pod;
            ranks[i] = ranked[i].Rank;
        }
    }

    /// <summary>True when <paramref name="a"/> should be deleted before <paramref name="b"/>.</summary>
    public static bool Less(V1Pod a, int rankA, V1Pod b, int rankB, DateTimeOffset now)
    {
        var nodeA = a.Spec?.NodeName ?? "";
        var nodeB = b.Spec?.NodeName ?? "";
        if (nodeA != nodeB && (nodeA.Length == 0 || nodeB.Length == 0))
        {
            return nodeA.Length == 0;
        }

        var phaseA = PhaseOrdinal(a.Status?.Phase);
        var phaseB = PhaseOrdinal(b.Status?.Phase);
        if (phaseA != phaseB)
        {
            return phaseA < phaseB;
        }

        var readyA = Pods.IsReady(a);
        var readyB = Pods.IsReady(b);
        if (readyA != readyB)
        {
            return !readyA;
        }

        var costA = DeletionCost(a);
        var costB = DeletionCost(b);
        if (costA != costB)
        {
            return costA < costB;
        }

        if (rankA != rankB)
        {
            return rankA > rankB;
        }

        if (readyA && readyB)
        {
            var timeA = Pods.ReadyTime(a);
            var timeB = Pods.ReadyTime(b);
            if (timeA != timeB)
            {
                return LaterOnLogScale(timeA, timeB, a, b, now);
            }
        }

        var restartsA = Pods.MaxContainerRestarts(a);
        var restartsB = Pods.MaxContainerRestarts(b);
        if (restartsA != restartsB)
        {
            return restartsA > restartsB;
        }

        var createdA = a.Metadata?.CreationTimestamp is { } ca ? MetaTime.Utc(ca) : (DateTimeOffset?)null;
        var createdB = b.Metadata?.CreationTimestamp is { } cb ? MetaTime.Utc(cb) : (DateTimeOffset?)null;
        if (createdA != createdB)
        {
            return LaterOnLogScale(createdA, createdB, a, b, now);
        }

        return false;
    }

    // Upstream's afterOrZero when a time is missing, else logarithmicRankDiff with the UID as tie-break.
    private static bool LaterOnLogScale(DateTimeOffset? t1, DateTimeOffset? t2, V1Pod a, V1Pod b, DateTimeOffset now)
    {
        if (t1 is null || t2 is null)
        {
            return t1 is null;
        }

        var diff = LogRank(now - t1.Value) - LogRank(now - t2.Value);
        return diff == 0 ? string.CompareOrdinal(a.Metadata?.Uid, b.Metadata?.Uid) < 0 : diff < 0;
    }

    // int64(math.Log2(float64(d))) over nanoseconds; -1 for zero or negative durations.
    private static long LogRank(TimeSpan d) => d > TimeSpan.Zero ? (long)Math.Log2(d.Ticks * 100.0) : -1;

    private static int PhaseOrdinal(string? phase) => phase switch
    {
        Pods.Unknown => 1,
        Pods.Running => 2,
        _ => 0,
    };

    // Upstream ignores an unparsable cost (it reads as 0); validation refuses one on create anyway.
    private static int DeletionCost(V1Pod pod) =>
        pod.Metadata?.Annotations is { } annotations && annotations.TryGetValue(DeletionCostAnnotation, out var text)
            && int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var cost)
            ? cost
            : 0;
}
