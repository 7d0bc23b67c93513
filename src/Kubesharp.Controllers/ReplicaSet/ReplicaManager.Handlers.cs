using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Controllers.Common;

namespace Kubesharp.Controllers.ReplicaSet;

/// <summary>The informer handlers: which owner to sync for each owner and pod change, and which expectations a pod change fulfils.</summary>
internal sealed partial class ReplicaManager<T>
{
    internal void OnOwnerAdded(T owner) => Enqueue(owner);

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

    internal void OnPodAdded(V1Pod pod)
    {
        if (pod.Metadata.DeletionTimestamp is not null)
        {
            // After a restart, a pod can first show up already being deleted: not a creation to observe.
            OnPodDeleted(pod);
            return;
        }

        if (Objects.ControllerOf(pod) is { } controllerRef)
        {
            if (Resolve(pod.Metadata.NamespaceProperty, controllerRef) is { } owner)
            {
                var key = ObjectKeys.For(owner);
                Expectations.CreationObserved(key);
                Enqueue(key);
            }

            return;
        }

        // An orphan: every owner that selects it may want to adopt it. No creation is observed for an orphan.
        foreach (var owner in OwnersSelecting(pod))
        {
            Enqueue(owner);
        }
    }

    internal void OnPodUpdated(V1Pod old, V1Pod cur)
    {
        if (old.Metadata.ResourceVersion == cur.Metadata.ResourceVersion)
        {
            // A resync or relist: nothing changed.
            return;
        }

        var labelsChanged = !Objects.SameLabels(old.Metadata.Labels, cur.Metadata.Labels);
        if (cur.Metadata.DeletionTimestamp is not null)
        {
            // A graceful delete marks the pod first: replace it now rather than when the kubelet removes it.
            OnPodDeleted(cur);
            if (labelsChanged)
            {
                OnPodDeleted(old);
            }

            return;
        }

        var curRef = Objects.ControllerOf(cur);
        var oldRef = Objects.ControllerOf(old);
        var refChanged = !Objects.SameOwnerReference(curRef, oldRef);
        if (refChanged && oldRef is not null && Resolve(old.Metadata.NamespaceProperty, oldRef) is { } previous)
        {
            Enqueue(previous);
        }

        if (curRef is not null)
        {
            if (Resolve(cur.Metadata.NamespaceProperty, curRef) is not { } owner)
            {
                return;
            }

            Enqueue(owner);
            var minReady = _kind.MinReadySeconds(owner);
            if (!Pods.IsReady(old) && Pods.IsReady(cur) && minReady > 0)
            {
                // The pod turns available minReadySeconds after turning ready, with no event to say so; one
                // more second against sub-second skew (upstream's choice).
                Queue.AddAfter(ObjectKeys.For(owner), TimeSpan.FromSeconds(minReady + 1));
            }

            return;
        }

        if (labelsChanged || refChanged)
        {
            foreach (var owner in OwnersSelecting(cur))
            {
                Enqueue(owner);
            }
        }
    }

    internal void OnPodDeleted(V1Pod pod)
    {
        if (Objects.ControllerOf(pod) is not { } controllerRef || Resolve(pod.Metadata.NamespaceProperty, controllerRef) is not { } owner)
        {
            return;
        }

        var key = ObjectKeys.For(owner);
        Expectations.DeletionObserved(key, Pods.Key(pod));
        Enqueue(key);
    }

    /// <summary>The owner a controller reference names, if it is of our kind and still the same object (same UID).</summary>
    private T? Resolve(string ns, V1OwnerReference controllerRef)
    {
        if (controllerRef.Kind != _kind.Kind)
        {
            return null;
        }

        var owner = _owners.Get(ObjectKeys.For(ns, controllerRef.Name));
        return owner is not null && owner.Metadata.Uid == controllerRef.Uid ? owner : null;
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
