using System.Text.Json.Nodes;
using k8s.Models;
using Kubesharp.Api.Selectors;
using Kubesharp.Controllers.Common;
using Kubesharp.Controllers.Deployment;
using Kubesharp.Controllers.History;

namespace Kubesharp.Controllers.DaemonSet;

/// <summary>The DaemonSet's ControllerRevisions: upstream's <c>constructHistory</c>, <c>snapshot</c>, <c>dedupCurHistories</c> and <c>cleanupHistory</c>.</summary>
internal sealed partial class DaemonSetController
{
    /// <summary>
    /// The revision of the current template (created, or renumbered to the newest, as needed) and the others.
    /// Revisions without the <c>controller-revision-hash</c> label get their name as its value.
    /// </summary>
    private async Task<(V1ControllerRevision Current, List<V1ControllerRevision> Old)> ConstructHistoryAsync(V1DaemonSet ds, CancellationToken cancellationToken)
    {
        var histories = await ControlledHistoriesAsync(ds, cancellationToken).ConfigureAwait(false);
        var patch = ControllerRevisions.Canonical(ControllerRevisions.TemplatePatch(ds.Spec?.Template));
        var current = new List<V1ControllerRevision>();
        var old = new List<V1ControllerRevision>();
        foreach (var cached in histories)
        {
            var history = cached;
            if (history.Metadata.Labels?.ContainsKey(ControllerRevisions.PodRevisionLabel) != true)
            {
                var copy = Objects.DeepCopy(history);
                copy.Metadata.Labels ??= new Dictionary<string, string>();
                copy.Metadata.Labels[ControllerRevisions.PodRevisionLabel] = copy.Metadata.Name;
                history = await _client.UpdateControllerRevisionAsync(copy, cancellationToken).ConfigureAwait(false);
            }

            (ControllerRevisions.Canonical(history.Data) == patch ? current : old).Add(history);
        }

        var next = ControllerRevisions.Next(old);
        V1ControllerRevision cur;
        if (current.Count == 0)
        {
            cur = await SnapshotAsync(ds, next, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            cur = await DedupCurrentAsync(ds, current, cancellationToken).ConfigureAwait(false);
            if ((cur.Revision ?? 0) < next)
            {
                // A rollback to an older template: it becomes the newest revision.
                cur = await _history.UpdateRevisionAsync(cur, next, cancellationToken).ConfigureAwait(false);
            }
        }

        return (cur, old);
    }

    /// <summary>Upstream's <c>controlledHistories</c>: the revisions the DaemonSet owns, adopting and releasing as its pods.</summary>
    private Task<List<V1ControllerRevision>> ControlledHistoriesAsync(V1DaemonSet ds, CancellationToken cancellationToken)
    {
        var ns = ds.Metadata.NamespaceProperty;
        var name = ds.Metadata.Name;
        var manager = new ControllerRefManager<V1ControllerRevision>(
            ds,
            ApiVersion,
            Kind,
            SelectorOf(ds) ?? LabelSelector.Nothing,
            AdoptionChecks.RecheckDeletionTimestamp(ds, Kind, ct => _client.GetDaemonSetAsync(ns, name, ct)),
            (cr, patch, ct) => _client.PatchControllerRevisionAsync(cr.Metadata.NamespaceProperty, cr.Metadata.Name, patch, ct));
        return manager.ClaimAsync(WorkloadIndexes.OwnedAndOrphans(_revisions, ns, ds.Metadata.Uid), cancellationToken);
    }

    /// <summary>
    /// Upstream's <c>snapshot</c>: a revision named <c>&lt;ds&gt;-&lt;hash of the template and collision count&gt;</c>.
    /// A name taken by another template is a hash collision: status.collisionCount goes up (unless our copy was
    /// stale) and the sync fails, to be retried under the next name.
    /// </summary>
    private async Task<V1ControllerRevision> SnapshotAsync(V1DaemonSet ds, long revision, CancellationToken cancellationToken)
    {
        var ns = ds.Metadata.NamespaceProperty;
        var hash = PodTemplateHash.Compute(ds.Spec?.Template ?? new V1PodTemplateSpec(), ds.Status?.CollisionCount);
        var labels = ds.Spec?.Template?.Metadata?.Labels is { } templateLabels ? new Dictionary<string, string>(templateLabels) : [];
        labels[ControllerRevisions.PodRevisionLabel] = hash;
        var history = new V1ControllerRevision
        {
            ApiVersion = "apps/v1",
            Kind = "ControllerRevision",
            Metadata = new V1ObjectMeta
            {
                Name = ds.Metadata.Name + "-" + hash,
                NamespaceProperty = ns,
                Labels = labels,
                Annotations = ds.Metadata.Annotations is { } annotations ? new Dictionary<string, string>(annotations) : null,
                OwnerReferences = [Objects.ControllerRef(ds, ApiVersion, Kind)],
            },
            Data = ControllerRevisions.TemplatePatch(ds.Spec?.Template),
            Revision = revision,
        };

        try
        {
            return await _client.CreateControllerRevisionAsync(ns, history, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (ApiErrors.IsAlreadyExists(e))
        {
            var existing = await _client.GetControllerRevisionAsync(ns, history.Metadata.Name, cancellationToken).ConfigureAwait(false);
            if (ControllerRevisions.Canonical(existing.Data) == ControllerRevisions.Canonical(history.Data))
            {
                return existing;
            }

            var fresh = await _client.GetDaemonSetAsync(ns, ds.Metadata.Name, cancellationToken).ConfigureAwait(false);
            if (fresh.Status?.CollisionCount != ds.Status?.CollisionCount)
            {
                throw new InvalidOperationException($"found a stale collision count ({ds.Status?.CollisionCount}, expected {fresh.Status?.CollisionCount}) of DaemonSet \"{ds.Metadata.Name}\" while processing; will retry until it is updated", e);
            }

            fresh.Status ??= new V1DaemonSetStatus();
            fresh.Status.CollisionCount = (fresh.Status.CollisionCount ?? 0) + 1;
            await _client.UpdateDaemonSetStatusAsync(fresh, cancellationToken).ConfigureAwait(false);
            Log.Collision(Logger, ds.Metadata.Name, fresh.Status.CollisionCount.Value);
            throw;
        }
    }

    /// <summary>
    /// Upstream's <c>dedupCurHistories</c>: of several revisions of the current template the highest stays; pods
    /// labelled with another one are relabelled to it and the others deleted.
    /// </summary>
    private async Task<V1ControllerRevision> DedupCurrentAsync(V1DaemonSet ds, List<V1ControllerRevision> current, CancellationToken cancellationToken)
    {
        if (current.Count == 1)
        {
            return current[0];
        }

        var keep = current[0];
        foreach (var cur in current)
        {
            if ((cur.Revision ?? 0) >= (keep.Revision ?? 0))
            {
                keep = cur;
            }
        }

        var keepHash = ControllerRevisions.Label(keep, ControllerRevisions.PodRevisionLabel) ?? "";
        foreach (var cur in current)
        {
            if (cur.Metadata.Name == keep.Metadata.Name)
            {
                continue;
            }

            var pods = await NodesToDaemonPodsAsync(ds, includeDeletedTerminal: true, cancellationToken).ConfigureAwait(false);
            foreach (var pod in pods.Values.SelectMany(p => p))
            {
                if (ControllerRevisions.Label(pod, ControllerRevisions.PodRevisionLabel) != keepHash)
                {
                    var relabel = new JsonObject { ["metadata"] = new JsonObject { ["labels"] = new JsonObject { [ControllerRevisions.PodRevisionLabel] = keepHash } } };
                    await _client.PatchPodAsync(pod.Metadata.NamespaceProperty, pod.Metadata.Name, relabel.ToJsonString(), cancellationToken).ConfigureAwait(false);
                }
            }

            await _client.DeleteControllerRevisionAsync(cur.Metadata.NamespaceProperty, cur.Metadata.Name, cancellationToken).ConfigureAwait(false);
        }

        return keep;
    }

    /// <summary>
    /// Upstream's <c>cleanupHistory</c>: old revisions beyond revisionHistoryLimit are deleted, oldest first, except
    /// those some pod (terminal ones included) is still labelled with.
    /// </summary>
    private async Task CleanupHistoryAsync(V1DaemonSet ds, List<V1ControllerRevision> old, CancellationToken cancellationToken)
    {
        var toKill = old.Count - (ds.Spec?.RevisionHistoryLimit ?? 10);
        if (toKill <= 0)
        {
            return;
        }

        var pods = await NodesToDaemonPodsAsync(ds, includeDeletedTerminal: true, cancellationToken).ConfigureAwait(false);
        var liveHashes = pods.Values.SelectMany(p => p)
            .Select(p => ControllerRevisions.Label(p, ControllerRevisions.PodRevisionLabel))
            .OfType<string>()
            .Where(h => h.Length > 0)
            .ToHashSet(StringComparer.Ordinal);
        var sorted = old.OrderBy(r => r.Revision ?? 0).ToList();
        foreach (var history in sorted)
        {
            if (toKill <= 0)
            {
                break;
            }

            if (liveHashes.Contains(ControllerRevisions.Label(history, ControllerRevisions.PodRevisionLabel) ?? ""))
            {
                continue;
            }

            await _client.DeleteControllerRevisionAsync(history.Metadata.NamespaceProperty, history.Metadata.Name, cancellationToken).ConfigureAwait(false);
            toKill--;
        }
    }
}
