using k8s.Models;
using Kubesharp.Controllers.Common;

namespace Kubesharp.Controllers.Deployment;

/// <summary>
/// The arithmetic of rollouts and scaling, as upstream's <c>deployment/util</c> has it. Pure functions of
/// the objects they are given.
/// </summary>
internal static class DeploymentMath
{
    public const string RollingUpdate = "RollingUpdate";
    public const string Recreate = "Recreate";

    public static int Replicas(V1Deployment d) => d.Spec?.Replicas ?? 1;

    public static int Replicas(V1ReplicaSet? rs) => rs?.Spec?.Replicas ?? 0;

    public static bool IsRollingUpdate(V1Deployment d) => d.Spec?.Strategy?.Type == RollingUpdate;

    /// <summary>maxSurge resolved against spec.replicas; 0 for Recreate.</summary>
    public static int MaxSurge(V1Deployment d)
    {
        if (!IsRollingUpdate(d))
        {
            return 0;
        }

        var rolling = d.Spec.Strategy.RollingUpdate;
        return IntOrPercent.ResolveFenceposts(rolling?.MaxSurge, rolling?.MaxUnavailable, Replicas(d)).Surge;
    }

    /// <summary>maxUnavailable resolved against spec.replicas, never more than spec.replicas; 0 for Recreate or no replicas.</summary>
    public static int MaxUnavailable(V1Deployment d)
    {
        if (!IsRollingUpdate(d) || Replicas(d) == 0)
        {
            return 0;
        }

        var rolling = d.Spec.Strategy.RollingUpdate;
        var unavailable = IntOrPercent.ResolveFenceposts(rolling?.MaxSurge, rolling?.MaxUnavailable, Replicas(d)).Unavailable;
        return Math.Min(unavailable, Replicas(d));
    }

    public static bool HasProgressDeadline(V1Deployment d) => d.Spec?.ProgressDeadlineSeconds is { } s && s != int.MaxValue;

    public static bool HasRevisionHistoryLimit(V1Deployment d) => d.Spec?.RevisionHistoryLimit is { } l && l != int.MaxValue;

    public static int ReplicaCount(IEnumerable<V1ReplicaSet?> replicaSets) => replicaSets.Sum(Replicas);

    public static int ActualReplicaCount(IEnumerable<V1ReplicaSet?> replicaSets) => replicaSets.Sum(rs => rs?.Status?.Replicas ?? 0);

    public static int ReadyReplicaCount(IEnumerable<V1ReplicaSet?> replicaSets) => replicaSets.Sum(rs => rs?.Status?.ReadyReplicas ?? 0);

    public static int AvailableReplicaCount(IEnumerable<V1ReplicaSet?> replicaSets) => replicaSets.Sum(rs => rs?.Status?.AvailableReplicas ?? 0);

    public static List<V1ReplicaSet> Active(IEnumerable<V1ReplicaSet?> replicaSets) => [.. replicaSets.Where(rs => Replicas(rs) > 0).Select(rs => rs!)];

    /// <summary>
    /// Upstream's <c>NewRSNewReplicas</c>: how big the new ReplicaSet may be now. Rolling: up to
    /// spec.replicas + maxSurge pods in all, never past spec.replicas for the new one. Recreate: spec.replicas.
    /// Stricter than upstream, which counts only the ReplicaSets' spec.replicas: a ReplicaSet just scaled down
    /// counts its pods still there (status.replicas) until its controller has removed them, so that the pods in
    /// the cluster, not only the counts, stay within maxSurge.
    /// </summary>
    /// <exception cref="InvalidOperationException">An unknown strategy or an unreadable maxSurge.</exception>
    public static int NewRSNewReplicas(V1Deployment d, IEnumerable<V1ReplicaSet?> allRSs, V1ReplicaSet newRS)
    {
        switch (d.Spec?.Strategy?.Type)
        {
            case RollingUpdate:
                var maxSurge = IntOrPercent.Scaled(d.Spec.Strategy.RollingUpdate?.MaxSurge, Replicas(d), roundUp: true)
                    ?? throw new InvalidOperationException($"invalid maxSurge {d.Spec.Strategy.RollingUpdate?.MaxSurge?.Value}");
                var current = allRSs.Sum(rs => Math.Max(Replicas(rs), rs?.Status?.Replicas ?? 0));
                var maxTotal = Replicas(d) + maxSurge;
                if (current >= maxTotal)
                {
                    return Replicas(newRS);
                }

                var scaleUp = Math.Min(maxTotal - current, Replicas(d) - Replicas(newRS));
                return Replicas(newRS) + scaleUp;
            case Recreate:
                return Replicas(d);
            default:
                throw new InvalidOperationException($"deployment type {d.Spec?.Strategy?.Type} isn't supported");
        }
    }

