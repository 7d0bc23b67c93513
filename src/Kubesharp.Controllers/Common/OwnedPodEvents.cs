using k8s;
using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Client.WorkQueue;

namespace Kubesharp.Controllers.Common;

/// <summary>
/// Upstream's addPod / updatePod / deletePod handlers, which the ReplicaSet, ReplicationController, DaemonSet and
/// StatefulSet controllers share: a pod event wakes the owner its controller reference names (if it is of our kind
/// and still the same object), observes the owner's expectations, wakes every owner that may adopt an orphan, wakes
/// the previous owner when a pod is released, and wakes the owner again minReadySeconds after a pod turns ready
/// (availability has no event of its own). A pod being deleted counts as deleted at once, so it is replaced early.
/// </summary>
internal sealed class OwnedPodEvents<TOwner>
    where TOwner : class, IKubernetesObject<V1ObjectMeta>
{
    public required string OwnerKind { get; init; }

    public required IIndexReader<TOwner> Owners { get; init; }

    /// <summary>The owners of the pod's namespace whose selector matches it (candidates to adopt an orphan).</summary>
    public required Func<V1Pod, IEnumerable<TOwner>> OwnersSelecting { get; init; }

    public required IRateLimitingQueue<string> Queue { get; init; }

    public required Func<TOwner, int> MinReadySeconds { get; init; }

    /// <summary>Creations and deletions to observe; null for controllers without expectations (StatefulSet).</summary>
    public ControllerExpectations? Expectations { get; init; }

    /// <summary>Added to minReadySeconds before the availability recheck (upstream's ReplicaSet and DaemonSet add one second against skew).</summary>
    public TimeSpan AvailabilitySlack { get; init; }

    /// <summary>When a pod being deleted also changed its labels, the owners of its old labels are told too (upstream's ReplicaSet).</summary>
    public bool DeletedPodOldLabelsToo { get; init; }

    /// <summary>The owner a controller reference names, if it is of our kind and still the same object (same UID).</summary>
    public TOwner? Resolve(string ns, V1OwnerReference controllerRef)
    {
        if (controllerRef.Kind != OwnerKind)
        {
            return null;
        }

        var owner = Owners.Get(ObjectKeys.For(ns, controllerRef.Name));
        return owner is not null && owner.Metadata.Uid == controllerRef.Uid ? owner : null;
    }

    public void OnAdded(V1Pod pod)
    {
        if (pod.Metadata.DeletionTimestamp is not null)
        {
            // After a restart a pod can first show up already being deleted: not a creation to observe.
            OnDeleted(pod);
            return;
        }

        if (Objects.ControllerOf(pod) is { } controllerRef)
        {
            if (Resolve(pod.Metadata.NamespaceProperty, controllerRef) is { } owner)
            {
                var key = ObjectKeys.For(owner);
                Expectations?.CreationObserved(key);
                Queue.Add(key);
            }

            return;
        }

        // An orphan: every owner that selects it may want to adopt it. No creation is observed for an orphan.
        foreach (var owner in OwnersSelecting(pod))
        {
            Queue.Add(ObjectKeys.For(owner));
        }
    }

    public void OnUpdated(V1Pod old, V1Pod cur)
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
            OnDeleted(cur);
            if (labelsChanged && DeletedPodOldLabelsToo)
            {
                OnDeleted(old);
            }

            return;
        }

        var curRef = Objects.ControllerOf(cur);
        var oldRef = Objects.ControllerOf(old);
        var refChanged = !Objects.SameOwnerReference(curRef, oldRef);
        if (refChanged && oldRef is not null && Resolve(old.Metadata.NamespaceProperty, oldRef) is { } previous)
        {
            Queue.Add(ObjectKeys.For(previous));
        }

        if (curRef is not null)
        {
            if (Resolve(cur.Metadata.NamespaceProperty, curRef) is not { } owner)
            {
                return;
            }

            Queue.Add(ObjectKeys.For(owner));
            var minReady = MinReadySeconds(owner);
            if (!Pods.IsReady(old) && Pods.IsReady(cur) && minReady > 0)
            {
                Queue.AddAfter(ObjectKeys.For(owner), TimeSpan.FromSeconds(minReady) + AvailabilitySlack);
            }

            return;
        }

        if (labelsChanged || refChanged)
        {
            foreach (var owner in OwnersSelecting(cur))
            {
                Queue.Add(ObjectKeys.For(owner));
            }
        }
    }

    public void OnDeleted(V1Pod pod)
    {
        if (Objects.ControllerOf(pod) is not { } controllerRef || Resolve(pod.Metadata.NamespaceProperty, controllerRef) is not { } owner)
        {
            return;
        }

        var key = ObjectKeys.For(owner);
        Expectations?.DeletionObserved(key, Pods.Key(pod));
        Queue.Add(key);
    }
}
