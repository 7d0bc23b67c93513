using k8s.Models;
using Kubesharp.Client.Controllers;
using Kubesharp.Controllers.Common;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Controllers.Deployment;

/// <summary>The Progressing condition and the progress deadline (upstream's <c>progress.go</c>).</summary>
internal sealed partial class DeploymentController
{
    /// <summary>
    /// Upstream's <c>syncRolloutStatus</c>: the status with the Progressing condition (NewReplicaSetAvailable once
    /// complete, ReplicaSetUpdated on progress, ProgressDeadlineExceeded when stuck past the deadline) and any
    /// ReplicaFailure of the ReplicaSets; written when it differs, else the Deployment is requeued for its
    /// next deadline check.
    /// </summary>
    private async Task SyncRolloutStatusAsync(SyncState sync, List<V1ReplicaSet?> allRSs, V1ReplicaSet? newRS)
    {
        var d = sync.D;
        var status = CalculateStatus(allRSs, newRS, d);
        var now = MetaTime.Now(Time);

        if (!DeploymentMath.HasProgressDeadline(d))
        {
            DeploymentConditions.Remove(status, DeploymentConditions.Progressing);
        }

        // With only one active ReplicaSet and the rollout reported complete, there is no progress to estimate.
        var current = DeploymentConditions.Get(d.Status, DeploymentConditions.Progressing);
        var isComplete = status.Replicas == status.UpdatedReplicas && current?.Reason == DeploymentConditions.NewRSAvailableReason;
        if (DeploymentMath.HasProgressDeadline(d) && !isComplete)
        {
            if (DeploymentMath.DeploymentComplete(d, status))
            {
                var message = newRS is null ? $"Deployment \"{d.Metadata.Name}\" has successfully progressed." : $"ReplicaSet \"{newRS.Metadata.Name}\" has successfully progressed.";
                DeploymentConditions.Set(status, DeploymentConditions.New(DeploymentConditions.Progressing, "True", DeploymentConditions.NewRSAvailableReason, message, now));
            }
            else if (DeploymentMath.DeploymentProgressing(d, status))
            {
                var message = newRS is null ? $"Deployment \"{d.Metadata.Name}\" is progressing." : $"ReplicaSet \"{newRS.Metadata.Name}\" is progressing.";
                var condition = DeploymentConditions.New(DeploymentConditions.Progressing, "True", DeploymentConditions.ReplicaSetUpdatedReason, message, now);
                // Progress moves lastUpdateTime even when the reason stays the same; lastTransitionTime stays while True.
                if (current is not null)
                {
                    if (current.Status == "True")
                    {
                        condition.LastTransitionTime = current.LastTransitionTime;
                    }

                    DeploymentConditions.Remove(status, DeploymentConditions.Progressing);
                }

                DeploymentConditions.Set(status, condition);
            }
            else if (DeploymentMath.DeploymentTimedOut(d, status, Time.GetUtcNow()))
            {
                var message = newRS is null ? $"Deployment \"{d.Metadata.Name}\" has timed out progressing." : $"ReplicaSet \"{newRS.Metadata.Name}\" has timed out progressing.";
                DeploymentConditions.Set(status, DeploymentConditions.New(DeploymentConditions.Progressing, "False", DeploymentConditions.TimedOutReason, message, now));
            }
        }

        // The ReplicaSets' failures show on the Deployment: the new one's first, else any old one's.
        if (ReplicaFailures(allRSs, newRS) is { } failure)
        {
            DeploymentConditions.Set(status, failure);
        }
        else
        {
            DeploymentConditions.Remove(status, DeploymentConditions.ReplicaFailure);
        }

        if (DeploymentConditions.SameStatus(d.Status, status))
        {
            RequeueStuckDeployment(sync, status);
            return;
        }

        d.Status = status;
        await UpdateStatusAsync(d, sync.Token).ConfigureAwait(false);
    }

    private static V1DeploymentCondition? ReplicaFailures(IEnumerable<V1ReplicaSet?> allRSs, V1ReplicaSet? newRS)
    {
        if (newRS?.Status?.Conditions?.FirstOrDefault(c => c.Type == DeploymentConditions.ReplicaFailure) is { } fromNew)
        {
            return DeploymentConditions.FromReplicaSet(fromNew);
        }

        foreach (var rs in allRSs)
        {
            if (rs?.Status?.Conditions?.FirstOrDefault(c => c.Type == DeploymentConditions.ReplicaFailure) is { } fromOld)
            {
                return DeploymentConditions.FromReplicaSet(fromOld);
            }
        }

        return null;
    }

    /// <summary>
    /// Upstream's <c>requeueStuckDeployment</c>: a rollout without progress is looked at again when its
    /// deadline passes (lastUpdateTime + progressDeadlineSeconds, plus a second against skew), or at once
    /// (rate-limited) when less than a second is left. Returns the delay, or null when none is needed.
    /// </summary>
    private TimeSpan? RequeueStuckDeployment(SyncState sync, V1DeploymentStatus status)
    {
        var d = sync.D;
        var current = DeploymentConditions.Get(d.Status, DeploymentConditions.Progressing);
        if (!DeploymentMath.HasProgressDeadline(d) || current is null)
        {
            return null;
        }

        if (DeploymentMath.DeploymentComplete(d, status) || current.Reason == DeploymentConditions.TimedOutReason)
        {
            return null;
        }

        var lastUpdate = current.LastUpdateTime is { } t ? MetaTime.Utc(t) : DateTimeOffset.MinValue;
        var after = lastUpdate.AddSeconds(d.Spec.ProgressDeadlineSeconds!.Value) - Time.GetUtcNow();
        if (after < TimeSpan.FromSeconds(1))
        {
            Log.ProgressCheckNow(Logger, d.Metadata.NamespaceProperty, d.Metadata.Name);
            Queue.AddRateLimited(d.Metadata.NamespaceProperty + "/" + d.Metadata.Name);
            return TimeSpan.Zero;
        }

        sync.Result = ReconcileResult.RequeueAfter(after + TimeSpan.FromSeconds(1));
        return after;
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Debug, Message = "Queueing up deployment {Namespace}/{Name} for a progress check now")]
        public static partial void ProgressCheckNow(ILogger logger, string @namespace, string name);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Deployment {Namespace}/{Name}: scaling down old replica sets failed; the next sync tries again")]
        public static partial void ScaleDownFailed(ILogger logger, string @namespace, string name, Exception exception);

        [LoggerMessage(Level = LogLevel.Information, Message = "Found a hash collision for deployment {Namespace}/{Name}: bumping collisionCount {Old} -> {New}")]
        public static partial void HashCollision(ILogger logger, string @namespace, string name, int old, int @new);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Deployment {Namespace}/{Name} has an invalid selector: {Error}")]
        public static partial void InvalidSelector(ILogger logger, string @namespace, string name, string error);
    }
}
