using static Kubesharp.Api.Patch.Schema.CoreV1PatchTypes;
using static Kubesharp.Api.Patch.Schema.MetaV1PatchTypes;

namespace Kubesharp.Api.Patch.Schema;

/// <summary>Patch metadata of <c>apps/v1</c> (k8s.io/api/apps/v1/types.go, v1.32). Every workload reaches PodSpec through its template.</summary>
internal static class AppsV1PatchTypes
{
    private const string Prefix = "io.k8s.api.apps.v1.";

    // The strategy is a union (Recreate, or RollingUpdate with its parameters): retainKeys lets a patch that
    // switches to Recreate drop rollingUpdate.
    internal static readonly PatchType Deployment = Root(Prefix + "Deployment",
        PatchField.Object("spec", new PatchType(Prefix + "DeploymentSpec",
            PatchField.Object("template", PodTemplateSpec),
            PatchField.RetainKeysObject("strategy"))),
        PatchField.Object("status", Conditions(Prefix + "DeploymentStatus")));

    internal static readonly PatchType ReplicaSet = Root(Prefix + "ReplicaSet",
        PatchField.Object("spec", Template(Prefix + "ReplicaSetSpec")),
        PatchField.Object("status", Conditions(Prefix + "ReplicaSetStatus")));

    // volumeClaimTemplates has no strategy and is replaced whole.
    internal static readonly PatchType StatefulSet = Root(Prefix + "StatefulSet",
        PatchField.Object("spec", Template(Prefix + "StatefulSetSpec")),
        PatchField.Object("status", Conditions(Prefix + "StatefulSetStatus")));

    internal static readonly PatchType DaemonSet = Root(Prefix + "DaemonSet",
        PatchField.Object("spec", Template(Prefix + "DaemonSetSpec")),
        PatchField.Object("status", Conditions(Prefix + "DaemonSetStatus")));

    internal static IEnumerable<(string Kind, PatchType Root)> Kinds =>
    [
        ("Deployment", Deployment),
        ("ReplicaSet", ReplicaSet),
        ("StatefulSet", StatefulSet),
        ("DaemonSet", DaemonSet),
        ("ControllerRevision", Root(Prefix + "ControllerRevision")),
    ];

    private static PatchType Template(string name) => new(name, PatchField.Object("template", PodTemplateSpec));
}
