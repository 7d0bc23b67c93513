using k8s.Models;

namespace Kubesharp.Controllers.GarbageCollector;

/// <summary>Where an object is and which one it is: the coordinates an ownerReference (plus a namespace) names, and the uid.</summary>
public sealed record ObjectIdentity(string ApiVersion, string Kind, string Namespace, string Name, string Uid)
{
    public override string ToString() =>
        $"[{ApiVersion}/{Kind}, namespace: {Namespace}, name: {Name}, uid: {Uid}]";
}

/// <summary>
/// One object in the ownership graph (upstream's <c>node</c>). Observed nodes were seen through a monitor;
/// virtual ones are known only because a dependent names them as owner, until a monitor shows them or a live
/// read proves them absent. Owned by <see cref="DependencyGraph"/>: read and written under its lock only.
/// </summary>
internal sealed class GraphNode(ObjectIdentity identity)
{
    public ObjectIdentity Identity { get; set; } = identity;

    /// <summary>Seen through a monitor (false: virtual).</summary>
    public bool Observed { get; set; }

    /// <summary>Virtual, and verified not to exist (or observed deleted while dependents still name it).</summary>
    public bool Absent { get; set; }

    public IReadOnlyList<V1OwnerReference> Owners { get; set; } = [];

    public HashSet<GraphNode> Dependents { get; } = [];

    /// <summary>Has a deletionTimestamp.</summary>
    public bool BeingDeleted { get; set; }

    /// <summary>Being deleted with the <c>foregroundDeletion</c> finalizer: waits for its blocking dependents to go.</summary>
    public bool DeletingDependents { get; set; }

    /// <summary>Being deleted with the <c>orphan</c> finalizer: its dependents are to be released.</summary>
    public bool Orphaning { get; set; }

    /// <summary>Whether this node's reference to <paramref name="ownerUid"/> has <c>blockOwnerDeletion: true</c>.</summary>
    public bool Blocks(string ownerUid) => Owners.Any(o => o.Uid == ownerUid && o.BlockOwnerDeletion == true);
}

/// <summary>A copy of a node's state for a worker, taken under the graph's lock.</summary>
internal sealed record NodeSnapshot(ObjectIdentity Identity, bool Observed, bool Absent, bool BeingDeleted, bool DeletingDependents, IReadOnlyList<DependentSnapshot> Dependents);

/// <summary>A dependent of a snapshotted node: who it is, whether it blocks the owner's foreground deletion, and whether it is itself deleting its dependents.</summary>
internal sealed record DependentSnapshot(ObjectIdentity Identity, bool Blocking, bool DeletingDependents);