    /// <summary>
    /// Upstream's <c>GetProportion</c>: this ReplicaSet's share of <paramref name="toAdd"/> (negative to remove),
    /// in proportion to its size before the deployment was scaled, bounded by what is left to hand out.
    /// </summary>
    public static int Proportion(V1ReplicaSet? rs, V1Deployment d, int toAdd, int added)
    {
        if (rs is null || Replicas(rs) == 0 || toAdd == 0 || toAdd == added)
        {
            return 0;
        }

        var fraction = ReplicaSetFraction(rs, d);
        var allowed = toAdd - added;
        // Up: no more than is left to add. Down: no more than is left to remove.
        return toAdd > 0 ? Math.Min(fraction, allowed) : Math.Max(fraction, allowed);
    }

    private static int ReplicaSetFraction(V1ReplicaSet rs, V1Deployment d)
    {
        // Scaling to zero: the whole ReplicaSet goes.
        if (Replicas(d) == 0)
        {
            return -Replicas(rs);
        }

        var maxReplicas = Replicas(d) + MaxSurge(d);
        var before = DeploymentAnnotations.MaxReplicasOf(rs) ?? 0;
        if (before == 0)
        {
            // The annotation was removed or tampered with: estimate from the deployment's size.
            before = d.Status?.Replicas ?? 0;
        }

        if (before == 0)
        {
            // Upstream divides by zero here (and gets an infinity); no estimate is the honest answer.
            return 0;
        }

        var size = (double)Replicas(rs) * maxReplicas / before;
        return (int)Math.Round(size, MidpointRounding.AwayFromZero) - Replicas(rs);
    }

    /// <summary>The new ReplicaSet has all the replicas, all desired, all available.</summary>
    public static bool IsSaturated(V1Deployment d, V1ReplicaSet? rs) =>
        rs is not null
        && DeploymentAnnotations.DesiredReplicasOf(rs) is { } desired
        && Replicas(rs) == Replicas(d)
        && desired == Replicas(d)
        && (rs.Status?.AvailableReplicas ?? 0) == Replicas(d);

    /// <summary>
    /// Upstream's <c>FindActiveOrLatest</c>: the one ReplicaSet with replicas, or with none at all the new one
    /// (else the newest old one); null when several have replicas.
    /// </summary>
    public static V1ReplicaSet? FindActiveOrLatest(V1ReplicaSet? newRS, List<V1ReplicaSet> oldRSs)
    {
        if (newRS is null && oldRSs.Count == 0)
        {
            return null;
        }

        oldRSs.Sort((a, b) => ReplicaSetOrder.ByCreation(b, a));
        var all = Active(oldRSs.Append(newRS));
        return all.Count switch
        {
            0 => newRS ?? oldRSs[0],
            1 => all[0],
            _ => null,
        };
    }

    /// <summary>The rollout is done: every replica updated and available, and the latest spec observed.</summary>
    public static bool DeploymentComplete(V1Deployment d, V1DeploymentStatus status) =>
        (status.UpdatedReplicas ?? 0) == Replicas(d)
        && (status.Replicas ?? 0) == Replicas(d)
        && (status.AvailableReplicas ?? 0) == Replicas(d)
        && (status.ObservedGeneration ?? 0) >= Objects.Generation(d);

    /// <summary>Upstream's <c>DeploymentProgressing</c>: more updated, ready or available replicas, or fewer old ones, than the stored status.</summary>
    public static bool DeploymentProgressing(V1Deployment d, V1DeploymentStatus status)
    {
        var old = d.Status ?? new V1DeploymentStatus();
        var oldOld = (old.Replicas ?? 0) - (old.UpdatedReplicas ?? 0);
        var newOld = (status.Replicas ?? 0) - (status.UpdatedReplicas ?? 0);
        return (status.UpdatedReplicas ?? 0) > (old.UpdatedReplicas ?? 0)
            || newOld < oldOld
            || (status.ReadyReplicas ?? 0) > (old.ReadyReplicas ?? 0)
            || (status.AvailableReplicas ?? 0) > (old.AvailableReplicas ?? 0);
    }

