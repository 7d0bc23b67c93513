using System.Globalization;
using k8s.Models;
using Kubesharp.Client.Events;
using Kubesharp.Controllers.Common;

namespace Kubesharp.Controllers.Deployment;

/// <summary>Finding and creating the new ReplicaSet, scaling, history cleanup and status (upstream's <c>sync.go</c>).</summary>
internal sealed partial class DeploymentController
{
    /// <summary>Status only, no action: the Deployment is being deleted.</summary>
    private async Task SyncStatusOnlyAsync(SyncState sync)
    {
        var (newRS, oldRSs) = await AllReplicaSetsAndSyncRevisionAsync(sync, createIfNotExisted: false).ConfigureAwait(false);
        await SyncDeploymentStatusAsync(sync, [.. oldRSs, newRS], newRS).ConfigureAwait(false);
    }

    /// <summary>Scaling without rolling: a paused Deployment, or a change of spec.replicas alone (upstream's <c>sync</c>).</summary>
    private async Task ScaleSyncAsync(SyncState sync)
    {
        var d = sync.D;
        var (newRS, oldRSs) = await AllReplicaSetsAndSyncRevisionAsync(sync, createIfNotExisted: false).ConfigureAwait(false);
        await ScaleAsync(sync, newRS, oldRSs).ConfigureAwait(false);
        (newRS, oldRSs) = Current(sync, newRS, oldRSs);

        // Cleaning up a paused Deployment is safe: nothing rolls meanwhile.
        if (d.Spec.Paused == true)
        {
            await CleanupDeploymentAsync(sync, oldRSs).ConfigureAwait(false);
        }

        await SyncDeploymentStatusAsync(sync, [.. oldRSs, newRS], newRS).ConfigureAwait(false);
    }

    /// <summary>The ReplicaSets as this sync last saw them (after its own writes).</summary>
    private static (V1ReplicaSet? NewRS, List<V1ReplicaSet> OldRSs) Current(SyncState sync, V1ReplicaSet? newRS, List<V1ReplicaSet> oldRSs)
    {
        V1ReplicaSet Fresh(V1ReplicaSet rs) => sync.ReplicaSets.FirstOrDefault(x => x.Metadata.Uid == rs.Metadata.Uid) ?? rs;
        return (newRS is null ? null : Fresh(newRS), [.. oldRSs.Select(Fresh)]);
    }

    /// <summary>
    /// Upstream's <c>checkPausedConditions</c>: the Progressing condition says DeploymentPaused while paused and
    /// DeploymentResumed after, so that time spent paused is not counted against the progress deadline.
    /// </summary>
    private async Task CheckPausedConditionsAsync(SyncState sync)
    {
        var d = sync.D;
        if (!DeploymentMath.HasProgressDeadline(d))
        {
            return;
        }

        var condition = DeploymentConditions.Get(d.Status, DeploymentConditions.Progressing);
        if (condition?.Reason == DeploymentConditions.TimedOutReason)
        {
            // A reported lack of progress is not overwritten by a pause.
            return;
        }

        var pausedConditionExists = condition?.Reason == DeploymentConditions.PausedDeployReason;
        var now = MetaTime.Now(Time);
        d.Status ??= new V1DeploymentStatus();
        if (d.Spec.Paused == true && !pausedConditionExists)
        {
            DeploymentConditions.Set(d.Status, DeploymentConditions.New(DeploymentConditions.Progressing, "Unknown", DeploymentConditions.PausedDeployReason, "Deployment is paused", now));
        }
        else if (d.Spec.Paused != true && pausedConditionExists)
        {
            DeploymentConditions.Set(d.Status, DeploymentConditions.New(DeploymentConditions.Progressing, "Unknown", DeploymentConditions.ResumedDeployReason, "Deployment is resumed", now));
        }
        else
        {
            return;
        }

        await UpdateStatusAsync(d, sync.Token).ConfigureAwait(false);
    }

    /// <summary>
    /// Upstream's <c>getAllReplicaSetsAndSyncRevision</c>: the new ReplicaSet (created when asked and missing)
    /// with its revision raised above every old one, and all the old ones.
    /// </summary>
    private async Task<(V1ReplicaSet? NewRS, List<V1ReplicaSet> OldRSs)> AllReplicaSetsAndSyncRevisionAsync(SyncState sync, bool createIfNotExisted)
    {
        var (_, allOld) = DeploymentMath.FindOldReplicaSets(sync.D, sync.ReplicaSets);
        var newRS = await NewReplicaSetAsync(sync, allOld, createIfNotExisted).ConfigureAwait(false);
        return (newRS, allOld);
    }

