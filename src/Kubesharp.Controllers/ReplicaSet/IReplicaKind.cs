using k8s;
using k8s.Models;
using Kubesharp.Api.Selectors;
using Kubesharp.Controllers.Common;

namespace Kubesharp.Controllers.ReplicaSet;

/// <summary>One condition of a ReplicaSet's or replication controller's status (their condition types share these fields).</summary>
internal sealed record ReplicaCondition(string Type, string Status, string? Reason, string? Message, DateTime? LastTransitionTime)
{
    public bool Same(ReplicaCondition other) =>
        Type == other.Type && Status == other.Status && Reason == other.Reason && Message == other.Message && MetaTime.Same(LastTransitionTime, other.LastTransitionTime);
}

/// <summary>The status fields ReplicaSets and replication controllers share.</summary>
internal sealed record ReplicaStatus(
    int Replicas,
    int FullyLabeledReplicas,
    int ReadyReplicas,
    int AvailableReplicas,
    long ObservedGeneration,
    IReadOnlyList<ReplicaCondition> Conditions);

/// <summary>
/// What the shared replica core needs of an owner kind: upstream runs the replication controller through
/// the ReplicaSet controller by converting between the two; this is that conversion, narrowed to the
/// fields the core reads and writes.
/// </summary>
internal interface IReplicaKind<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    /// <summary>The kind in ownerReferences: <c>ReplicaSet</c>, <c>ReplicationController</c>.</summary>
    string Kind { get; }

    /// <summary>The apiVersion in ownerReferences: <c>apps/v1</c>, <c>v1</c>.</summary>
    string ApiVersion { get; }

    /// <summary>The controller's name in logs: <c>replicaset-controller</c>.</summary>
    string ControllerName { get; }

    /// <summary>The events' source component: <c>replicaset-controller</c>, <c>replication-controller</c>.</summary>
    string EventComponent { get; }

    int Replicas(T owner);

    int MinReadySeconds(T owner);

    /// <summary>The owner's pod selector.</summary>
    /// <exception cref="Kubesharp.Api.Errors.StatusException">The selector is invalid.</exception>
    LabelSelector Selector(T owner);

    V1PodTemplateSpec? Template(T owner);

    ReplicaStatus Status(T owner);

    Task<T> GetAsync(IWorkloadClient client, string ns, string name, CancellationToken cancellationToken);

    /// <summary>Writes <paramref name="status"/> over a copy of <paramref name="owner"/> through the status subresource.</summary>
    Task<T> UpdateStatusAsync(IWorkloadClient client, T owner, ReplicaStatus status, CancellationToken cancellationToken);
}
