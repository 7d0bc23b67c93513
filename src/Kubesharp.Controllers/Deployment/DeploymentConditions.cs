using k8s.Models;
using Kubesharp.Controllers.Common;

namespace Kubesharp.Controllers.Deployment;

/// <summary>The Deployment's conditions and their reasons, as upstream's <c>deployment/util</c> names them (users and kubectl read these).</summary>
internal static class DeploymentConditions
{
    public const string Available = "Available";
    public const string Progressing = "Progressing";
    public const string ReplicaFailure = "ReplicaFailure";

    public const string ReplicaSetUpdatedReason = "ReplicaSetUpdated";
    public const string FailedRSCreateReason = "ReplicaSetCreateError";
    public const string NewReplicaSetReason = "NewReplicaSetCreated";
    public const string FoundNewRSReason = "FoundNewReplicaSet";
    public const string NewRSAvailableReason = "NewReplicaSetAvailable";
    public const string TimedOutReason = "ProgressDeadlineExceeded";
    public const string PausedDeployReason = "DeploymentPaused";
    public const string ResumedDeployReason = "DeploymentResumed";
    public const string MinimumReplicasAvailable = "MinimumReplicasAvailable";
    public const string MinimumReplicasUnavailable = "MinimumReplicasUnavailable";

    public static V1DeploymentCondition New(string type, string status, string reason, string message, DateTime now) => new()
    {
        Type = type,
        Status = status,
        Reason = reason,
        Message = message,
        LastUpdateTime = now,
        LastTransitionTime = now,
    };

    public static V1DeploymentCondition? Get(V1DeploymentStatus? status, string type) =>
        status?.Conditions?.FirstOrDefault(c => c.Type == type);

    /// <summary>
    /// Upstream's <c>SetDeploymentCondition</c>: a condition of the same status and reason is left as it is;
    /// one of the same status keeps its lastTransitionTime; the new one goes last.
    /// </summary>
    public static void Set(V1DeploymentStatus status, V1DeploymentCondition condition)
    {
        var current = Get(status, condition.Type);
        if (current is not null && current.Status == condition.Status && current.Reason == condition.Reason)
        {
            return;
        }

        if (current is not null && current.Status == condition.Status)
        {
            condition.LastTransitionTime = current.LastTransitionTime;
        }

        var conditions = (status.Conditions ?? []).Where(c => c.Type != condition.Type).ToList();
        conditions.Add(condition);
        status.Conditions = conditions;
    }

    public static void Remove(V1DeploymentStatus status, string type)
    {
        if (status.Conditions is { } conditions)
        {
            status.Conditions = [.. conditions.Where(c => c.Type != type)];
        }
    }

    /// <summary>A ReplicaSet's condition as the Deployment shows it (lastUpdateTime = the ReplicaSet's lastTransitionTime).</summary>
    public static V1DeploymentCondition FromReplicaSet(V1ReplicaSetCondition c) => new()
    {
        Type = c.Type,
        Status = c.Status,
        Reason = c.Reason,
        Message = c.Message,
        LastTransitionTime = c.LastTransitionTime,
        LastUpdateTime = c.LastTransitionTime,
    };

    public static V1DeploymentCondition Copy(V1DeploymentCondition c) => new()
    {
        Type = c.Type,
        Status = c.Status,
        Reason = c.Reason,
        Message = c.Message,
        LastTransitionTime = c.LastTransitionTime,
        LastUpdateTime = c.LastUpdateTime,
    };

    /// <summary>Go's <c>reflect.DeepEqual</c> of two statuses, times compared as instants.</summary>
    public static bool SameStatus(V1DeploymentStatus? a, V1DeploymentStatus? b)
    {
        a ??= new V1DeploymentStatus();
        b ??= new V1DeploymentStatus();
        if ((a.ObservedGeneration ?? 0) != (b.ObservedGeneration ?? 0)
            || (a.Replicas ?? 0) != (b.Replicas ?? 0)
            || (a.UpdatedReplicas ?? 0) != (b.UpdatedReplicas ?? 0)
            || (a.ReadyReplicas ?? 0) != (b.ReadyReplicas ?? 0)
            || (a.AvailableReplicas ?? 0) != (b.AvailableReplicas ?? 0)
            || (a.UnavailableReplicas ?? 0) != (b.UnavailableReplicas ?? 0)
            || a.CollisionCount != b.CollisionCount)
        {
            return false;
        }

        var ca = a.Conditions ?? [];
        var cb = b.Conditions ?? [];
        if (ca.Count != cb.Count)
        {
            return false;
        }

        for (var i = 0; i < ca.Count; i++)
        {
            var x = ca[i];
            var y = cb[i];
            if (x.Type != y.Type || x.Status != y.Status || x.Reason != y.Reason || x.Message != y.Message
                || !MetaTime.Same(x.LastUpdateTime, y.LastUpdateTime) || !MetaTime.Same(x.LastTransitionTime, y.LastTransitionTime))
            {
                return false;
            }
        }

        return true;
    }
}