    /// <summary>Upstream's <c>getNewReplicaSet</c>.</summary>
    private async Task<V1ReplicaSet?> NewReplicaSetAsync(SyncState sync, List<V1ReplicaSet> oldRSs, bool createIfNotExisted)
    {
        var d = sync.D;
        var existing = DeploymentMath.FindNewReplicaSet(d, sync.ReplicaSets);
        var newRevision = (DeploymentAnnotations.MaxRevision(oldRSs) + 1).ToString(CultureInfo.InvariantCulture);
        var now = MetaTime.Now(Time);
        d.Status ??= new V1DeploymentStatus();

        if (existing is not null)
        {
            var copy = Objects.DeepCopy(existing);
            var annotationsUpdated = DeploymentAnnotations.SetNewReplicaSetAnnotations(d, copy, newRevision, exists: true, Logger);
            var minReadySecondsNeedsUpdate = (copy.Spec.MinReadySeconds ?? 0) != (d.Spec.MinReadySeconds ?? 0);
            if (annotationsUpdated || minReadySecondsNeedsUpdate)
            {
                copy.Spec.MinReadySeconds = d.Spec.MinReadySeconds;
                return sync.Replace(await _client.UpdateReplicaSetAsync(copy, sync.Token).ConfigureAwait(false));
            }

            // The Deployment's revision follows its new ReplicaSet's.
            var needsUpdate = DeploymentAnnotations.SetDeploymentRevision(d, copy.Metadata.Annotations is { } a && a.TryGetValue(DeploymentAnnotations.Revision, out var r) ? r : null);
            if (DeploymentMath.HasProgressDeadline(d) && DeploymentConditions.Get(d.Status, DeploymentConditions.Progressing) is null)
            {
                // A Deployment that never had a Progressing condition: progress is counted from now.
                DeploymentConditions.Set(d.Status, DeploymentConditions.New(DeploymentConditions.Progressing, "True", DeploymentConditions.FoundNewRSReason, $"Found new replica set \"{copy.Metadata.Name}\"", now));
                needsUpdate = true;
            }

            if (needsUpdate)
            {
                await UpdateStatusAsync(d, sync.Token).ConfigureAwait(false);
            }

            return copy;
        }

        if (!createIfNotExisted)
        {
            return null;
        }

        // The new ReplicaSet: the template with the hash label, named after the hash so that creating it is idempotent.
        var template = Objects.DeepCopy(d.Spec.Template);
        var hash = PodTemplateHash.Compute(template, d.Status.CollisionCount);
        template.Metadata ??= new V1ObjectMeta();
        template.Metadata.Labels = new Dictionary<string, string>(d.Spec.Template.Metadata?.Labels ?? new Dictionary<string, string>()) { [PodTemplateHash.Label] = hash };
        var selector = Objects.DeepCopy(d.Spec.Selector);
        selector.MatchLabels = new Dictionary<string, string>(selector.MatchLabels ?? new Dictionary<string, string>()) { [PodTemplateHash.Label] = hash };
        var newRS = new V1ReplicaSet
        {
            ApiVersion = "apps/v1",
            Kind = "ReplicaSet",
            Metadata = new V1ObjectMeta
            {
                Name = d.Metadata.Name + "-" + hash,
                NamespaceProperty = d.Metadata.NamespaceProperty,
                OwnerReferences = [Objects.ControllerRef(d, ApiVersion, Kind)],
                Labels = new Dictionary<string, string>(template.Metadata.Labels),
            },
            Spec = new V1ReplicaSetSpec
            {
                Replicas = 0,
                MinReadySeconds = d.Spec.MinReadySeconds,
                Selector = selector,
                Template = template,
            },
        };
        var replicas = DeploymentMath.NewRSNewReplicas(d, [.. oldRSs, newRS], newRS);
        newRS.Spec.Replicas = replicas;
        DeploymentAnnotations.SetNewReplicaSetAnnotations(d, newRS, newRevision, exists: false, Logger);

        V1ReplicaSet created;
        var alreadyExists = false;
        try
        {
            created = await _client.CreateReplicaSetAsync(d.Metadata.NamespaceProperty, newRS, sync.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (ApiErrors.IsAlreadyExists(e))
        {
            // A slow cache or a fast resync; or a hash collision.
            var found = _replicaSets.Get(d.Metadata.NamespaceProperty + "/" + newRS.Metadata.Name);
            if (found is null)
            {
                throw;
            }

            if (Objects.ControllerOf(found)?.Uid == d.Metadata.Uid && PodTemplateHash.EqualIgnoreHash(d.Spec.Template, found.Spec?.Template))
            {
                created = found;
                alreadyExists = true;
            }
            else
            {
                // Another template has our name: count the collision, which changes the hash, and try again.
                var before = d.Status.CollisionCount ?? 0;
                d.Status.CollisionCount = before + 1;
                try
                {
                    await UpdateStatusAsync(d, sync.Token).ConfigureAwait(false);
                    Log.HashCollision(Logger, d.Metadata.NamespaceProperty, d.Metadata.Name, before, before + 1);
                }
                catch (Exception) when (!sync.Token.IsCancellationRequested)
                {
                    // The original error is the one to retry on.
                }

                throw;
            }
        }
        catch (Exception e) when (ApiErrors.HasStatusCause(e, ApiErrors.NamespaceTerminatingCause))
        {
            throw;
        }
        catch (Exception e) when (e is not OperationCanceledException || !sync.Token.IsCancellationRequested)
        {
            var message = $"Failed to create new replica set \"{newRS.Metadata.Name}\": {ApiErrors.Message(e)}";
            if (DeploymentMath.HasProgressDeadline(d))
            {
                DeploymentConditions.Set(d.Status, DeploymentConditions.New(DeploymentConditions.Progressing, "False", DeploymentConditions.FailedRSCreateReason, message, now));
                try
                {
                    await UpdateStatusAsync(d, sync.Token).ConfigureAwait(false);
                }
                catch (Exception) when (!sync.Token.IsCancellationRequested)
                {
                    // The create failure is the bigger issue to report.
                }
            }

            _recorder.Event(d, EventTypes.Warning, DeploymentConditions.FailedRSCreateReason, message);
            throw;
        }

        sync.Replace(created);
        if (!alreadyExists && replicas > 0)
        {
            _recorder.Event(d, EventTypes.Normal, "ScalingReplicaSet", $"Scaled up replica set {created.Metadata.Name} to {replicas}");
        }

        var statusNeedsUpdate = DeploymentAnnotations.SetDeploymentRevision(d, newRevision);
        if (!alreadyExists && DeploymentMath.HasProgressDeadline(d))
        {
            DeploymentConditions.Set(d.Status, DeploymentConditions.New(DeploymentConditions.Progressing, "True", DeploymentConditions.NewReplicaSetReason, $"Created new replica set \"{created.Metadata.Name}\"", now));
            statusNeedsUpdate = true;
        }

        if (statusNeedsUpdate)
        {
            await UpdateStatusAsync(d, sync.Token).ConfigureAwait(false);
        }

        return created;
    }

    /// <summary>
    /// Upstream's <c>scale</c>: brings the active ReplicaSets to spec.replicas (+ maxSurge while rolling),
    /// sharing the difference in proportion to their sizes, so that a scale during a rollout neither hastens nor
    /// slows it.
    /// </summary>
    private async Task ScaleAsync(SyncState sync, V1ReplicaSet? newRS, List<V1ReplicaSet> oldRSs)
    {
        var d = sync.D;
        var replicas = DeploymentMath.Replicas(d);
        if (DeploymentMath.FindActiveOrLatest(newRS, oldRSs) is { } activeOrLatest)
        {
            if (DeploymentMath.Replicas(activeOrLatest) == replicas)
            {
                return;
            }

            await ScaleReplicaSetAndRecordEventAsync(sync, activeOrLatest, replicas).ConfigureAwait(false);
            return;
        }

        // The new ReplicaSet is saturated: old ones go to zero (this handles adoption during a saturated rollout).
        if (DeploymentMath.IsSaturated(d, newRS))
        {
            foreach (var old in DeploymentMath.Active(oldRSs))
            {
                await ScaleReplicaSetAndRecordEventAsync(sync, old, 0).ConfigureAwait(false);
            }

            return;
        }

        if (!DeploymentMath.IsRollingUpdate(d))
        {
            return;
        }

        var all = DeploymentMath.Active(oldRSs.Append(newRS));
        var allReplicas = DeploymentMath.ReplicaCount(all);
        var allowed = replicas > 0 ? replicas + DeploymentMath.MaxSurge(d) : 0;
        var toAdd = allowed - allReplicas;

        // From the largest ReplicaSet to the smallest; among equals, newer ones first when growing, older
        // ones first when shrinking.
        var operation = "";
        if (toAdd > 0)
        {
            all.Sort(ReplicaSetOrder.BySizeNewer);
            operation = "up";
        }
        else if (toAdd < 0)
        {
            all.Sort(ReplicaSetOrder.BySizeOlder);
            operation = "down";
        }

        var added = 0;
        var sizes = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var rs in all)
        {
            if (toAdd != 0)
            {
                var proportion = DeploymentMath.Proportion(rs, d, toAdd, added);
                sizes[rs.Metadata.Name] = DeploymentMath.Replicas(rs) + proportion;
                added += proportion;
            }
            else
            {
                sizes[rs.Metadata.Name] = DeploymentMath.Replicas(rs);
            }
        }

        for (var i = 0; i < all.Count; i++)
        {
            var rs = all[i];
            if (i == 0 && toAdd != 0)
            {
                // Leftovers go to (or come from) the largest.
                sizes[rs.Metadata.Name] = Math.Max(0, sizes[rs.Metadata.Name] + toAdd - added);
            }

            await ScaleReplicaSetAsync(sync, rs, sizes[rs.Metadata.Name], operation).ConfigureAwait(false);
        }
    }

    private Task<(bool Scaled, V1ReplicaSet ReplicaSet)> ScaleReplicaSetAndRecordEventAsync(SyncState sync, V1ReplicaSet rs, int newScale)
    {
        if (DeploymentMath.Replicas(rs) == newScale)
        {
            return Task.FromResult((false, rs));
        }

        return ScaleReplicaSetAsync(sync, rs, newScale, DeploymentMath.Replicas(rs) < newScale ? "up" : "down");
    }

    /// <summary>
    /// Sets spec.replicas and the desired/max-replicas annotations of a ReplicaSet; records ScalingReplicaSet
    /// ("Scaled up replica set x-abc to 3 from 0") when the size changed.
    /// </summary>
    private async Task<(bool Scaled, V1ReplicaSet ReplicaSet)> ScaleReplicaSetAsync(SyncState sync, V1ReplicaSet rs, int newScale, string operation)
    {
        var d = sync.D;
        var oldScale = DeploymentMath.Replicas(rs);
        var sizeNeedsUpdate = oldScale != newScale;
        var desired = DeploymentMath.Replicas(d);
        var max = desired + DeploymentMath.MaxSurge(d);
        if (!sizeNeedsUpdate && !DeploymentAnnotations.ReplicasAnnotationsNeedUpdate(rs, desired, max))
        {
            return (false, rs);
        }

        var copy = Objects.DeepCopy(rs);
        copy.Spec.Replicas = newScale;
        DeploymentAnnotations.SetReplicasAnnotations(copy, desired, max);
        var updated = sync.Replace(await _client.UpdateReplicaSetAsync(copy, sync.Token).ConfigureAwait(false));
        if (sizeNeedsUpdate)
        {
            _recorder.Event(d, EventTypes.Normal, "ScalingReplicaSet", $"Scaled {operation} replica set {updated.Metadata.Name} to {newScale} from {oldScale}");
        }

        return (sizeNeedsUpdate, updated);
    }

    /// <summary>
    /// Upstream's <c>cleanupDeployment</c>: deletes the oldest (by revision) old ReplicaSets beyond
    /// revisionHistoryLimit, skipping any with replicas, pods, an unobserved spec, or already being deleted.
    /// </summary>
    private async Task CleanupDeploymentAsync(SyncState sync, List<V1ReplicaSet> oldRSs)
    {
        var d = sync.D;
        if (!DeploymentMath.HasRevisionHistoryLimit(d))
        {
            return;
        }

        var cleanable = oldRSs.Where(rs => rs.Metadata.DeletionTimestamp is null).ToList();
        var diff = cleanable.Count - d.Spec.RevisionHistoryLimit!.Value;
        if (diff <= 0)
        {
            return;
        }

        cleanable.Sort(ReplicaSetOrder.ByRevision);
        for (var i = 0; i < diff; i++)
        {
            var rs = cleanable[i];
            if ((rs.Status?.Replicas ?? 0) != 0 || DeploymentMath.Replicas(rs) != 0
                || Objects.Generation(rs) > (rs.Status?.ObservedGeneration ?? 0) || rs.Metadata.DeletionTimestamp is not null)
            {
                continue;
            }

            try
            {
                await _client.DeleteReplicaSetAsync(rs.Metadata.NamespaceProperty, rs.Metadata.Name, sync.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (ApiErrors.IsNotFound(e))
            {
                // Already gone.
            }
        }
    }

    /// <summary>Writes the status calculated from the ReplicaSets when it differs from the stored one.</summary>
    private async Task SyncDeploymentStatusAsync(SyncState sync, List<V1ReplicaSet?> allRSs, V1ReplicaSet? newRS)
    {
        var d = sync.D;
        var status = CalculateStatus(allRSs, newRS, d);
        if (DeploymentConditions.SameStatus(d.Status, status))
        {
            return;
        }

        d.Status = status;
        await UpdateStatusAsync(d, sync.Token).ConfigureAwait(false);
    }

    /// <summary>Upstream's <c>calculateStatus</c>: the counts from the ReplicaSets, and the Available condition.</summary>
    internal V1DeploymentStatus CalculateStatus(IReadOnlyList<V1ReplicaSet?> allRSs, V1ReplicaSet? newRS, V1Deployment d)
    {
        var available = DeploymentMath.AvailableReplicaCount(allRSs);
        var total = DeploymentMath.ReplicaCount(allRSs);
        var status = new V1DeploymentStatus
        {
            ObservedGeneration = Objects.Generation(d),
            Replicas = DeploymentMath.ActualReplicaCount(allRSs),
            UpdatedReplicas = DeploymentMath.ActualReplicaCount([newRS]),
            ReadyReplicas = DeploymentMath.ReadyReplicaCount(allRSs),
            AvailableReplicas = available,
            // More available than desired (while scaling down) is not negative unavailability.
            UnavailableReplicas = Math.Max(0, total - available),
            CollisionCount = d.Status?.CollisionCount,
            Conditions = d.Status?.Conditions is { } conditions ? [.. conditions.Select(DeploymentConditions.Copy)] : null,
        };

        var now = MetaTime.Now(Time);
        if (available >= DeploymentMath.Replicas(d) - DeploymentMath.MaxUnavailable(d))
        {
            DeploymentConditions.Set(status, DeploymentConditions.New(DeploymentConditions.Available, "True", DeploymentConditions.MinimumReplicasAvailable, "Deployment has minimum availability.", now));
        }
        else
        {
            DeploymentConditions.Set(status, DeploymentConditions.New(DeploymentConditions.Available, "False", DeploymentConditions.MinimumReplicasUnavailable, "Deployment does not have minimum availability.", now));
        }

        return status;
    }

    /// <summary>
    /// Upstream's <c>isScalingEvent</c>: an active ReplicaSet's desired-replicas annotation differs from
    /// spec.replicas, so the Deployment was scaled (not given a new template).
    /// </summary>
    private async Task<bool> IsScalingEventAsync(SyncState sync)
    {
        var (newRS, oldRSs) = await AllReplicaSetsAndSyncRevisionAsync(sync, createIfNotExisted: false).ConfigureAwait(false);
        foreach (var rs in DeploymentMath.Active(oldRSs.Append(newRS)))
        {
            if (DeploymentAnnotations.DesiredReplicasOf(rs) is { } desired && desired != DeploymentMath.Replicas(sync.D))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Writes the status of the working copy. The working copy takes the new resourceVersion, so a later write
    /// in the same sync is not refused as stale (upstream's discards it and often retries on a 409).
    /// </summary>
    private async Task UpdateStatusAsync(V1Deployment d, CancellationToken cancellationToken)
    {
        var updated = await _client.UpdateDeploymentStatusAsync(d, cancellationToken).ConfigureAwait(false);
        d.Metadata.ResourceVersion = updated.Metadata.ResourceVersion;
    }
}
