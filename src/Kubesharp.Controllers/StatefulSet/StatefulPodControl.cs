using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Client.Events;
using Kubesharp.Controllers.Common;
using Kubesharp.Controllers.History;

namespace Kubesharp.Controllers.StatefulSet;

/// <summary>
/// Upstream's <c>StatefulPodControl</c>: creates (claims first), repairs and deletes a StatefulSet's pods and records
/// the events upstream records on the set: <c>SuccessfulCreate</c> "create Pod web-0 in StatefulSet web successful",
/// <c>SuccessfulDelete</c>, <c>SuccessfulUpdate</c>, their <c>Failed*</c> forms ("... failed error: ..."), and
/// "create Claim data-web-0 Pod web-0 in StatefulSet web success" for each claim made. Failures are rethrown.
/// </summary>
internal sealed class StatefulPodControl(IAppsClient client, IIndexReader<V1PersistentVolumeClaim> claims, IEventRecorder recorder)
{
    /// <summary>client-go's <c>retry.DefaultRetry</c> steps for a pod update that conflicts.</summary>
    private const int ConflictRetries = 5;

    /// <summary>Creates the pod's missing claims, then the pod; an AlreadyExists pod is thrown without an event.</summary>
    public async Task CreateAsync(V1StatefulSet set, V1Pod pod, CancellationToken cancellationToken)
    {
        try
        {
            await CreateMissingClaimsAsync(set, pod, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            RecordPodEvent("create", set, pod, e);
            throw;
        }

        try
        {
            await client.CreatePodAsync(set.Metadata.NamespaceProperty, pod, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (ApiErrors.IsAlreadyExists(e))
        {
            throw;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            RecordPodEvent("create", set, pod, e);
            throw;
        }

        RecordPodEvent("create", set, pod, null);
    }

    /// <summary>
    /// Upstream's <c>UpdateStatefulPod</c>: gives the pod back its identity and storage when either is off (creating
    /// missing claims), and writes it; a pod already right is left alone.
    /// </summary>
    public async Task UpdateAsync(V1StatefulSet set, V1Pod cached, CancellationToken cancellationToken)
    {
        var pod = Objects.DeepCopy(cached);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await UpdateOnceAsync(set, pod, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (ApiErrors.IsConflict(e) && attempt < ConflictRetries)
            {
                // Upstream rereads its cache, which may still be stale (say, right after adopting the pod); a fresh read is surer.
                pod = await client.GetPodAsync(cached.Metadata.NamespaceProperty, cached.Metadata.Name, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task UpdateOnceAsync(V1StatefulSet set, V1Pod pod, CancellationToken cancellationToken)
    {
        var consistent = true;
        if (!StatefulPods.IdentityMatches(set, pod))
        {
            StatefulPods.UpdateIdentity(set, pod);
            consistent = false;
        }

        if (!StatefulPods.StorageMatches(set, pod))
        {
            StatefulPods.UpdateStorage(set, pod);
            consistent = false;
            try
            {
                await CreateMissingClaimsAsync(set, pod, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                RecordPodEvent("update", set, pod, e);
                throw;
            }
        }

        if (consistent)
        {
            return;
        }

        try
        {
            await client.UpdatePodAsync(pod, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (ApiErrors.IsConflict(e))
        {
            throw;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            RecordPodEvent("update", set, pod, e);
            throw;
        }

        RecordPodEvent("update", set, pod, null);
    }

    public async Task DeleteAsync(V1StatefulSet set, V1Pod pod, CancellationToken cancellationToken)
    {
        try
        {
            await client.DeletePodAsync(set.Metadata.NamespaceProperty, pod.Metadata.Name, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            RecordPodEvent("delete", set, pod, e);
            throw;
        }

        RecordPodEvent("delete", set, pod, null);
    }

    /// <summary>
    /// Upstream's <c>createPersistentVolumeClaims</c>: each claim the pod needs that the cache lacks is created; a
    /// claim being deleted is an error (the pod must wait for it to go). Every claim is tried before failing.
    /// </summary>
    public async Task CreateMissingClaimsAsync(V1StatefulSet set, V1Pod pod, CancellationToken cancellationToken)
    {
        var errors = new List<Exception>();
        foreach (var (_, claim) in StatefulPods.Claims(set, pod))
        {
            var existing = claims.Get(ObjectKeys.For(claim.Metadata.NamespaceProperty, claim.Metadata.Name));
            if (existing is not null)
            {
                if (existing.Metadata.DeletionTimestamp is not null)
                {
                    errors.Add(new InvalidOperationException($"pvc {claim.Metadata.Name} is being deleted"));
                }

                continue;
            }

            try
            {
                await client.CreatePersistentVolumeClaimAsync(claim.Metadata.NamespaceProperty, claim, cancellationToken).ConfigureAwait(false);
                RecordClaimEvent(set, pod, claim, null);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                errors.Add(new InvalidOperationException($"failed to create PVC {claim.Metadata.Name}: {ApiErrors.Message(e)}", e));
                if (!ApiErrors.IsAlreadyExists(e))
                {
                    RecordClaimEvent(set, pod, claim, e);
                }
            }
        }

        if (errors.Count > 0)
        {
            throw errors.Count == 1 ? errors[0] : new AggregateException(errors);
        }
    }

    private void RecordPodEvent(string verb, V1StatefulSet set, V1Pod pod, Exception? error)
    {
        var title = char.ToUpperInvariant(verb[0]) + verb[1..];
        if (error is null)
        {
            recorder.Event(set, EventTypes.Normal, "Successful" + title, $"{verb} Pod {pod.Metadata.Name} in StatefulSet {set.Metadata.Name} successful");
        }
        else
        {
            recorder.Event(set, EventTypes.Warning, "Failed" + title, $"{verb} Pod {pod.Metadata.Name} in StatefulSet {set.Metadata.Name} failed error: {ApiErrors.Message(error)}");
        }
    }

    private void RecordClaimEvent(V1StatefulSet set, V1Pod pod, V1PersistentVolumeClaim claim, Exception? error)
    {
        if (error is null)
        {
            recorder.Event(set, EventTypes.Normal, "SuccessfulCreate", $"create Claim {claim.Metadata.Name} Pod {pod.Metadata.Name} in StatefulSet {set.Metadata.Name} success");
        }
        else
        {
            recorder.Event(set, EventTypes.Warning, "FailedCreate", $"create Claim {claim.Metadata.Name} for Pod {pod.Metadata.Name} in StatefulSet {set.Metadata.Name} failed error: {ApiErrors.Message(error)}");
        }
    }
}
