using k8s.Models;
using Kubesharp.ApiServer.Auth;
using Kubesharp.ApiServer.Auth.Authorization;
using static Kubesharp.ApiServer.Tests.Auth.Authorization.RbacFixtures;

namespace Kubesharp.ApiServer.Tests.Auth.Authorization;

public sealed class NodeAuthorizerTests
{
    private static readonly UserInfo NodeA = NodeUser("a");
    private static readonly UserInfo NodeB = NodeUser("b");

    private readonly NodeGraph _graph = new();
    private readonly NodeAuthorizer _authorizer;

    public NodeAuthorizerTests()
    {
        _authorizer = new NodeAuthorizer(_graph);
        _graph.AddOrUpdatePod(Pod("team-a", "web-on-a", "a", spec =>
        {
            spec.ServiceAccountName = "web";
            spec.ImagePullSecrets = [new V1LocalObjectReference { Name = "registry" }];
            spec.Containers[0].Env = [new V1EnvVar { Name = "P", ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Name = "db-password", Key = "p" } } }];
            spec.Containers[0].EnvFrom = [new V1EnvFromSource { ConfigMapRef = new V1ConfigMapEnvSource { Name = "settings" } }];
            spec.Volumes =
            [
                new V1Volume { Name = "data", PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = "data" } },
                new V1Volume { Name = "scratch", Ephemeral = new V1EphemeralVolumeSource() },
                new V1Volume { Name = "certs", Projected = new V1ProjectedVolumeSource { Sources = [new V1VolumeProjection { Secret = new V1SecretProjection { Name = "tls" } }] } },
            ];
        }));
        _graph.AddOrUpdatePod(Pod("team-a", "api-on-b", "b", spec =>
            spec.Volumes = [new V1Volume { Name = "s", Secret = new V1SecretVolumeSource { SecretName = "b-only" } }]));
    }

    private AuthorizationDecision Authorize(UserInfo node, string verb, string target, string ns = "team-a", string fieldSelector = "") =>
        _authorizer.Authorize(RbacAuthorizerTests.Request(node, verb, target, ns) with { FieldSelector = fieldSelector });

    [Fact]
    public void A_node_reads_the_secrets_of_its_own_pods_only()
    {
        Assert.Equal(AuthorizationDecision.Allow(), Authorize(NodeA, "get", "secrets#db-password"));
        Assert.Equal(AuthorizationDecision.Allow(), Authorize(NodeA, "get", "secrets#registry"));
        Assert.Equal(AuthorizationDecision.Allow(), Authorize(NodeA, "get", "secrets#tls"));
        Assert.Equal(AuthorizationDecision.Allow(), Authorize(NodeB, "get", "secrets#b-only"));

        Assert.Equal(AuthorizationDecision.NoOpinion("no relationship found between node 'a' and this object"), Authorize(NodeA, "get", "secrets#b-only"));
        Assert.Equal(AuthorizationOutcome.NoOpinion, Authorize(NodeB, "get", "secrets#db-password").Outcome);
        Assert.Equal(AuthorizationOutcome.NoOpinion, Authorize(NodeA, "get", "secrets#db-password", ns: "team-b").Outcome);
    }

    [Fact]
    public void A_node_loses_access_when_the_pod_is_deleted_or_moves()
    {
        _graph.DeletePod("team-a", "web-on-a");

        Assert.Equal(AuthorizationOutcome.NoOpinion, Authorize(NodeA, "get", "secrets#db-password").Outcome);

        _graph.AddOrUpdatePod(Pod("team-a", "api-on-b", "a", spec =>
            spec.Volumes = [new V1Volume { Name = "s", Secret = new V1SecretVolumeSource { SecretName = "b-only" } }]));
        Assert.Equal(AuthorizationOutcome.Allow, Authorize(NodeA, "get", "secrets#b-only").Outcome);
        Assert.Equal(AuthorizationOutcome.NoOpinion, Authorize(NodeB, "get", "secrets#b-only").Outcome);
    }

    [Fact]
    public void Two_pods_sharing_a_secret_keep_it_readable_until_both_are_gone()
    {
        _graph.AddOrUpdatePod(Pod("team-a", "web-2", "a", spec => spec.ImagePullSecrets = [new V1LocalObjectReference { Name = "registry" }]));

        _graph.DeletePod("team-a", "web-on-a");
        Assert.Equal(AuthorizationOutcome.Allow, Authorize(NodeA, "get", "secrets#registry").Outcome);

        _graph.DeletePod("team-a", "web-2");
        Assert.Equal(AuthorizationOutcome.NoOpinion, Authorize(NodeA, "get", "secrets#registry").Outcome);
    }

    [Fact]
    public void Secrets_and_config_maps_are_read_one_by_name_never_listed_whole()
    {
        Assert.Equal(AuthorizationOutcome.Allow, Authorize(NodeA, "get", "configmaps#settings").Outcome);
        Assert.Equal(AuthorizationOutcome.Allow, Authorize(NodeA, "watch", "configmaps#settings").Outcome);
        Assert.Equal(AuthorizationDecision.NoOpinion("No Object name found"), Authorize(NodeA, "list", "secrets"));
        Assert.Equal(AuthorizationDecision.NoOpinion("can only read resources of this type"), Authorize(NodeA, "update", "secrets#registry"));
        Assert.Equal(AuthorizationDecision.NoOpinion("can only read namespaced object of this type"), Authorize(NodeA, "list", "secrets", ns: ""));
    }

    [Fact]
    public void A_mirror_pod_gives_its_node_no_access_to_what_it_names()
    {
        _graph.AddOrUpdatePod(Pod(
            "kube-system",
            "static-a",
            "a",
            spec => spec.Volumes = [new V1Volume { Name = "s", Secret = new V1SecretVolumeSource { SecretName = "admin-token" } }],
            new Dictionary<string, string> { [PodReferences.MirrorPodAnnotation] = "x" }));

        Assert.Equal(AuthorizationOutcome.NoOpinion, Authorize(NodeA, "get", "secrets#admin-token", ns: "kube-system").Outcome);
        Assert.Equal(AuthorizationOutcome.Allow, Authorize(NodeA, "get", "pods#static-a", ns: "kube-system").Outcome);
    }

    [Fact]
    public void Claims_volumes_and_their_secrets_are_readable_through_the_pods_claims()
    {
        _graph.AddOrUpdatePersistentVolume(new V1PersistentVolume
        {
            Metadata = new V1ObjectMeta { Name = "pv-data" },
            Spec = new V1PersistentVolumeSpec
            {
                ClaimRef = new V1ObjectReference { NamespaceProperty = "team-a", Name = "data" },
                Csi = new V1CSIPersistentVolumeSource
                {
                    Driver = "d",
                    VolumeHandle = "h",
                    NodePublishSecretRef = new V1SecretReference { Name = "csi-publish", NamespaceProperty = "storage" },
                    ControllerPublishSecretRef = new V1SecretReference { Name = "csi-controller", NamespaceProperty = "storage" },
                },
            },
        });
        _graph.AddOrUpdatePersistentVolume(new V1PersistentVolume
        {
            Metadata = new V1ObjectMeta { Name = "pv-other" },
            Spec = new V1PersistentVolumeSpec { ClaimRef = new V1ObjectReference { NamespaceProperty = "team-b", Name = "other" } },
        });

        Assert.Equal(AuthorizationOutcome.Allow, Authorize(NodeA, "get", "persistentvolumeclaims#data").Outcome);
        Assert.Equal(AuthorizationOutcome.Allow, Authorize(NodeA, "get", "persistentvolumeclaims#web-on-a-scratch").Outcome);
        Assert.Equal(AuthorizationOutcome.Allow, Authorize(NodeA, "update", "persistentvolumeclaims/status#data").Outcome);
        Assert.Equal(AuthorizationOutcome.Allow, Authorize(NodeA, "get", "persistentvolumes#pv-data", ns: "").Outcome);
        Assert.Equal(AuthorizationOutcome.Allow, Authorize(NodeA, "get", "secrets#csi-publish", ns: "storage").Outcome);
        Assert.Equal(AuthorizationOutcome.NoOpinion, Authorize(NodeA, "get", "secrets#csi-controller", ns: "storage").Outcome);
        Assert.Equal(AuthorizationOutcome.NoOpinion, Authorize(NodeB, "get", "persistentvolumes#pv-data", ns: "").Outcome);
        Assert.Equal(AuthorizationOutcome.NoOpinion, Authorize(NodeA, "get", "persistentvolumes#pv-other", ns: "").Outcome);
        Assert.Equal(AuthorizationDecision.NoOpinion("can only get individual resources of this type"), Authorize(NodeA, "list", "persistentvolumeclaims"));

        _graph.DeletePersistentVolume("pv-data");
        Assert.Equal(AuthorizationOutcome.NoOpinion, Authorize(NodeA, "get", "persistentvolumes#pv-data", ns: "").Outcome);
        Assert.Equal(AuthorizationOutcome.NoOpinion, Authorize(NodeA, "get", "secrets#csi-publish", ns: "storage").Outcome);
    }

    [Fact]
    public void Volume_attachments_are_readable_by_their_node()
    {
        _graph.AddOrUpdateVolumeAttachment(new V1VolumeAttachment { Metadata = new V1ObjectMeta { Name = "va" }, Spec = new V1VolumeAttachmentSpec { NodeName = "a", Attacher = "x" } });

        Assert.Equal(AuthorizationOutcome.Allow, Authorize(NodeA, "get", "storage.k8s.io:volumeattachments#va", ns: "").Outcome);
        Assert.Equal(AuthorizationOutcome.NoOpinion, Authorize(NodeB, "get", "storage.k8s.io:volumeattachments#va", ns: "").Outcome);
    }

    [Fact]
    public void A_node_creates_tokens_only_for_service_accounts_of_its_pods()
    {
        Assert.Equal(AuthorizationOutcome.Allow, Authorize(NodeA, "create", "serviceaccounts/token#web").Outcome);
        Assert.Equal(AuthorizationOutcome.NoOpinion, Authorize(NodeB, "create", "serviceaccounts/token#web").Outcome);
        Assert.Equal(AuthorizationDecision.NoOpinion("can only create tokens for individual service accounts"), Authorize(NodeA, "get", "serviceaccounts#web"));
        Assert.Equal(AuthorizationDecision.NoOpinion("can only create token subresource of serviceaccount"), Authorize(NodeA, "create", "serviceaccounts/other#web"));
    }

    [Fact]
    public void A_node_manages_its_own_lease_in_kube_node_lease()
    {
        Assert.Equal(AuthorizationOutcome.Allow, Authorize(NodeA, "update", "coordination.k8s.io:leases#a", ns: "kube-node-lease").Outcome);
        Assert.Equal(AuthorizationOutcome.Allow, Authorize(NodeA, "create", "coordination.k8s.io:leases", ns: "kube-node-lease").Outcome);
        Assert.Equal(
            AuthorizationDecision.NoOpinion("can only access node lease with the same name as the requesting node"),
            Authorize(NodeA, "update", "coordination.k8s.io:leases#b", ns: "kube-node-lease"));
        Assert.Equal(
            AuthorizationDecision.NoOpinion("can only access leases in the \"kube-node-lease\" system namespace"),
            Authorize(NodeA, "get", "coordination.k8s.io:leases#a", ns: "kube-system"));
        Assert.Equal(AuthorizationOutcome.NoOpinion, Authorize(NodeA, "list", "coordination.k8s.io:leases", ns: "kube-node-lease").Outcome);
    }

    [Fact]
    public void A_node_reads_only_its_own_node_object_and_may_write_nodes_for_node_restriction_to_judge()
    {
        Assert.Equal(AuthorizationOutcome.Allow, Authorize(NodeA, "get", "nodes#a", ns: "").Outcome);
        Assert.Equal(AuthorizationDecision.NoOpinion("node 'a' cannot read 'b', only its own Node object"), Authorize(NodeA, "get", "nodes#b", ns: ""));
        Assert.Equal(AuthorizationDecision.NoOpinion("node 'a' cannot read all nodes, only its own Node object"), Authorize(NodeA, "list", "nodes", ns: ""));
        Assert.Equal(AuthorizationOutcome.Allow, Authorize(NodeA, "patch", "nodes/status#b", ns: "").Outcome);
        Assert.Equal(AuthorizationOutcome.NoOpinion, Authorize(NodeA, "delete", "nodes#a", ns: "").Outcome);
    }

    [Fact]
    public void A_node_lists_pods_only_with_its_node_name_selector()
    {
        Assert.Equal(AuthorizationOutcome.Allow, Authorize(NodeA, "watch", "pods", ns: "", fieldSelector: "spec.nodeName=a").Outcome);
        Assert.Equal(AuthorizationOutcome.Allow, Authorize(NodeA, "list", "pods", ns: "", fieldSelector: "metadata.namespace!=x,spec.nodeName==a").Outcome);
        Assert.Equal(
            AuthorizationDecision.NoOpinion("can only list/watch pods with spec.nodeName field selector"),
            Authorize(NodeA, "list", "pods", ns: "", fieldSelector: "spec.nodeName=b"));
        Assert.Equal(AuthorizationOutcome.NoOpinion, Authorize(NodeA, "list", "pods", ns: "", fieldSelector: "spec.nodeName!=a").Outcome);
        Assert.Equal(AuthorizationOutcome.Allow, Authorize(NodeA, "get", "pods#web-on-a").Outcome);
        Assert.Equal(AuthorizationOutcome.NoOpinion, Authorize(NodeA, "get", "pods#api-on-b").Outcome);
        Assert.Equal(AuthorizationOutcome.Allow, Authorize(NodeA, "create", "pods").Outcome);
        Assert.Equal(AuthorizationOutcome.Allow, Authorize(NodeA, "create", "pods/eviction#api-on-b").Outcome);
        Assert.Equal(AuthorizationOutcome.NoOpinion, Authorize(NodeA, "update", "pods#web-on-a").Outcome);
        Assert.Equal(AuthorizationOutcome.NoOpinion, Authorize(NodeA, "get", "pods/exec#web-on-a").Outcome);
    }

    [Fact]
    public void Other_requests_fall_to_the_system_node_rules()
    {
        Assert.Equal(AuthorizationOutcome.Allow, Authorize(NodeA, "list", "services").Outcome);
        Assert.Equal(AuthorizationOutcome.Allow, Authorize(NodeA, "create", "events").Outcome);
        Assert.Equal(AuthorizationOutcome.Allow, Authorize(NodeA, "create", "authentication.k8s.io:tokenreviews", ns: "").Outcome);
        Assert.Equal(AuthorizationOutcome.NoOpinion, Authorize(NodeA, "delete", "services#x").Outcome);
        Assert.Equal(AuthorizationOutcome.NoOpinion, Authorize(NodeA, "get", "apps:deployments#x").Outcome);
        Assert.Equal(AuthorizationOutcome.NoOpinion, _authorizer.Authorize(NonResource(NodeA, "get", "/metrics")).Outcome);
    }

    [Fact]
    public void Users_who_are_not_nodes_get_no_opinion()
    {
        Assert.Equal(AuthorizationDecision.NoOpinion(), Authorize(User("bob", UserInfo.Authenticated), "list", "services"));
        Assert.Equal(AuthorizationDecision.NoOpinion(), Authorize(User("system:node:a", UserInfo.Authenticated), "get", "secrets#registry"));
        Assert.Equal(AuthorizationDecision.NoOpinion(), Authorize(User("a", UserInfo.Nodes), "get", "secrets#registry"));
        Assert.Equal(
            AuthorizationDecision.NoOpinion("unknown node for user \"system:node:\""),
            Authorize(User("system:node:", UserInfo.Nodes), "list", "services"));
    }

    [Fact]
    public void In_the_chain_rbac_grants_a_node_nothing_the_node_authorizer_refused()
    {
        var rbac = new RbacAuthorizer(BootstrapPolicy.Snapshot);
        var chain = new AuthorizerChain(new PrivilegedGroupsAuthorizer(), _authorizer, rbac);

        Assert.Equal(AuthorizationOutcome.NoOpinion, chain.Authorize(Resource(NodeA, "get", "secrets", "team-a", "b-only")).Outcome);
        Assert.Equal(AuthorizationOutcome.Allow, chain.Authorize(Resource(NodeA, "get", "secrets", "team-a", "registry")).Outcome);
        Assert.Equal(AuthorizationOutcome.Allow, chain.Authorize(NonResource(NodeA, "get", "/api")).Outcome);
    }
}
