using k8s.Models;
using Kubesharp.Controllers.Deployment;
using Kubesharp.Controllers.ReplicaSet;
using Kubesharp.Controllers.ReplicationController;

namespace Kubesharp.Controllers;

public static partial class WorkloadControllers
{
    /// <summary>The names are upstream's <c>--controllers</c> names.</summary>
    private static partial IReadOnlyList<ControllerDescriptor> Descriptors() =>
    [
        new("replicaset-controller", context => ReplicaManager<V1ReplicaSet>.Create(ReplicaSetKind.Instance, context)),
        new("replicationcontroller-controller", context => ReplicaManager<V1ReplicationController>.Create(ReplicationControllerKind.Instance, context)),
        new("deployment-controller", DeploymentController.Create),
    ];
}
