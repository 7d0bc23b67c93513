using System.Text.Json;
using k8s.Models;
using Kubesharp.ApiServer.Auth;
using Kubesharp.ApiServer.Auth.Authorization;
using static Kubesharp.ApiServer.Tests.Auth.Authorization.RbacFixtures;

namespace Kubesharp.ApiServer.Tests.Auth.Authorization;

public sealed class NodeRestrictionTests
{
    private static readonly UserInfo NodeA = NodeUser("a");

    private static string? Admit(UserInfo user, string verb, string group, string resource, string subresource, string ns, string name, object? oldObject, object? newObject) =>
        NodeRestriction.Admit(user, verb, group, resource, subresource, ns, name, ToJson(oldObject), ToJson(newObject));

    private static JsonElement? ToJson(object? value) => value is null ? null : Json(value);

    private static V1Node Node(string name, IDictionary<string, string>? labels = null, IList<V1Taint>? taints = null) =>
        new() { ApiVersion = "v1", Kind = "Node", Metadata = new V1ObjectMeta { Name = name, Labels = labels }, Spec = new V1NodeSpec { Taints = taints } };

    private static V1Pod MirrorPod(string node, Action<V1PodSpec>? configure = null)
    {
        var pod = Pod("kube-system", "static-" + node, node, configure, new Dictionary<string, string> { [PodReferences.MirrorPodAnnotation] = "hash" });
        pod.Metadata.OwnerReferences = [new V1OwnerReference { ApiVersion = "v1", Kind = "Node", Name = node, Uid = "uid-" + node, Controller = true }];
        return pod;
    }

    [Fact]
    public void A_node_may_not_modify_another_node()
    {
        Assert.Equal(
            "nodes \"b\" is forbidden: node \"a\" is not allowed to modify node \"b\"",
            Admit(NodeA, "update", "", "nodes", "", "", "b", Node("b"), Node("b")));
        Assert.NotNull(Admit(NodeA, "patch", "", "nodes", "status", "", "b", Node("b"), Node("b")));
        Assert.NotNull(Admit(NodeA, "delete", "", "nodes", "", "", "b", Node("b"), null));
        Assert.Equal(
            "nodes \"b\" is forbidden: node \"a\" is not allowed to modify node \"b\"",
            Admit(NodeA, "create", "", "nodes", "", "", "", null, Node("b")));
        Assert.Null(Admit(NodeA, "update", "", "nodes", "", "", "a", Node("a"), Node("a")));
        Assert.Null(Admit(NodeA, "create", "", "nodes", "", "", "a", null, Node("a", new Dictionary<string, string> { ["kubernetes.io/hostname"] = "a" })));
    }

    [Fact]
    public void A_node_may_not_set_restricted_labels_or_change_its_taints()
    {
        var plain = Node("a", new Dictionary<string, string> { ["kubernetes.io/os"] = "linux" });
        var restricted = Node("a", new Dictionary<string, string> { ["kubernetes.io/os"] = "linux", ["node-restriction.kubernetes.io/pool"] = "secure" });
        var role = Node("a", new Dictionary<string, string> { ["kubernetes.io/os"] = "linux", ["node-role.kubernetes.io/control-plane"] = "" });
        var allowed = Node("a", new Dictionary<string, string>
        {
            ["kubernetes.io/os"] = "linux",
            ["node.kubernetes.io/instance-type"] = "big",
            ["example.com/rack"] = "r1",
            ["topology.kubernetes.io/zone"] = "z",
        });

        Assert.Equal(
            "nodes \"a\" is forbidden: is not allowed to modify labels: node-restriction.kubernetes.io/pool",
            Admit(NodeA, "patch", "", "nodes", "", "", "a", plain, restricted));
        Assert.Equal(
            "nodes \"a\" is forbidden: is not allowed to modify labels: node-restriction.kubernetes.io/pool",
            Admit(NodeA, "update", "", "nodes", "", "", "a", restricted, plain));
        Assert.Equal(
            "nodes \"a\" is forbidden: node \"a\" is not allowed to set the following labels: node-restriction.kubernetes.io/pool, node-role.kubernetes.io/control-plane",
            Admit(NodeA, "create", "", "nodes", "", "", "a", null, Node("a", new Dictionary<string, string> { ["node-restriction.kubernetes.io/pool"] = "x", ["node-role.kubernetes.io/control-plane"] = "" })));
        Assert.NotNull(Admit(NodeA, "update", "", "nodes", "", "", "a", plain, role));
        Assert.Null(Admit(NodeA, "update", "", "nodes", "", "", "a", plain, allowed));
        Assert.Equal(
            "nodes \"a\" is forbidden: node \"a\" is not allowed to modify taints",
            Admit(NodeA, "update", "", "nodes", "", "", "a", Node("a", taints: [new V1Taint { Key = "k", Effect = "NoSchedule" }]), Node("a")));
        Assert.Null(Admit(NodeA, "update", "", "nodes", "", "", "a", Node("a", taints: []), Node("a")));
    }