    /// <summary>Upstream's <c>DeploymentTimedOut</c>: no progress for progressDeadlineSeconds since the Progressing condition's lastUpdateTime.</summary>
    public static bool DeploymentTimedOut(V1Deployment d, V1DeploymentStatus status, DateTimeOffset now)
    {
        if (!HasProgressDeadline(d))
        {
            return false;
        }

        var condition = DeploymentConditions.Get(status, DeploymentConditions.Progressing);
        if (condition is null)
        {
            return false;
        }

        // A finished rollout is not estimated again (a resync can come before the cache shows the new ReplicaSet).
        if (condition.Reason == DeploymentConditions.NewRSAvailableReason)
        {
            return false;
        }

        if (condition.Reason == DeploymentConditions.TimedOutReason)
        {
            return true;
        }

        var from = condition.LastUpdateTime is { } t ? MetaTime.Utc(t) : DateTimeOffset.MinValue;
        return from.AddSeconds(d.Spec.ProgressDeadlineSeconds!.Value) < now;
    }

    /// <summary>
    /// Upstream's <c>FindNewReplicaSet</c>: the oldest ReplicaSet whose template equals the Deployment's, the
    /// hash label aside (several can match after upgrades; the oldest is chosen deterministically).
    /// </summary>
    public static V1ReplicaSet? FindNewReplicaSet(V1Deployment d, List<V1ReplicaSet> rsList)
    {
        rsList.Sort(ReplicaSetOrder.ByCreation);
        return rsList.FirstOrDefault(rs => PodTemplateHash.EqualIgnoreHash(rs.Spec?.Template, d.Spec?.Template));
    }

    /// <summary>The old ReplicaSets: those with replicas, and all of them.</summary>
    public static (List<V1ReplicaSet> WithReplicas, List<V1ReplicaSet> All) FindOldReplicaSets(V1Deployment d, List<V1ReplicaSet> rsList)
    {
        var newRS = FindNewReplicaSet(d, rsList);
        var required = new List<V1ReplicaSet>();
        var all = new List<V1ReplicaSet>();
        foreach (var rs in rsList)
        {
            if (newRS is not null && rs.Metadata.Uid == newRS.Metadata.Uid)
            {
                continue;
            }

            all.Add(rs);
            if (Replicas(rs) != 0)
            {
                required.Add(rs);
            }
        }

        return (required, all);
    }
}

/// <summary>The orders upstream sorts ReplicaSets in (<c>controller.ReplicaSetsBy*</c>).</summary>
internal static class ReplicaSetOrder
{
    /// <summary>Older first; equal times by name.</summary>
    public static int ByCreation(V1ReplicaSet a, V1ReplicaSet b)
    {
        var ta = a.Metadata.CreationTimestamp is { } x ? MetaTime.Utc(x) : DateTimeOffset.MinValue;
        var tb = b.Metadata.CreationTimestamp is { } y ? MetaTime.Utc(y) : DateTimeOffset.MinValue;
        return ta == tb ? string.CompareOrdinal(a.Metadata.Name, b.Metadata.Name) : ta.CompareTo(tb);
    }

    /// <summary>Bigger first; equal sizes older first (scaling down takes from old ones first).</summary>
    public static int BySizeOlder(V1ReplicaSet a, V1ReplicaSet b) =>
        DeploymentMath.Replicas(a) == DeploymentMath.Replicas(b) ? ByCreation(a, b) : DeploymentMath.Replicas(b).CompareTo(DeploymentMath.Replicas(a));

    /// <summary>Bigger first; equal sizes newer first (scaling up gives to new ones first).</summary>
    public static int BySizeNewer(V1ReplicaSet a, V1ReplicaSet b) =>
        DeploymentMath.Replicas(a) == DeploymentMath.Replicas(b) ? ByCreation(b, a) : DeploymentMath.Replicas(b).CompareTo(DeploymentMath.Replicas(a));

    /// <summary>Lower revision first; equal revisions by creation.</summary>
    public static int ByRevision(V1ReplicaSet a, V1ReplicaSet b)
    {
        var ra = DeploymentAnnotations.RevisionOf(a);
        var rb = DeploymentAnnotations.RevisionOf(b);
        return ra is null || rb is null || ra == rb ? ByCreation(a, b) : ra.Value.CompareTo(rb.Value);
    }
}
