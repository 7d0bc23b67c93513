using k8s.Models;
using Kubesharp.Api.Selectors;
using Kubesharp.Controllers.Common;
using Kubesharp.Controllers.ReplicaSet;

namespace Kubesharp.Controllers.ReplicationController;

/// <summary>
/// core/v1 replication controllers for the replica core, as upstream's replication manager runs them
/// through the ReplicaSet controller: the selector is a plain label map, the apiVersion in ownerReferences
/// is <c>v1</c>, and events come from <c>replication-controller</c>.
/// </summary>
internal sealed class ReplicationControllerKind : IReplicaKind<V1ReplicationController>
{
    public static ReplicationControllerKind Instance { get; } = new();

    public string Kind => "ReplicationController";

    public string ApiVersion => "v1";

    public string ControllerName => "replicationcontroller-controller";

    public string EventComponent => "replication-controller";

    public int Replicas(V1ReplicationController owner) => owner.Spec?.Replicas ?? 1;

    public int MinReadySeconds(V1ReplicationController owner) => owner.Spec?.MinReadySeconds ?? 0;

    public LabelSelector Selector(V1ReplicationController owner) =>
        LabelSelector.FromSet(owner.Spec?.Selector is { } selector ? Objects.Labels(selector) : null);

    public V1PodTemplateSpec? Template(V1ReplicationController owner) => owner.Spec?.Template;

    public ReplicaStatus Status(V1ReplicationController owner)
    {
        var s = owner.Status;
        return new ReplicaStatus(
            s?.Replicas ?? 0,
            s?.FullyLabeledReplicas ?? 0,
            s?.ReadyReplicas ?? 0,
            s?.AvailableReplicas ?? 0,
            s?.ObservedGeneration ?? 0,
            [.. (s?.Conditions ?? []).Select(c => new ReplicaCondition(c.Type, c.Status, c.Reason, c.Message, c.LastTransitionTime))]);
    }

    public Task<V1ReplicationController> GetAsync(IWorkloadClient client, string ns, string name, CancellationToken cancellationToken) =>
        client.GetReplicationControllerAsync(ns, name, cancellationToken);

    public Task<V1ReplicationController> UpdateStatusAsync(IWorkloadClient client, V1ReplicationController owner, ReplicaStatus status, CancellationToken cancellationToken)
    {
        var copy = Objects.DeepCopy(owner);
        copy.Status = new V1ReplicationControllerStatus
        {
            Replicas = status.Replicas,
            FullyLabeledReplicas = status.FullyLabeledReplicas,
            ReadyReplicas = status.ReadyReplicas,
            AvailableReplicas = status.AvailableReplicas,
            ObservedGeneration = status.ObservedGeneration,
            Conditions = status.Conditions.Count == 0 ? null : [.. status.Conditions.Select(c => new V1ReplicationControllerCondition
            {
                Type = c.Type,
                Status = c.Status,
                Reason = c.Reason,
                Message = c.Message,
                LastTransitionTime = c.LastTransitionTime,
            })],
        };
        return client.UpdateReplicationControllerStatusAsync(copy, cancellationToken);
    }
}
