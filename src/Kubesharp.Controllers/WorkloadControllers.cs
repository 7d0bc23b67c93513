using k8s.Models;
using Kubesharp.Controllers.CronJob;
using Kubesharp.Controllers.DaemonSet;
using Kubesharp.Controllers.Deployment;
using Kubesharp.Controllers.Job;
using Kubesharp.Controllers.ReplicaSet;
using Kubesharp.Controllers.ReplicationController;
using Kubesharp.Controllers.StatefulSet;
using Kubesharp.Controllers.TtlAfterFinished;

namespace Kubesharp.Controllers;

public static partial class WorkloadControllers
{
    /// <summary>The names are upstream's <c>--controllers</c> names.</summary>
    private static partial IReadOnlyList<ControllerDescriptor> Descriptors() =>
    [
        new("replicaset-controller", context => ReplicaManager<V1ReplicaSet>.Create(ReplicaSetKind.Instance, context)),
        new("replicationcontroller-controller", context => ReplicaManager<V1ReplicationController>.Create(ReplicationControllerKind.Instance, context)),
        new("deployment-controller", DeploymentController.Create),
        new(JobController.ControllerName, context => JobController.Create(context), 5),
        new(CronJobController.ControllerName, context => CronJobController.Create(context), 5),
        new(TtlAfterFinishedController.ControllerName, TtlAfterFinishedController.Create, 5),
        // Upstream's --concurrent-daemonset-syncs 2 and --concurrent-statefulset-syncs 5.
        new(DaemonSetController.ControllerName, DaemonSetController.Create, 2),
        new(StatefulSetController.ControllerName, StatefulSetController.Create, 5),
    ];
}
