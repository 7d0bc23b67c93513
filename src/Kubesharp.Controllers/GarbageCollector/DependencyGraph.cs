using k8s.Models;
using Kubesharp.Controllers.Dynamic;

namespace Kubesharp.Controllers.GarbageCollector;

/// <summary>
/// The ownership graph of every monitored object (upstream's GraphBuilder and uidToNode), kept from the
/// monitors' notifications, and the source of the garbage collector's work: it queues an object for
/// <c>attemptToDelete</c> when its owner may be gone or is waiting for it, and an owner for
/// <c>attemptToOrphan</c> when it starts deleting with the orphan finalizer.
/// <para>
/// Rules: an object names its owners by uid; an owner not (yet) seen is a virtual node, queued so that a live read
/// decides whether it exists. An owner seen deleted, or read and found absent, stays in the graph as an absent
/// virtual node while dependents still name it, so that dependents added later are queued at once; a virtual
/// node goes with its last dependent. A node that starts deleting with <c>foregroundDeletion</c> queues its
/// dependents and itself; a dependent that stops blocking (deleted, reference removed, or
/// <c>blockOwnerDeletion</c> cleared) queues its foreground-deleting owner.
/// </para>
/// Thread-safe: one lock over the whole graph, never held across a call that can block (the enqueue callbacks
/// must be quick and must not call back into the graph).
/// </summary>
internal sealed class DependencyGraph(Action<string> attemptToDelete, Action<string> attemptToOrphan, AbsentOwnerCache absent)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, GraphNode> _nodes = new(StringComparer.Ordinal);

    public const string ForegroundFinalizer = "foregroundDeletion";
    public const string OrphanFinalizer = "orphan";

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _nodes.Count;
            }
        }
    }

    /// <summary>An object added or changed (or listed again).</summary>
    public void OnUpsert(PartialObject obj)
    {
        var meta = obj.Metadata;
        if (string.IsNullOrEmpty(meta?.Uid))
        {
            return;
        }

        var identity = IdentityOf(obj);
        var owners = (IReadOnlyList<V1OwnerReference>?)meta.OwnerReferences?.ToList() ?? [];
        var beingDeleted = meta.DeletionTimestamp is not null;
        var deletingDependents = beingDeleted && meta.Finalizers?.Contains(ForegroundFinalizer) == true;
        var orphaning = beingDeleted && meta.Finalizers?.Contains(OrphanFinalizer) == true;
        lock (_lock)
        {
            bool wasDeletingDependents, wasOrphaning;
            if (!_nodes.TryGetValue(identity.Uid, out var node))
            {
                node = new GraphNode(identity) { Observed = true, Owners = owners };
                _nodes[identity.Uid] = node;
                LinkToOwners(node, owners);
                (wasDeletingDependents, wasOrphaning) = (false, false);
            }
            else
            {
                if (!node.Observed)
                {
                    ObserveVirtual(node, identity);
                    (wasDeletingDependents, wasOrphaning) = (false, false);
                }
                else
                {
                    (wasDeletingDependents, wasOrphaning) = (node.DeletingDependents, node.Orphaning);
                }

                node.Identity = identity;
                UpdateOwners(node, owners);
            }

            node.BeingDeleted = beingDeleted;
            node.DeletingDependents = deletingDependents;
            node.Orphaning = orphaning;
            if (orphaning && !wasOrphaning)
            {
                attemptToOrphan(identity.Uid);
            }
            else if (deletingDependents && !wasDeletingDependents)
            {
                foreach (var dependent in node.Dependents)
                {
                    attemptToDelete(dependent.Identity.Uid);
                }

                attemptToDelete(identity.Uid);
            }
        }
    }

    /// <summary>An object deleted (observed, or inferred from a relist).</summary>
    public void OnDelete(PartialObject obj)
    {
        var uid = obj.Metadata?.Uid;
        if (string.IsNullOrEmpty(uid))
        {
            return;
        }

        lock (_lock)
        {
            if (!_nodes.TryGetValue(uid, out var node) || !node.Observed)
            {
                return;
            }

            UnlinkFromOwners(node, node.Owners);
            if (node.Dependents.Count == 0)
            {
                _nodes.Remove(uid);
                return;
            }

            // Gone, but named by dependents: keep it as an absent virtual node and let each dependent be judged.
            absent.Add(KeyOf(node.Identity));
            node.Observed = false;
            node.Absent = true;
            node.Owners = [];
            node.BeingDeleted = node.DeletingDependents = node.Orphaning = false;
            foreach (var dependent in node.Dependents)
            {
                attemptToDelete(dependent.Identity.Uid);
            }
        }
    }

    /// <summary>A virtual node that a live read found missing: its dependents are queued to be judged.</summary>
    public void MarkAbsent(string uid)
    {
        lock (_lock)
        {
            if (!_nodes.TryGetValue(uid, out var node) || node.Observed)
            {
                return;
            }

            node.Absent = true;
            foreach (var dependent in node.Dependents)
            {
                attemptToDelete(dependent.Identity.Uid);
            }
        }
    }

    public NodeSnapshot? Snapshot(string uid)
    {
        lock (_lock)
        {
            if (!_nodes.TryGetValue(uid, out var node))
            {
                return null;
            }

            return new NodeSnapshot(
                node.Identity,
                node.Observed,
                node.Absent,
                node.BeingDeleted,
                node.DeletingDependents,
                [.. node.Dependents.Select(d => new DependentSnapshot(d.Identity, d.Blocks(uid), d.DeletingDependents))]);
        }
    }

    internal static string KeyOf(ObjectIdentity identity) =>
        AbsentOwnerCache.KeyOf(DiscoveryResult.GroupOf(identity.ApiVersion), identity.Kind, identity.Namespace, identity.Name, identity.Uid);

    private static ObjectIdentity IdentityOf(PartialObject obj) =>
        new(obj.ApiVersion, obj.Kind, obj.Metadata.NamespaceProperty ?? "", obj.Metadata.Name ?? "", obj.Metadata.Uid);

    // A virtual node becomes observed: its coordinates are now known for sure. Dependents in another namespace
    // than a namespaced owner named an owner that cannot be theirs (references are namespace-local): judge them.
    private void ObserveVirtual(GraphNode node, ObjectIdentity observed)
    {
        node.Observed = true;
        node.Absent = false;
        if (observed.Namespace.Length > 0)
        {
            foreach (var dependent in node.Dependents)
            {
                if (dependent.Identity.Namespace != observed.Namespace)
                {
                    attemptToDelete(dependent.Identity.Uid);
                }
            }
        }
    }

    private void LinkToOwners(GraphNode node, IEnumerable<V1OwnerReference> owners)
    {
        foreach (var reference in owners)
        {
            if (string.IsNullOrEmpty(reference.Uid))
            {
                continue;
            }

            if (!_nodes.TryGetValue(reference.Uid, out var owner))
            {
                // Seen only through this reference: a live read decides.
                owner = new GraphNode(new ObjectIdentity(reference.ApiVersion ?? "", reference.Kind ?? "", node.Identity.Namespace, reference.Name ?? "", reference.Uid));
                _nodes[reference.Uid] = owner;
                attemptToDelete(reference.Uid);
            }
            else if (owner.Absent || (owner.Observed && owner.Identity.Namespace.Length > 0 && owner.Identity.Namespace != node.Identity.Namespace))
            {
                // Known gone, or an owner in another namespace (which a reference cannot name): judge the dependent.
                attemptToDelete(node.Identity.Uid);
            }

            owner.Dependents.Add(node);
        }
    }

    private void UnlinkFromOwners(GraphNode node, IEnumerable<V1OwnerReference> owners)
    {
        foreach (var reference in owners)
        {
            if (string.IsNullOrEmpty(reference.Uid) || !_nodes.TryGetValue(reference.Uid, out var owner))
            {
                continue;
            }

            owner.Dependents.Remove(node);
            if (owner.DeletingDependents)
            {
                // Maybe the last dependent it waited for.
                attemptToDelete(owner.Identity.Uid);
            }

            if (!owner.Observed && owner.Dependents.Count == 0)
            {
                _nodes.Remove(reference.Uid);
            }
        }
    }

    private void UpdateOwners(GraphNode node, IReadOnlyList<V1OwnerReference> owners)
    {
        var old = node.Owners;
        var added = owners.Where(o => !old.Any(x => x.Uid == o.Uid)).ToList();
        var removed = old.Where(o => !owners.Any(x => x.Uid == o.Uid)).ToList();
        foreach (var reference in owners)
        {
            // blockOwnerDeletion cleared: an owner deleting in the foreground may now be free to go.
            var before = old.FirstOrDefault(x => x.Uid == reference.Uid);
            if (before?.BlockOwnerDeletion == true && reference.BlockOwnerDeletion != true
                && _nodes.TryGetValue(reference.Uid, out var owner) && owner.DeletingDependents)
            {
                attemptToDelete(owner.Identity.Uid);
            }
        }

        node.Owners = owners;
        if (added.Count > 0)
        {
            LinkToOwners(node, added);
        }

        if (removed.Count > 0)
        {
            UnlinkFromOwners(node, removed);
        }
    }
}
