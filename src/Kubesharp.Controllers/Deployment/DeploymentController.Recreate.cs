using k8s.Models;
using Kubesharp.Controllers.Common;

namespace Kubesharp.Controllers.Deployment;

/// <summary>The Recreate strategy (upstream's <c>recreate.go</c>): old pods all gone before any new one.</summary>
internal sealed partial class DeploymentController
{
    private async Task RolloutRecreateAsync(SyncState sync)
    {
        var d = sync.D;
        // The new ReplicaSet is not created yet, so that nothing scales up before the old ones are down.
        var (newRS, oldRSs) = await AllReplicaSetsAndSyncRevisionAsync(sync, createIfNotExisted: false).ConfigureAwait(false);

        if (await ScaleDownOldReplicaSetsForRecreateAsync(sync, DeploymentMath.Active(oldRSs)).ConfigureAwait(false))
        {
            (newRS, oldRSs) = Current(sync, newRS, oldRSs);
            await SyncRolloutStatusAsync(sync, [.. oldRSs, newRS], newRS).ConfigureAwait(false);
            return;
        }

        if (OldPodsRunning(newRS, oldRSs, PodMap(d, sync.ReplicaSets)))
        {
            await SyncRolloutStatusAsync(sync, [.. oldRSs, newRS], newRS).ConfigureAwait(false);
            return;
        }

        if (newRS is null)
        {
            (newRS, oldRSs) = await AllReplicaSetsAndSyncRevisionAsync(sync, createIfNotExisted: true).ConfigureAwait(false);
        }

        await ScaleReplicaSetAndRecordEventAsync(sync, newRS!, DeploymentMath.Replicas(d)).ConfigureAwait(false);
        (newRS, oldRSs) = Current(sync, newRS, oldRSs);

        if (DeploymentMath.DeploymentComplete(d, d.Status ?? new V1DeploymentStatus()))
        {
            await CleanupDeploymentAsync(sync, oldRSs).ConfigureAwait(false);
        }

        await SyncRolloutStatusAsync(sync, [.. oldRSs, newRS], newRS).ConfigureAwait(false);
    }

    private async Task<bool> ScaleDownOldReplicaSetsForRecreateAsync(SyncState sync, List<V1ReplicaSet> oldRSs)
    {
        var scaled = false;
        foreach (var rs in oldRSs)
        {
            if (DeploymentMath.Replicas(rs) == 0)
            {
                continue;
            }

            if ((await ScaleReplicaSetAndRecordEventAsync(sync, rs, 0).ConfigureAwait(false)).Scaled)
            {
                scaled = true;
            }
        }

        return scaled;
    }

    /// <summary>
    /// Upstream's <c>oldPodsRunning</c>: any old ReplicaSet still reports pods, or any pod of one is not
    /// finished (Unknown counts as running: it may be).
    /// </summary>
    internal static bool OldPodsRunning(V1ReplicaSet? newRS, IEnumerable<V1ReplicaSet> oldRSs, Dictionary<string, List<V1Pod>> podMap)
    {
        if (DeploymentMath.ActualReplicaCount(oldRSs) > 0)
        {
            return true;
        }

        foreach (var (uid, pods) in podMap)
        {
            if (newRS is not null && newRS.Metadata.Uid == uid)
            {
                continue;
            }

            if (pods.Any(p => p.Status?.Phase is not (Pods.Failed or Pods.Succeeded)))
            {
                return true;
            }
        }

        return false;
    }
}
