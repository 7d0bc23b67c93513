using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Controllers.Common;

namespace Kubesharp.Controllers.Deployment;

/// <summary>The informer handlers: which Deployment to sync for each ReplicaSet and pod change.</summary>
internal sealed partial class DeploymentController
{
    internal void OnReplicaSetAdded(V1ReplicaSet rs)
    {
        if (rs.Metadata.DeletionTimestamp is not null)
        {
            // After a restart a ReplicaSet can first show up already being deleted.
            OnReplicaSetDeleted(rs);
            return;
        }

        if (Objects.ControllerOf(rs) is { } controllerRef)
        {
            if (Resolve(rs.Metadata.NamespaceProperty, controllerRef) is { } d)
            {
                Enqueue(d);
            }

            return;
        }

        // An orphan: every Deployment that selects it may want to adopt it.
        foreach (var d in DeploymentsSelecting(rs))
        {
            Enqueue(d);
        }
    }

    internal void OnReplicaSetUpdated(V1ReplicaSet old, V1ReplicaSet cur)
    {
        if (old.Metadata.ResourceVersion == cur.Metadata.ResourceVersion)
        {
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
            if (Resolve(cur.Metadata.NamespaceProperty, curRef) is { } d)
            {
                Enqueue(d);
            }

            return;
        }

        if (refChanged || !Objects.SameLabels(old.Metadata.Labels, cur.Metadata.Labels))
        {
            foreach (var d in DeploymentsSelecting(cur))
            {
                Enqueue(d);
            }
        }
    }

    internal void OnReplicaSetDeleted(V1ReplicaSet rs)
    {
        if (Objects.ControllerOf(rs) is { } controllerRef && Resolve(rs.Metadata.NamespaceProperty, controllerRef) is { } d)
        {
            Enqueue(d);
        }
    }

    /// <summary>A Recreate Deployment waits for its old pods to be gone: wake it when the last one goes.</summary>
    internal void OnPodDeleted(V1Pod pod)
    {
        if (Objects.ControllerOf(pod) is not { Kind: "ReplicaSet" } podRef
            || _replicaSets.Get(ObjectKeys.For(pod.Metadata.NamespaceProperty, podRef.Name)) is not { } rs
            || rs.Metadata.Uid != podRef.Uid
            || Objects.ControllerOf(rs) is not { } rsRef
            || Resolve(rs.Metadata.NamespaceProperty, rsRef) is not { } d
            || d.Spec?.Strategy?.Type != DeploymentMath.Recreate)
        {
            return;
        }

        var podsLeft = 0;
        foreach (var owned in _replicaSets.ByIndex(Indexers.ControllerUid, d.Metadata.Uid))
        {
            podsLeft += _pods.IndexKeys(Indexers.ControllerUid, owned.Metadata.Uid).Count;
        }

        if (podsLeft == 0)
        {
            Enqueue(d);
        }
    }

    private V1Deployment? Resolve(string ns, V1OwnerReference controllerRef)
    {
        if (controllerRef.Kind != Kind)
        {
            return null;
        }

        var d = _deployments.Get(ObjectKeys.For(ns, controllerRef.Name));
        return d is not null && d.Metadata.Uid == controllerRef.Uid ? d : null;
    }

    /// <summary>Deployments in the ReplicaSet's namespace whose non-empty selector matches its labels (upstream's <c>GetDeploymentsForReplicaSet</c>).</summary>
    private IEnumerable<V1Deployment> DeploymentsSelecting(V1ReplicaSet rs)
    {
        if (rs.Metadata.Labels is not { Count: > 0 })
        {
            yield break;
        }

        var labels = Objects.Labels(rs);
        foreach (var d in _deployments.ByIndex(Indexers.Namespace, rs.Metadata.NamespaceProperty ?? ""))
        {
            if (SelectorOf(d) is { IsEmpty: false } selector && selector.Matches(labels))
            {
                yield return d;
            }
        }
    }
}