    [Fact]
    public void A_node_may_update_the_status_only_of_pods_bound_to_it()
    {
        var onB = Pod("team-a", "web", "b");
        var onA = Pod("team-a", "web", "a");
        var relabelled = Pod("team-a", "web", "a");
        relabelled.Metadata.Labels = new Dictionary<string, string> { ["x"] = "y" };

        Assert.Equal(
            "pods \"web\" is forbidden: node \"a\" can only update pod status for pods with spec.nodeName set to itself",
            Admit(NodeA, "update", "", "pods", "status", "team-a", "web", onB, onB));
        Assert.Null(Admit(NodeA, "patch", "", "pods", "status", "team-a", "web", onA, onA));
        Assert.Equal(
            "pods \"web\" is forbidden: node \"a\" cannot update labels through pod status",
            Admit(NodeA, "update", "", "pods", "status", "team-a", "web", onA, relabelled));
    }

    [Fact]
    public void A_node_may_create_only_mirror_pods_bound_to_itself_naming_no_other_objects()
    {
        var plain = Pod("kube-system", "static-a", "a");

        Assert.Equal(
            "pods \"static-a\" is forbidden: pod does not have \"kubernetes.io/config.mirror\" annotation, node \"a\" can only create mirror pods",
            Admit(NodeA, "create", "", "pods", "", "kube-system", "", null, plain));
        Assert.Null(Admit(NodeA, "create", "", "pods", "", "kube-system", "", null, MirrorPod("a")));
        Assert.Equal(
            "pods \"static-b\" is forbidden: node \"a\" can only create pods with spec.nodeName set to itself",
            Admit(NodeA, "create", "", "pods", "", "kube-system", "", null, MirrorPod("b")));
        Assert.Equal(
            "pods \"static-a\" is forbidden: node \"a\" can not create pods that reference secrets",
            Admit(NodeA, "create", "", "pods", "", "kube-system", "", null, MirrorPod("a", s => s.ImagePullSecrets = [new V1LocalObjectReference { Name = "x" }])));
        Assert.Equal(
            "pods \"static-a\" is forbidden: node \"a\" can not create pods that reference a service account",
            Admit(NodeA, "create", "", "pods", "", "kube-system", "", null, MirrorPod("a", s => s.ServiceAccountName = "default")));

        var unowned = MirrorPod("a");
        unowned.Metadata.OwnerReferences = null;
        Assert.Equal(
            "pods \"static-a\" is forbidden: node \"a\" can only create pods with an owner reference set to itself",
            Admit(NodeA, "create", "", "pods", "", "kube-system", "", null, unowned));
        var notController = MirrorPod("a");
        notController.Metadata.OwnerReferences[0].Controller = false;
        Assert.NotNull(Admit(NodeA, "create", "", "pods", "", "kube-system", "", null, notController));
    }

    [Fact]
    public void A_node_may_delete_and_evict_only_pods_bound_to_it_and_update_none()
    {
        var onB = Pod("team-a", "web", "b");
        var onA = Pod("team-a", "web", "a");
        var eviction = new V1Eviction { ApiVersion = "policy/v1", Kind = "Eviction", Metadata = new V1ObjectMeta { Name = "web", NamespaceProperty = "team-a" } };

        Assert.Equal(
            "pods \"web\" is forbidden: node \"a\" can only delete pods with spec.nodeName set to itself",
            Admit(NodeA, "delete", "", "pods", "", "team-a", "web", onB, null));
        Assert.Null(Admit(NodeA, "delete", "", "pods", "", "team-a", "web", onA, null));
        Assert.Equal(
            "pods \"web\" is forbidden: node a can only evict pods with spec.nodeName set to itself",
            Admit(NodeA, "create", "", "pods", "eviction", "team-a", "web", onB, eviction));
        Assert.Null(Admit(NodeA, "create", "", "pods", "eviction", "team-a", "web", onA, eviction));
        Assert.Equal(
            "pods \"web\" is forbidden: unexpected operation \"UPDATE\", node \"a\" can only create and delete mirror pods",
            Admit(NodeA, "update", "", "pods", "", "team-a", "web", onA, onA));
        Assert.Equal(
            "pods \"web\" is forbidden: unexpected pod subresource \"exec\", only 'status' and 'eviction' are allowed",
            Admit(NodeA, "create", "", "pods", "exec", "team-a", "web", null, null));
    }

