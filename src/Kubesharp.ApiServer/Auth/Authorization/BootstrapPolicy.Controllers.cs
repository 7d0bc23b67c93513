using k8s.Models;
using static Kubesharp.ApiServer.Auth.Authorization.PolicyRuleBuilder;

namespace Kubesharp.ApiServer.Auth.Authorization;

internal static partial class BootstrapPolicy
{
    public const string ControllerRolePrefix = "system:controller:";

    /// <summary>
    /// The <c>system:controller:*</c> ClusterRoles of upstream's controller_policy.go that v1.32 creates
    /// with default feature gates; each is bound to the service account of the same name (without the
    /// prefix) in kube-system by <see cref="ControllerRoleBindings"/>.
    /// </summary>
    /// <remarks>
    /// Left out as upstream leaves them out by default in v1.32: resource-claim-controller
    /// (DynamicResourceAllocation), service-cidrs-controller (MultiCIDRServiceAllocator),
    /// volumeattributesclass-protection-controller (VolumeAttributesClass), selinux-warning-controller
    /// (SELinuxChangePolicy), storage-version-garbage-collector and storage-version-migrator-controller,
    /// kube-apiserver-serving-clustertrustbundle-publisher. The watch verbs that v1.33 added to roles that
    /// had list only (kubernetes#130405) are not here.
    /// </remarks>
    public static List<V1ClusterRole> ControllerRoles() =>
    [
        Controller(
            "attachdetach-controller",
            Rule("list", "watch").Groups(Legacy).Resources("persistentvolumes", "persistentvolumeclaims"),
            Rule("get", "list", "watch").Groups(Legacy).Resources("nodes"),
            Rule("patch", "update").Groups(Legacy).Resources("nodes/status"),
            Rule("list", "watch").Groups(Legacy).Resources("pods"),
            EventsRule(),
            Rule("get", "create", "delete", "list", "watch").Groups(Storage).Resources("volumeattachments"),
            Rule("get", "watch", "list").Groups(Storage).Resources("csidrivers"),
            Rule("get", "watch", "list").Groups(Storage).Resources("csinodes")),
        Controller(
            "clusterrole-aggregation-controller",
            // It must have full power over ClusterRoles to write whatever it aggregates.
            Rule("escalate", "get", "list", "watch", "update", "patch").Groups(Rbac).Resources("clusterroles")),
        Controller(
            "cronjob-controller",
            Rule("get", "list", "watch", "update").Groups(Batch).Resources("cronjobs"),
            Rule("get", "list", "watch", "create", "update", "delete", "patch").Groups(Batch).Resources("jobs"),
            Rule("update").Groups(Batch).Resources("cronjobs/status"),
            Rule("update").Groups(Batch).Resources("cronjobs/finalizers"),
            Rule("list", "delete").Groups(Legacy).Resources("pods"),
            EventsRule()),
        Controller(
            "daemon-set-controller",
            Rule(Read).Groups(Extensions, Apps).Resources("daemonsets"),
            Rule("update").Groups(Extensions, Apps).Resources("daemonsets/status"),
            Rule("update").Groups(Extensions, Apps).Resources("daemonsets/finalizers"),
            Rule("list", "watch").Groups(Legacy).Resources("nodes"),
            Rule("list", "watch", "create", "delete", "patch").Groups(Legacy).Resources("pods"),
            Rule("create").Groups(Legacy).Resources("pods/binding"),
            Rule("get", "list", "watch", "create", "delete", "update", "patch").Groups(Apps).Resources("controllerrevisions"),
            EventsRule()),
        Controller(
            "deployment-controller",
            Rule("get", "list", "watch", "update").Groups(Extensions, Apps).Resources("deployments"),
            Rule("update").Groups(Extensions, Apps).Resources("deployments/status"),
            Rule("update").Groups(Extensions, Apps).Resources("deployments/finalizers"),
            Rule("get", "list", "watch", "create", "update", "patch", "delete").Groups(Apps, Extensions).Resources("replicasets"),
            // Upstream keeps update until kubernetes#36897 is resolved.
            Rule("get", "list", "watch", "update").Groups(Legacy).Resources("pods"),
            EventsRule()),
        Controller(
            "disruption-controller",
            Rule(Read).Groups(Extensions, Apps).Resources("deployments"),
            Rule(Read).Groups(Apps, Extensions).Resources("replicasets"),
            Rule(Read).Groups(Legacy).Resources("replicationcontrollers"),
            Rule(Read).Groups(Policy).Resources("poddisruptionbudgets"),
            Rule(Read).Groups(Apps).Resources("statefulsets"),
            Rule("update").Groups(Policy).Resources("poddisruptionbudgets/status"),
            Rule("patch", "update").Groups(Legacy).Resources("pods/status"),
            Rule("get").Groups("*").Resources("*/scale"),
            EventsRule()),
        Controller(
            "endpoint-controller",
            Rule(Read).Groups(Legacy).Resources("services", "pods"),
            Rule("get", "list", "create", "update", "delete").Groups(Legacy).Resources("endpoints"),
            Rule("create").Groups(Legacy).Resources("endpoints/restricted"),
            EventsRule()),
        Controller(
            "endpointslice-controller",
            Rule(Read).Groups(Legacy).Resources("services", "pods", "nodes"),
            // To own its slices with blockOwnerDeletion, it must be able to set the service's finalizers.
            Rule("update").Groups(Legacy).Resources("services/finalizers"),
            Rule("get", "list", "create", "update", "delete").Groups(Discovery).Resources("endpointslices"),
            EventsRule()),
        Controller(
            "endpointslicemirroring-controller",
            Rule(Read).Groups(Legacy).Resources("services", "endpoints"),
            Rule("update").Groups(Legacy).Resources("services/finalizers"),
            Rule("update").Groups(Legacy).Resources("endpoints/finalizers"),
            Rule("get", "list", "create", "update", "delete").Groups(Discovery).Resources("endpointslices"),
            EventsRule()),
        Controller(
            "expand-controller",
            Rule("get", "list", "watch", "update", "patch").Groups(Legacy).Resources("persistentvolumes"),
            Rule("update", "patch").Groups(Legacy).Resources("persistentvolumeclaims/status"),
            Rule(Read).Groups(Legacy).Resources("persistentvolumeclaims"),
            EventsRule(),
            // The portworx volume plugin.
            Rule("get").Groups(Legacy).Resources("services")),
        Controller(
            "ephemeral-volume-controller",
            Rule(Read).Groups(Legacy).Resources("pods"),
            Rule("update").Groups(Legacy).Resources("pods/finalizers"),
            Rule("get", "list", "watch", "create").Groups(Legacy).Resources("persistentvolumeclaims"),
            EventsRule()),
        Controller(
            "generic-garbage-collector",
            // List, watch, selective gets and updates of any resource.
            Rule("get", "list", "watch", "patch", "update", "delete").Groups("*").Resources("*"),
            EventsRule()),
        Controller(
            "horizontal-pod-autoscaler",
            Rule(Read).Groups(Autoscaling).Resources("horizontalpodautoscalers"),
            Rule("update").Groups(Autoscaling).Resources("horizontalpodautoscalers/status"),
            Rule("get", "update").Groups("*").Resources("*/scale"),
            Rule("list").Groups(Legacy).Resources("pods"),
            // Resource, custom and external metrics.
            Rule("list").Groups(ResourceMetrics).Resources("pods"),
            Rule("get", "list").Groups(CustomMetrics).Resources("*"),
            Rule("get", "list").Groups(ExternalMetrics).Resources("*"),
            EventsRule()),
        Controller(
            "job-controller",
            Rule("get", "list", "watch", "update", "patch").Groups(Batch).Resources("jobs"),
            Rule("update").Groups(Batch).Resources("jobs/status"),
            Rule("update").Groups(Batch).Resources("jobs/finalizers"),
            Rule("list", "watch", "create", "delete", "patch").Groups(Legacy).Resources("pods"),
            EventsRule()),
        Controller(
            "namespace-controller",
            Rule("get", "list", "watch", "delete").Groups(Legacy).Resources("namespaces"),
            Rule("update").Groups(Legacy).Resources("namespaces/finalize", "namespaces/status"),
            Rule("get", "list", "delete", "deletecollection").Groups("*").Resources("*")),
        Controller(
            "node-controller",
            Rule("get", "list", "update", "delete", "patch").Groups(Legacy).Resources("nodes"),
            Rule("patch", "update").Groups(Legacy).Resources("nodes/status"),
            // Used for pod deletion.
            Rule("patch", "update").Groups(Legacy).Resources("pods/status"),
            Rule("list", "get", "delete").Groups(Legacy).Resources("pods"),
            EventsRule()),
        Controller(
            "persistent-volume-binder",
            Rule("get", "list", "watch", "update", "create", "delete").Groups(Legacy).Resources("persistentvolumes"),
            Rule("update").Groups(Legacy).Resources("persistentvolumes/status"),
            Rule("get", "list", "watch", "update").Groups(Legacy).Resources("persistentvolumeclaims"),
            Rule("update").Groups(Legacy).Resources("persistentvolumeclaims/status"),
            Rule("list", "watch", "get", "create", "delete").Groups(Legacy).Resources("pods"),
            Rule(Read).Groups(Storage).Resources("storageclasses"),
            Rule("list", "watch").Groups(Legacy).Resources("nodes"),
            EventsRule(),
            // The recycler watches its pod's events.
            Rule("watch").Groups(Legacy).Resources("events"),
            // The portworx volume plugin.
            Rule("get").Groups(Legacy).Resources("services")),
        Controller(
            "pod-garbage-collector",
            Rule("list", "watch", "delete").Groups(Legacy).Resources("pods"),
            Rule("get", "list").Groups(Legacy).Resources("nodes"),
            Rule("patch").Groups(Legacy).Resources("pods/status")),
        Controller(
            "replicaset-controller",
            Rule("get", "list", "watch", "update").Groups(Apps, Extensions).Resources("replicasets"),
            Rule("update").Groups(Apps, Extensions).Resources("replicasets/status"),
            Rule("update").Groups(Apps, Extensions).Resources("replicasets/finalizers"),
            Rule("list", "watch", "patch", "create", "delete").Groups(Legacy).Resources("pods"),
            EventsRule()),
        Controller(
            "replication-controller",
            // Version 1.0 controllers needed get and update; without them they break on newer servers.
            Rule("get", "list", "watch", "update").Groups(Legacy).Resources("replicationcontrollers"),
            Rule("update").Groups(Legacy).Resources("replicationcontrollers/status"),
            Rule("update").Groups(Legacy).Resources("replicationcontrollers/finalizers"),
            Rule("list", "watch", "patch", "create", "delete").Groups(Legacy).Resources("pods"),
            EventsRule()),
        Controller(
            "resourcequota-controller",
            // Quota can count anything, so it reads everything.
            Rule("list", "watch").Groups("*").Resources("*"),
            Rule("update").Groups(Legacy).Resources("resourcequotas/status"),
            EventsRule()),
        Controller(
            "route-controller",
            Rule("list", "watch").Groups(Legacy).Resources("nodes"),
            Rule("patch").Groups(Legacy).Resources("nodes/status"),
            EventsRule()),
        Controller(
            "service-account-controller",
            Rule("create").Groups(Legacy).Resources("serviceaccounts"),
            EventsRule()),
        Controller(
            "service-controller",
            Rule(Read).Groups(Legacy).Resources("services"),
            Rule("patch", "update").Groups(Legacy).Resources("services/status"),
            Rule("list", "watch").Groups(Legacy).Resources("nodes"),
            EventsRule()),
        Controller(
            "statefulset-controller",
            Rule("list", "watch").Groups(Legacy).Resources("pods"),
            Rule(Read).Groups(Apps).Resources("statefulsets"),
            Rule("update").Groups(Apps).Resources("statefulsets/status"),
            Rule("update").Groups(Apps).Resources("statefulsets/finalizers"),
            Rule("get", "create", "delete", "update", "patch").Groups(Legacy).Resources("pods"),
            Rule("get", "create", "delete", "update", "patch", "list", "watch").Groups(Apps).Resources("controllerrevisions"),
            Rule("get", "create", "list", "watch").Groups(Legacy).Resources("persistentvolumeclaims"),
            Rule("update", "delete").Groups(Legacy).Resources("persistentvolumeclaims"),
            Rule("update").Groups(Legacy).Resources("pods/finalizers"),
            EventsRule()),
        Controller(
            "ttl-controller",
            Rule("update", "patch", "list", "watch").Groups(Legacy).Resources("nodes"),
            EventsRule()),
        Controller(
            "certificate-controller",
            Rule("get", "list", "watch", "delete").Groups(Certificates).Resources("certificatesigningrequests"),
            Rule("update").Groups(Certificates).Resources("certificatesigningrequests/status", "certificatesigningrequests/approval"),
            Rule("approve").Groups(Certificates).Resources("signers").Names("kubernetes.io/kube-apiserver-client-kubelet"),
            Rule("sign").Groups(Certificates).Resources("signers").Names(
                "kubernetes.io/legacy-unknown",
                "kubernetes.io/kube-apiserver-client",
                "kubernetes.io/kube-apiserver-client-kubelet",
                "kubernetes.io/kubelet-serving"),
            Rule("create").Groups(Authorization).Resources("subjectaccessreviews"),
            EventsRule()),
        Controller(
            "pvc-protection-controller",
            Rule("get", "list", "watch", "update").Groups(Legacy).Resources("persistentvolumeclaims"),
            Rule("list", "watch", "get").Groups(Legacy).Resources("pods"),
            EventsRule()),
        Controller(
            "pv-protection-controller",
            Rule("get", "list", "watch", "update").Groups(Legacy).Resources("persistentvolumes"),
            EventsRule()),
        Controller(
            "ttl-after-finished-controller",
            Rule("get", "list", "watch", "delete").Groups(Batch).Resources("jobs"),
            EventsRule()),
        Controller(
            "root-ca-cert-publisher",
            Rule("create", "update").Groups(Legacy).Resources("configmaps"),
            EventsRule()),
        Controller(
            "validatingadmissionpolicy-status-controller",
            Rule(Read).Groups(AdmissionRegistration).Resources("validatingadmissionpolicies"),
            Rule("get", "patch", "update").Groups(AdmissionRegistration).Resources("validatingadmissionpolicies/status"),
            EventsRule()),
        Controller(
            "legacy-service-account-token-cleaner",
            Rule("get").Groups(Legacy).Resources("configmaps").Names("kube-apiserver-legacy-service-account-token-tracking"),
            Rule("patch", "delete").Groups(Legacy).Resources("secrets")),
    ];

    /// <summary>Each controller role bound to its controller's service account in kube-system.</summary>
    public static List<V1ClusterRoleBinding> ControllerRoleBindings() =>
        ControllerRoles()
            .Select(role => role.Metadata.Name)
            .Select(name => ClusterBinding(name, ServiceAccount(KubeSystem, name[ControllerRolePrefix.Length..])))
            .ToList();

    private static V1ClusterRole Controller(string controller, params V1PolicyRule[] rules) => ClusterRole(ControllerRolePrefix + controller, rules);
}
