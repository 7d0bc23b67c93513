using static Kubesharp.Api.Patch.Schema.MetaV1PatchTypes;

namespace Kubesharp.Api.Patch.Schema;

/// <summary>
/// Patch metadata of <c>core/v1</c> (k8s.io/api/core/v1/types.go, v1.32): every field tagged
/// <c>patchStrategy</c>, and the path to it. Lists that are replaced (no tag) are left out, and so are the
/// types of their items, since a replaced list is never looked into.
/// </summary>
internal static class CoreV1PatchTypes
{
    private const string Prefix = "io.k8s.api.core.v1.";

    // Upstream merges container ports on containerPort alone, although (containerPort, protocol) is the real
    // key: a patch for 53/UDP merges into an existing 53/TCP item.
    internal static readonly PatchType Container = new(Prefix + "Container",
        PatchField.MergeList("ports", "containerPort"),
        PatchField.MergeList("env", "name"),
        PatchField.MergeList("volumeMounts", "mountPath"),
        PatchField.MergeList("volumeDevices", "devicePath"));

    internal static readonly PatchType EphemeralContainer = new(Prefix + "EphemeralContainer",
        PatchField.MergeList("ports", "containerPort"),
        PatchField.MergeList("env", "name"),
        PatchField.MergeList("volumeMounts", "mountPath"),
        PatchField.MergeList("volumeDevices", "devicePath"));

    internal static readonly PatchType PersistentVolumeClaimTemplate = new(Prefix + "PersistentVolumeClaimTemplate",
        PatchField.Object("metadata", ObjectMeta));

    internal static readonly PatchType EphemeralVolumeSource = new(Prefix + "EphemeralVolumeSource",
        PatchField.Object("volumeClaimTemplate", PersistentVolumeClaimTemplate));

    internal static readonly PatchType Volume = new(Prefix + "Volume",
        PatchField.Object("ephemeral", EphemeralVolumeSource));

    // Volumes and resource claims are "merge,retainKeys": each item is a union of sources, and clients send
    // $retainKeys so that switching source (emptyDir to configMap) drops the old one.
    // Topology spread constraints merge on topologyKey alone, although the real key also has whenUnsatisfiable.
    internal static readonly PatchType PodSpec = new(Prefix + "PodSpec",
        PatchField.MergeList("volumes", "name", Volume, retainKeys: true),
        PatchField.MergeList("initContainers", "name", Container),
        PatchField.MergeList("containers", "name", Container),
        PatchField.MergeList("ephemeralContainers", "name", EphemeralContainer),
        PatchField.MergeList("imagePullSecrets", "name"),
        PatchField.MergeList("hostAliases", "ip"),
        PatchField.MergeList("topologySpreadConstraints", "topologyKey"),
        PatchField.MergeList("schedulingGates", "name"),
        PatchField.MergeList("resourceClaims", "name", retainKeys: true));

    // Container statuses have no strategy: a status patch replaces the whole list.
    internal static readonly PatchType PodStatus = new(Prefix + "PodStatus",
        PatchField.MergeList("conditions", "type"),
        PatchField.MergeList("hostIPs", "ip"),
        PatchField.MergeList("podIPs", "ip"),
        PatchField.MergeList("resourceClaimStatuses", "name", retainKeys: true));

    internal static readonly PatchType PodTemplateSpec = new(Prefix + "PodTemplateSpec",
        PatchField.Object("metadata", ObjectMeta),
        PatchField.Object("spec", PodSpec));

    internal static readonly PatchType Pod = Root(Prefix + "Pod",
        PatchField.Object("spec", PodSpec),
        PatchField.Object("status", PodStatus));

    internal static readonly PatchType PodTemplate = Root(Prefix + "PodTemplate",
        PatchField.Object("template", PodTemplateSpec));

    internal static readonly PatchType ReplicationController = Root(Prefix + "ReplicationController",
        PatchField.Object("spec", new PatchType(Prefix + "ReplicationControllerSpec", PatchField.Object("template", PodTemplateSpec))),
        PatchField.Object("status", Conditions(Prefix + "ReplicationControllerStatus")));

    // Service ports merge on port alone, although (port, protocol) is the real key: DNS on 53/TCP and 53/UDP
    // cannot be told apart by a strategic merge patch, and a patch for one changes the other.
    internal static readonly PatchType Service = Root(Prefix + "Service",
        PatchField.Object("spec", new PatchType(Prefix + "ServiceSpec", PatchField.MergeList("ports", "port"))),
        PatchField.Object("status", Conditions(Prefix + "ServiceStatus")));

    // Node addresses merge on type, so two addresses of one type (two InternalIPs) collapse into one.
    internal static readonly PatchType Node = Root(Prefix + "Node",
        PatchField.Object("spec", new PatchType(Prefix + "NodeSpec", PatchField.MergeScalars("podCIDRs"))),
        PatchField.Object("status", new PatchType(Prefix + "NodeStatus",
            PatchField.MergeList("conditions", "type"),
            PatchField.MergeList("addresses", "type"))));

    internal static readonly PatchType Namespace = Root(Prefix + "Namespace",
        PatchField.Object("status", Conditions(Prefix + "NamespaceStatus")));

    internal static readonly PatchType ServiceAccount = Root(Prefix + "ServiceAccount",
        PatchField.MergeList("secrets", "name"));

    internal static readonly PatchType PersistentVolumeClaim = Root(Prefix + "PersistentVolumeClaim",
        PatchField.Object("status", Conditions(Prefix + "PersistentVolumeClaimStatus")));

    internal static readonly PatchType ComponentStatus = Root(Prefix + "ComponentStatus",
        PatchField.MergeList("conditions", "type"));

    internal static IEnumerable<(string Kind, PatchType Root)> Kinds =>
    [
        ("Pod", Pod),
        ("PodTemplate", PodTemplate),
        ("ReplicationController", ReplicationController),
        ("Service", Service),
        ("Node", Node),
        ("Namespace", Namespace),
        ("ServiceAccount", ServiceAccount),
        ("PersistentVolumeClaim", PersistentVolumeClaim),
        ("ComponentStatus", ComponentStatus),
        ("Endpoints", Root(Prefix + "Endpoints")),
        ("ConfigMap", Root(Prefix + "ConfigMap")),
        ("Secret", Root(Prefix + "Secret")),
        ("PersistentVolume", Root(Prefix + "PersistentVolume")),
        ("Event", Root(Prefix + "Event")),
        ("LimitRange", Root(Prefix + "LimitRange")),
        ("ResourceQuota", Root(Prefix + "ResourceQuota")),
        ("Binding", Root(Prefix + "Binding")),
    ];

    /// <summary>A status type whose only patch metadata is <c>conditions</c>, merged on <c>type</c>.</summary>
    internal static PatchType Conditions(string name) => new(name, PatchField.MergeList("conditions", "type"));
}