    [Fact]
    public void A_node_touches_only_its_own_lease_in_kube_node_lease()
    {
        var own = new V1Lease { ApiVersion = "coordination.k8s.io/v1", Kind = "Lease", Metadata = new V1ObjectMeta { Name = "a", NamespaceProperty = "kube-node-lease" } };
        var other = new V1Lease { ApiVersion = "coordination.k8s.io/v1", Kind = "Lease", Metadata = new V1ObjectMeta { Name = "b", NamespaceProperty = "kube-node-lease" } };

        Assert.Null(Admit(NodeA, "create", "coordination.k8s.io", "leases", "", "kube-node-lease", "", null, own));
        Assert.Null(Admit(NodeA, "update", "coordination.k8s.io", "leases", "", "kube-node-lease", "a", own, own));
        Assert.Equal(
            "leases.coordination.k8s.io \"b\" is forbidden: can only access node lease with the same name as the requesting node",
            Admit(NodeA, "create", "coordination.k8s.io", "leases", "", "kube-node-lease", "", null, other));
        Assert.Equal(
            "leases.coordination.k8s.io \"a\" is forbidden: can only access leases in the \"kube-node-lease\" system namespace",
            Admit(NodeA, "update", "coordination.k8s.io", "leases", "", "kube-system", "a", own, own));
    }

    [Fact]
    public void A_node_updates_only_capacity_and_conditions_of_a_claims_status()
    {
        V1PersistentVolumeClaim Claim(string phase, string? capacity = null, string? label = null) => new()
        {
            ApiVersion = "v1",
            Kind = "PersistentVolumeClaim",
            Metadata = new V1ObjectMeta
            {
                Name = "data",
                NamespaceProperty = "team-a",
                ResourceVersion = capacity ?? "1",
                Labels = label is null ? null : new Dictionary<string, string> { ["l"] = label },
            },
            Status = new V1PersistentVolumeClaimStatus
            {
                Phase = phase,
                Capacity = capacity is null ? null : new Dictionary<string, ResourceQuantity> { ["storage"] = new(capacity) },
            },
        };

        Assert.Null(Admit(NodeA, "patch", "", "persistentvolumeclaims", "status", "team-a", "data", Claim("Bound"), Claim("Bound", "2Gi")));
        Assert.Equal(
            "persistentvolumeclaims \"data\" is forbidden: node \"a\" is not allowed to update fields other than status.capacity and status.conditions",
            Admit(NodeA, "update", "", "persistentvolumeclaims", "status", "team-a", "data", Claim("Bound"), Claim("Lost")));
        Assert.NotNull(Admit(NodeA, "update", "", "persistentvolumeclaims", "status", "team-a", "data", Claim("Bound"), Claim("Bound", label: "x")));
        Assert.Equal(
            "persistentvolumeclaims \"data\" is forbidden: may only update PVC status",
            Admit(NodeA, "delete", "", "persistentvolumeclaims", "", "team-a", "data", Claim("Bound"), null));
    }

    [Fact]
    public void Users_who_are_not_nodes_and_other_resources_pass()
    {
        var bob = User("bob", UserInfo.Authenticated);

        Assert.Null(Admit(bob, "update", "", "nodes", "", "", "b", Node("b"), Node("b")));
        Assert.Null(Admit(NodeA, "create", "", "events", "", "team-a", "", null, new Corev1Event { Metadata = new V1ObjectMeta { Name = "e" } }));
        Assert.Null(Admit(NodeA, "get", "", "nodes", "", "", "b", null, null));
        Assert.Equal(
            "nodes \"b\" is forbidden: could not determine node from user \"system:node:\"",
            Admit(User("system:node:", UserInfo.Nodes), "update", "", "nodes", "", "", "b", Node("b"), Node("b")));
    }
}
