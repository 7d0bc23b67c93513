using k8s.Models;

namespace Kubesharp.Controllers.Deployment;

/// <summary>The RollingUpdate strategy (upstream's <c>rolling.go</c>).</summary>
internal sealed partial class DeploymentController
{
    private async Task RolloutRollingAsync(SyncState sync)
    {
        var d = sync.D;
        var (newRS, oldRSs) = await AllReplicaSetsAndSyncRevisionAsync(sync, createIfNotExisted: true).ConfigureAwait(false);
        var allRSs = oldRSs.Append(newRS).ToList();

        // Up first, if we can.
        if (await ReconcileNewReplicaSetAsync(sync, allRSs, newRS!).ConfigureAwait(false))
        {
            (newRS, oldRSs) = Current(sync, newRS, oldRSs);
            await SyncRolloutStatusAsync(sync, [.. oldRSs, newRS], newRS).ConfigureAwait(false);
            return;
        }

        // Then down, if we can.
        if (await ReconcileOldReplicaSetsAsync(sync, allRSs, DeploymentMath.Active(oldRSs), newRS!).ConfigureAwait(false))
        {
            (newRS, oldRSs) = Current(sync, newRS, oldRSs);
            await SyncRolloutStatusAsync(sync, [.. oldRSs, newRS], newRS).ConfigureAwait(false);
            return;
        }

        if (DeploymentMath.DeploymentComplete(d, d.Status ?? new V1DeploymentStatus()))
        {
            await CleanupDeploymentAsync(sync, oldRSs).ConfigureAwait(false);
        }

        await SyncRolloutStatusAsync(sync, [.. oldRSs, newRS], newRS).ConfigureAwait(false);
    }

    private async Task<bool> ReconcileNewReplicaSetAsync(SyncState sync, List<V1ReplicaSet?> allRSs, V1ReplicaSet newRS)
    {
        var d = sync.D;
        var replicas = DeploymentMath.Replicas(d);
        if (DeploymentMath.Replicas(newRS) == replicas)
        {
            return false;
        }

        if (DeploymentMath.Replicas(newRS) > replicas)
        {
            return (await ScaleReplicaSetAndRecordEventAsync(sync, newRS, replicas).ConfigureAwait(false)).Scaled;
        }

        var newReplicas = DeploymentMath.NewRSNewReplicas(d, allRSs, newRS);
        return (await ScaleReplicaSetAndRecordEventAsync(sync, newRS, newReplicas).ConfigureAwait(false)).Scaled;
    }

    /// <summary>
    /// Upstream's <c>reconcileOldReplicaSets</c>: scales old ReplicaSets down as far as availability allows.
    /// At most allPods - minAvailable - (new pods not yet available) go, unhealthy old pods first: taking
    /// unavailable pods away costs no availability, and leaving them would block the rollout.
    /// </summary>
    private async Task<bool> ReconcileOldReplicaSetsAsync(SyncState sync, List<V1ReplicaSet?> allRSs, List<V1ReplicaSet> oldRSs, V1ReplicaSet newRS)
    {
        var d = sync.D;
        var oldPods = DeploymentMath.ReplicaCount(oldRSs);
        if (oldPods == 0)
        {
            return false;
        }

        var allPods = DeploymentMath.ReplicaCount(allRSs);
        var maxUnavailable = DeploymentMath.MaxUnavailable(d);
        var minAvailable = DeploymentMath.Replicas(d) - maxUnavailable;
        var newUnavailable = DeploymentMath.Replicas(newRS) - (newRS.Status?.AvailableReplicas ?? 0);
        var maxScaledDown = allPods - minAvailable - newUnavailable;
        if (maxScaledDown <= 0)
        {
            return false;
        }

        int cleanedUp;
        try
        {
            (oldRSs, cleanedUp) = await CleanupUnhealthyReplicasAsync(sync, oldRSs, maxScaledDown).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !sync.Token.IsCancellationRequested)
        {
            // Upstream swallows this and reports no scaling; the next sync tries again.
            Log.ScaleDownFailed(Logger, d.Metadata.NamespaceProperty, d.Metadata.Name, e);
            return false;
        }

        int scaledDown;
        try
        {
            scaledDown = await ScaleDownOldReplicaSetsForRollingUpdateAsync(sync, [.. oldRSs, newRS], oldRSs, maxUnavailable).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !sync.Token.IsCancellationRequested)
        {
            Log.ScaleDownFailed(Logger, d.Metadata.NamespaceProperty, d.Metadata.Name, e);
            return false;
        }

        return cleanedUp + scaledDown > 0;
    }

    /// <summary>Scales old ReplicaSets down by their unavailable replicas, oldest first, at most <paramref name="maxCleanup"/> in all.</summary>
    private async Task<(List<V1ReplicaSet> OldRSs, int ScaledDown)> CleanupUnhealthyReplicasAsync(SyncState sync, List<V1ReplicaSet> oldRSs, int maxCleanup)
    {
        oldRSs.Sort(ReplicaSetOrder.ByCreation);
        var total = 0;
        for (var i = 0; i < oldRSs.Count; i++)
        {
            if (total >= maxCleanup)
            {
                break;
            }

            var rs = oldRSs[i];
            var replicas = DeploymentMath.Replicas(rs);
            var available = rs.Status?.AvailableReplicas ?? 0;
            if (replicas == 0 || replicas == available)
            {
                continue;
            }

            var count = Math.Min(maxCleanup - total, replicas - available);
            var newReplicas = replicas - count;
            if (newReplicas > replicas)
            {
                throw new InvalidOperationException($"when cleaning up unhealthy replicas, got invalid request to scale down {rs.Metadata.NamespaceProperty}/{rs.Metadata.Name} {replicas} -> {newReplicas}");
            }

            var (_, updated) = await ScaleReplicaSetAndRecordEventAsync(sync, rs, newReplicas).ConfigureAwait(false);
            total += count;
            oldRSs[i] = updated;
        }

        return (oldRSs, total);
    }

    /// <summary>Scales old ReplicaSets down, oldest first, while more than spec.replicas - maxUnavailable pods are available.</summary>
    private async Task<int> ScaleDownOldReplicaSetsForRollingUpdateAsync(SyncState sync, List<V1ReplicaSet?> allRSs, List<V1ReplicaSet> oldRSs, int maxUnavailable)
    {
        var minAvailable = DeploymentMath.Replicas(sync.D) - maxUnavailable;
        var available = DeploymentMath.AvailableReplicaCount(allRSs);
        if (available <= minAvailable)
        {
            return 0;
        }

        oldRSs.Sort(ReplicaSetOrder.ByCreation);
        var total = 0;
        var target = available - minAvailable;
        foreach (var rs in oldRSs)
        {
            if (total >= target)
            {
                break;
            }

            var replicas = DeploymentMath.Replicas(rs);
            if (replicas == 0)
            {
                continue;
            }

            var count = Math.Min(replicas, target - total);
            await ScaleReplicaSetAndRecordEventAsync(sync, rs, replicas - count).ConfigureAwait(false);
            total += count;
        }

        return total;
    }
}
