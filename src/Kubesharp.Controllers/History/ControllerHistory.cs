using k8s;
using k8s.Models;
using Kubesharp.Api.Selectors;
using Kubesharp.Client.Cache;
using Kubesharp.Controllers.Common;

namespace Kubesharp.Controllers.History;

/// <summary>
/// Upstream's <c>realHistory</c>: the ControllerRevision writes a controller makes, and the listing of a
/// parent's revisions from the informer cache.
/// <para>
/// Failures are the client's (<see cref="IAppsClient"/>): thrown, for the work queue to retry the parent.
/// </para>
/// </summary>
internal sealed class ControllerHistory(IAppsClient client, IIndexReader<V1ControllerRevision> revisions)
{
    /// <summary>How many conflicting writes <see cref="UpdateRevisionAsync"/> rereads through (client-go's <c>retry.DefaultRetry</c> steps).</summary>
    private const int ConflictRetries = 5;

    /// <summary>
    /// Upstream's <c>ListControllerRevisions</c>: the revisions of the parent's namespace that
    /// <paramref name="selector"/> matches and that the parent controls or nobody does.
    /// </summary>
    public List<V1ControllerRevision> List(IKubernetesObject<V1ObjectMeta> parent, LabelSelector selector)
    {
        var result = new List<V1ControllerRevision>();
        foreach (var revision in WorkloadIndexes.OwnedAndOrphans(revisions, parent.Metadata.NamespaceProperty, parent.Metadata.Uid))
        {
            if (selector.Matches(Objects.Labels(revision)))
            {
                result.Add(revision);
            }
        }

        return result;
    }

    /// <summary>
    /// Upstream's <c>CreateControllerRevision</c>: creates <paramref name="revision"/> under the name its data and
    /// the collision count hash to. A name already taken by the same data is that revision (returned); taken by
    /// other data is a hash collision: the count goes up by one and the next name is tried.
    /// </summary>
    public async Task<V1ControllerRevision> CreateAsync(IKubernetesObject<V1ObjectMeta> parent, V1ControllerRevision revision, Ref<int> collisionCount, CancellationToken cancellationToken)
    {
        var ns = parent.Metadata.NamespaceProperty;
        while (true)
        {
            var clone = Objects.DeepCopy(revision);
            var hash = ControllerRevisions.Hash(clone, collisionCount.Value);
            clone.Metadata.Name = ControllerRevisions.Name(parent.Metadata.Name, hash);
            clone.Metadata.NamespaceProperty = ns;
            clone.Metadata.Labels ??= new Dictionary<string, string>();
            clone.Metadata.Labels[ControllerRevisions.HashLabel] = hash;
            try
            {
                return await client.CreateControllerRevisionAsync(ns, clone, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (ApiErrors.IsAlreadyExists(e))
            {
                var existing = await client.GetControllerRevisionAsync(ns, clone.Metadata.Name, cancellationToken).ConfigureAwait(false);
                if (ControllerRevisions.Canonical(existing.Data) == ControllerRevisions.Canonical(clone.Data))
                {
                    return existing;
                }

                collisionCount.Value++;
            }
        }
    }

    /// <summary>Upstream's <c>UpdateControllerRevision</c>: sets the revision number, rereading through conflicts.</summary>
    public async Task<V1ControllerRevision> UpdateRevisionAsync(V1ControllerRevision revision, long newRevision, CancellationToken cancellationToken)
    {
        var clone = Objects.DeepCopy(revision);
        for (var attempt = 0; ; attempt++)
        {
            if (clone.Revision == newRevision)
            {
                return clone;
            }

            clone.Revision = newRevision;
            try
            {
                return await client.UpdateControllerRevisionAsync(clone, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (ApiErrors.IsConflict(e) && attempt < ConflictRetries)
            {
                clone = await client.GetControllerRevisionAsync(revision.Metadata.NamespaceProperty, revision.Metadata.Name, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}

/// <summary>A value an async method updates for its caller (C# has no ref parameters in async methods).</summary>
internal sealed class Ref<T>(T value)
{
    public T Value { get; set; } = value;
}
