using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Controllers.Common;

namespace Kubesharp.Controllers.ReplicaSet;

/// <summary>The informer handlers: which owner to sync for each owner and pod change, and which expectations a pod change fulfils.</summary>
internal sealed partial class ReplicaManager<T>
{
    internal void OnOwnerAdded(T owner) => Enqueue(owner);

    internal void OnPodAdded(V1Pod pod) => _podEvents.OnAdded(pod);

    internal void OnPodUpdated(V1Pod old, V1Pod cur) => _podEvents.OnUpdated(old, cur);

    internal void OnPodDeleted(V1Pod pod) => _podEvents.OnDeleted(pod);

    internal void OnOwnerUpdated(T old, T cur)
    {
        // A delete and a re-create under one key that the informer saw as one update.
        if (old.Metadata.Uid != cur.Metadata.Uid)
        {
            OnOwnerDeleted(old);
        }

        // Sync on every update, even a status-only one: an owner whose last creates failed is retried on resync.
        Enqueue(cur);
    }

    internal void OnOwnerDeleted(T owner)
    {
        var key = ObjectKeys.For(owner);
        // A new owner of the same name starts clean.
        Expectations.Delete(key);
        Enqueue(key);
    }

    /// <summary>Owners in the pod's namespace whose non-empty selector matches it (upstream's <c>GetPodReplicaSets</c>).</summary>
    private IEnumerable<T> OwnersSelecting(V1Pod pod)
    {
        if (pod.Metadata.Labels is not { Count: > 0 })
        {
            yield break;
        }

        var labels = Objects.Labels(pod);
        foreach (var owner in _owners.ByIndex(Indexers.Namespace, pod.Metadata.NamespaceProperty ?? ""))
        {
            // An owner with an empty selector must match nothing, not everything.
            if (SelectorOf(owner) is { IsEmpty: false } selector && selector.Matches(labels))
            {
                yield return owner;
            }
        }
    }
}
