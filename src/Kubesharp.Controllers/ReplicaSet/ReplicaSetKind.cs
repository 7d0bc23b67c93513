using k8s.Models;
using Kubesharp.Api.Selectors;
using Kubesharp.Controllers.Common;

namespace Kubesharp.Controllers.ReplicaSet;

/// <summary>apps/v1 ReplicaSets for the replica core.</summary>
internal sealed class ReplicaSetKind : IReplicaKind<V1ReplicaSet>
{
    public static ReplicaSetKind Instance { get; } = new();

    public string Kind => "ReplicaSet";

    public string ApiVersion => "apps/v1";

    public string ControllerName => "replicaset-controller";

    public string EventComponent => "replicaset-controller";

    public int Replicas(V1ReplicaSet owner) => owner.Spec?.Replicas ?? 1;

    public int MinReadySeconds(V1ReplicaSet owner) => owner.Spec?.MinReadySeconds ?? 0;

    public LabelSelector Selector(V1ReplicaSet owner) => Objects.Selector(owner.Spec?.Selector);

    public V1PodTemplateSpec? Template(V1ReplicaSet owner) => owner.Spec?.Template;

    public ReplicaStatus Status(V1ReplicaSet owner)
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

    public Task<V1ReplicaSet> GetAsync(IWorkloadClient client, string ns, string name, CancellationToken cancellationToken) =>
        client.GetReplicaSetAsync(ns, name, cancellationToken);

    public Task<V1ReplicaSet> UpdateStatusAsync(IWorkloadClient client, V1ReplicaSet owner, ReplicaStatus status, CancellationToken cancellationToken)
    {
        var copy = Objects.DeepCopy(owner);
        copy.Status = new V1ReplicaSetStatus
        {
            Replicas = status.Replicas,
            FullyLabeledReplicas = status.FullyLabeledReplicas,
            ReadyReplicas = status.ReadyReplicas,
            AvailableReplicas = status.AvailableReplicas,
            ObservedGeneration = status.ObservedGeneration,
            Conditions = status.Conditions.Count == 0 ? null : [.. status.Conditions.Select(c => new V1ReplicaSetCondition
            {
                Type = c.Type,
                Status = c.Status,
                Reason = c.Reason,
                Message = c.Message,
                LastTransitionTime = c.LastTransitionTime,
            })],
        };
        return client.UpdateReplicaSetStatusAsync(copy, cancellationToken);
    }
}
