using k8s.Models;
using Kubesharp.ApiServer.Auth.Authorization;
using static Kubesharp.ApiServer.Tests.Auth.Authorization.RbacFixtures;

namespace Kubesharp.ApiServer.Tests.Auth.Authorization;

public sealed class BootstrapPolicyTests
{
    [Theory]
    [InlineData("cluster-admin")]
    [InlineData("admin")]
    [InlineData("edit")]
    [InlineData("view")]
    [InlineData("system:aggregate-to-admin")]
    [InlineData("system:aggregate-to-edit")]
    [InlineData("system:aggregate-to-view")]
    [InlineData("system:basic-user")]
    [InlineData("system:discovery")]
    [InlineData("system:public-info-viewer")]
    [InlineData("system:monitoring")]
    [InlineData("system:node")]
    [InlineData("system:node-proxier")]
    [InlineData("system:node-bootstrapper")]
    [InlineData("system:kube-scheduler")]
    [InlineData("system:volume-scheduler")]
    [InlineData("system:kube-controller-manager")]
    [InlineData("system:kube-dns")]
    [InlineData("system:auth-delegator")]
    [InlineData("system:heapster")]
    [InlineData("system:certificates.k8s.io:certificatesigningrequests:nodeclient")]
    [InlineData("system:certificates.k8s.io:certificatesigningrequests:selfnodeclient")]
    [InlineData("system:certificates.k8s.io:kube-apiserver-client-approver")]
    [InlineData("system:certificates.k8s.io:kubelet-serving-approver")]
    [InlineData("system:service-account-issuer-discovery")]
    [InlineData("system:controller:clusterrole-aggregation-controller")]
    [InlineData("system:controller:cronjob-controller")]
    [InlineData("system:controller:daemon-set-controller")]
    [InlineData("system:controller:deployment-controller")]
    [InlineData("system:controller:disruption-controller")]
    [InlineData("system:controller:endpoint-controller")]
    [InlineData("system:controller:endpointslice-controller")]
    [InlineData("system:controller:endpointslicemirroring-controller")]
    [InlineData("system:controller:ephemeral-volume-controller")]
    [InlineData("system:controller:expand-controller")]
    [InlineData("system:controller:generic-garbage-collector")]
    [InlineData("system:controller:horizontal-pod-autoscaler")]
    [InlineData("system:controller:job-controller")]
    [InlineData("system:controller:namespace-controller")]
    [InlineData("system:controller:node-controller")]
    [InlineData("system:controller:persistent-volume-binder")]
    [InlineData("system:controller:pod-garbage-collector")]
    [InlineData("system:controller:replicaset-controller")]
    [InlineData("system:controller:replication-controller")]
    [InlineData("system:controller:resourcequota-controller")]
    [InlineData("system:controller:route-controller")]
    [InlineData("system:controller:service-account-controller")]
    [InlineData("system:controller:service-controller")]
    [InlineData("system:controller:statefulset-controller")]
    [InlineData("system:controller:ttl-controller")]
    [InlineData("system:controller:certificate-controller")]
    [InlineData("system:controller:pvc-protection-controller")]
    [InlineData("system:controller:pv-protection-controller")]
    [InlineData("system:controller:ttl-after-finished-controller")]
    [InlineData("system:controller:root-ca-cert-publisher")]
    [InlineData("system:controller:legacy-service-account-token-cleaner")]
    [InlineData("system:controller:validatingadmissionpolicy-status-controller")]
    public void Has_the_cluster_role(string name)
    {
        Assert.Single(BootstrapPolicy.AllClusterRoles(), r => r.Metadata.Name == name);
    }

    [Fact]
    public void Every_object_is_labelled_and_annotated_for_auto_update_and_names_are_unique()
    {
        var metadata = BootstrapPolicy.AllClusterRoles().Select(o => o.Metadata)
            .Concat(BootstrapPolicy.AllClusterRoleBindings().Select(o => o.Metadata))
            .Concat(BootstrapPolicy.NamespaceRoles().Select(o => o.Metadata))
            .Concat(BootstrapPolicy.NamespaceRoleBindings().Select(o => o.Metadata))
            .ToList();

        Assert.All(metadata, m =>
        {
            Assert.Equal("rbac-defaults", m.Labels["kubernetes.io/bootstrapping"]);
            Assert.Equal("true", m.Annotations["rbac.authorization.kubernetes.io/autoupdate"]);
        });
        Assert.Equal(BootstrapPolicy.AllClusterRoles().Count, BootstrapPolicy.AllClusterRoles().Select(r => r.Metadata.Name).Distinct().Count());
        Assert.Equal(BootstrapPolicy.AllClusterRoleBindings().Count, BootstrapPolicy.AllClusterRoleBindings().Select(r => r.Metadata.Name).Distinct().Count());
        Assert.Equal(
            BootstrapPolicy.NamespaceRoles().Count,
            BootstrapPolicy.NamespaceRoles().Select(r => (r.Metadata.NamespaceProperty, r.Metadata.Name)).Distinct().Count());
    }

    [Fact]
    public void Every_binding_references_a_bootstrap_role()
    {
        var clusterRoles = BootstrapPolicy.AllClusterRoles().Select(r => r.Metadata.Name).ToHashSet();
        var roles = BootstrapPolicy.NamespaceRoles().Select(r => (r.Metadata.NamespaceProperty, r.Metadata.Name)).ToHashSet();

        Assert.All(BootstrapPolicy.AllClusterRoleBindings(), b => Assert.Contains(b.RoleRef.Name, clusterRoles));
        Assert.All(BootstrapPolicy.NamespaceRoleBindings(), b => Assert.Contains((b.Metadata.NamespaceProperty, b.RoleRef.Name), roles));
    }

    [Fact]
    public void Each_controller_role_is_bound_to_its_service_account_in_kube_system()
    {
        var bindings = BootstrapPolicy.ControllerRoleBindings().ToDictionary(b => b.Metadata.Name);

        Assert.Equal(BootstrapPolicy.ControllerRoles().Count, bindings.Count);
        var deployment = bindings["system:controller:deployment-controller"];
        Assert.Equal("system:controller:deployment-controller", deployment.RoleRef.Name);
        var subject = Assert.Single(deployment.Subjects);
        Assert.Equal(("ServiceAccount", "deployment-controller", "kube-system"), (subject.Kind, subject.Name, subject.NamespaceProperty));
    }

    [Theory]
    [InlineData("cluster-admin", "Group", "system:masters")]
    [InlineData("system:discovery", "Group", "system:authenticated")]
    [InlineData("system:basic-user", "Group", "system:authenticated")]
    [InlineData("system:public-info-viewer", "Group", "system:authenticated,system:unauthenticated")]
    [InlineData("system:kube-controller-manager", "User", "system:kube-controller-manager")]
    [InlineData("system:kube-scheduler", "User", "system:kube-scheduler")]
    [InlineData("system:volume-scheduler", "User", "system:kube-scheduler")]
    [InlineData("system:node-proxier", "User", "system:kube-proxy")]
    [InlineData("system:monitoring", "Group", "system:monitoring")]
    [InlineData("system:kube-dns", "ServiceAccount", "kube-dns")]
    [InlineData("system:service-account-issuer-discovery", "Group", "system:serviceaccounts")]
    public void Binds_the_default_roles_as_upstream(string binding, string kind, string names)
    {
        var subjects = BootstrapPolicy.ClusterRoleBindings().Single(b => b.Metadata.Name == binding).Subjects;

        Assert.All(subjects, s => Assert.Equal(kind, s.Kind));
        Assert.Equal(names.Split(','), subjects.Select(s => s.Name));
    }

    [Theory]
    [InlineData("kubeadm:kubelet-bootstrap", "system:node-bootstrapper", "system:bootstrappers:kubeadm:default-node-token")]
    [InlineData("kubeadm:node-autoapprove-bootstrap", "system:certificates.k8s.io:certificatesigningrequests:nodeclient", "system:bootstrappers:kubeadm:default-node-token")]
    [InlineData("kubeadm:node-autoapprove-certificate-rotation", "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient", "system:nodes")]
    public void Binds_kubeadms_node_bootstrap_roles_to_its_groups(string binding, string role, string group)
    {
        var found = Assert.Single(BootstrapPolicy.AllClusterRoleBindings(), b => b.Metadata.Name == binding);

        Assert.Equal(("ClusterRole", role), (found.RoleRef.Kind, found.RoleRef.Name));
        var subject = Assert.Single(found.Subjects);
        Assert.Equal(("Group", group), (subject.Kind, subject.Name));
    }

    [Fact]
    public void The_system_node_binding_has_no_subjects()
    {
        Assert.Null(BootstrapPolicy.ClusterRoleBindings().Single(b => b.Metadata.Name == "system:node").Subjects);
    }

    [Fact]
    public void The_namespaced_policy_lives_in_kube_system_and_kube_public()
    {
        var roles = BootstrapPolicy.NamespaceRoles().Select(r => r.Metadata.NamespaceProperty + "/" + r.Metadata.Name).ToList();

        Assert.Contains("kube-system/extension-apiserver-authentication-reader", roles);
        Assert.Contains("kube-system/system::leader-locking-kube-controller-manager", roles);
        Assert.Contains("kube-system/system::leader-locking-kube-scheduler", roles);
        Assert.Contains("kube-system/system:controller:bootstrap-signer", roles);
        Assert.Contains("kube-system/system:controller:cloud-provider", roles);
        Assert.Contains("kube-system/system:controller:token-cleaner", roles);
        Assert.Contains("kube-public/system:controller:bootstrap-signer", roles);
        var reader = BootstrapPolicy.NamespaceRoleBindings().Single(b => b.Metadata.Name == "system::extension-apiserver-authentication-reader");
        Assert.Equal("extension-apiserver-authentication-reader", reader.RoleRef.Name);
    }

    [Fact]
    public void The_rule_builder_sorts_and_refuses_what_upstream_refuses()
    {
        V1PolicyRule rule = PolicyRuleBuilder.Rule("watch", "get").Groups("apps", "").Resources("pods", "deployments");

        Assert.Equal(["get", "watch"], rule.Verbs);
        Assert.Equal(["", "apps"], rule.ApiGroups);
        Assert.Equal(["deployments", "pods"], rule.Resources);
        Assert.Null(rule.ResourceNames);
        Assert.Throws<InvalidOperationException>(() => PolicyRuleBuilder.Rule("list").Groups("").Resources("pods").Names("x").ToV1PolicyRule());
        Assert.Throws<InvalidOperationException>(() => PolicyRuleBuilder.Rule("get").Resources("pods").ToV1PolicyRule());
        Assert.Throws<InvalidOperationException>(() => PolicyRuleBuilder.Rule("get").Groups("").Resources("pods").Urls("/x").ToV1PolicyRule());
        Assert.Throws<InvalidOperationException>(() => PolicyRuleBuilder.Rule().Groups("").Resources("pods").ToV1PolicyRule());
    }

    [Fact]
    public void Reconcile_creates_what_is_missing_and_leaves_what_agrees()
    {
        var expected = BootstrapPolicy.ClusterRoles().Single(r => r.Metadata.Name == "system:discovery");

        var created = BootstrapReconciliation.Reconcile(null, expected);
        var same = BootstrapReconciliation.Reconcile(BootstrapPolicy.ClusterRoles().Single(r => r.Metadata.Name == "system:discovery"), expected);

        Assert.Equal(ReconcileOperation.Create, created.Operation);
        Assert.Same(expected, created.Object);
        Assert.Equal(ReconcileOperation.None, same.Operation);
        Assert.Null(same.Object);
    }

    [Fact]
    public void Reconcile_adds_missing_rules_and_labels_and_keeps_an_administrators_additions()
    {
        var expected = BootstrapPolicy.ClusterRoles().Single(r => r.Metadata.Name == "system:basic-user");
        var existing = ClusterRole(
            "system:basic-user",
            Rule(["create"], ["authorization.k8s.io"], ["selfsubjectaccessreviews"]),
            Rule(["get"], [""], ["configmaps"], ["cluster-info"]));
        existing.Metadata.Labels = new Dictionary<string, string> { ["mine"] = "yes" };
        existing.Metadata.ResourceVersion = "42";

        var result = BootstrapReconciliation.Reconcile(existing, expected);

        Assert.Equal(ReconcileOperation.Update, result.Operation);
        var role = result.Object!;
        Assert.Equal("42", role.Metadata.ResourceVersion);
        Assert.Equal("yes", role.Metadata.Labels["mine"]);
        Assert.Equal("rbac-defaults", role.Metadata.Labels["kubernetes.io/bootstrapping"]);
        Assert.Equal("true", role.Metadata.Annotations["rbac.authorization.kubernetes.io/autoupdate"]);
        Assert.Contains(role.Rules, r => r.Resources.SequenceEqual(["configmaps"]));
        Assert.True(RuleCoverage.Covers(role.Rules, expected.Rules, out _));
        Assert.Equal(2, existing.Rules.Count);
        Assert.Null(existing.Metadata.Annotations);
    }

    [Fact]
    public void Reconcile_leaves_an_object_protected_by_autoupdate_false()
    {
        var expected = BootstrapPolicy.ClusterRoles().Single(r => r.Metadata.Name == "system:basic-user");
        var existing = ClusterRole("system:basic-user");
        existing.Metadata.Annotations = new Dictionary<string, string> { ["rbac.authorization.kubernetes.io/autoupdate"] = "false" };

        Assert.Equal(ReconcileOperation.None, BootstrapReconciliation.Reconcile(existing, expected).Operation);
    }

    [Fact]
    public void Reconcile_adds_a_missing_aggregation_rule_and_keeps_aggregated_rules()
    {
        var expected = BootstrapPolicy.ClusterRoles().Single(r => r.Metadata.Name == "view");
        var existing = BootstrapPolicy.ClusterRoles().Single(r => r.Metadata.Name == "view");
        existing.AggregationRule = null;
        existing.Rules = [Rule(["get"], [""], ["pods"])];

        var result = BootstrapReconciliation.Reconcile(existing, expected);

        Assert.Equal(ReconcileOperation.Update, result.Operation);
        Assert.Equal("true", result.Object!.AggregationRule.ClusterRoleSelectors.Single().MatchLabels[BootstrapPolicy.AggregateToView]);
        Assert.Single(result.Object.Rules);
    }

    [Fact]
    public void Reconcile_adds_missing_subjects_and_recreates_a_binding_whose_role_changed()
    {
        var expected = BootstrapPolicy.ClusterRoleBindings().Single(b => b.Metadata.Name == "system:public-info-viewer");
        var partial = BootstrapPolicy.ClusterRoleBindings().Single(b => b.Metadata.Name == "system:public-info-viewer");
        partial.Subjects = [GroupSubject("system:authenticated"), UserSubject("extra")];
        var moved = BootstrapPolicy.ClusterRoleBindings().Single(b => b.Metadata.Name == "system:public-info-viewer");
        moved.RoleRef = new V1RoleRef { ApiGroup = RbacNames.ApiGroup, Kind = "ClusterRole", Name = "something-else" };

        var updated = BootstrapReconciliation.Reconcile(partial, expected);
        var recreated = BootstrapReconciliation.Reconcile(moved, expected);

        Assert.Equal(ReconcileOperation.Update, updated.Operation);
        Assert.Equal(["system:authenticated", "extra", "system:unauthenticated"], updated.Object!.Subjects.Select(s => s.Name));
        Assert.Equal(ReconcileOperation.Recreate, recreated.Operation);
        Assert.Same(expected, recreated.Object);
    }

    [Fact]
    public void Reconcile_namespaced_roles_and_bindings()
    {
        var role = BootstrapPolicy.NamespaceRoles()[0];
        var stale = BootstrapPolicy.NamespaceRoles()[0];
        stale.Rules = [];
        var binding = BootstrapPolicy.NamespaceRoleBindings()[0];
        var staleBinding = BootstrapPolicy.NamespaceRoleBindings()[0];
        staleBinding.Subjects = [];

        Assert.Equal(ReconcileOperation.Update, BootstrapReconciliation.Reconcile(stale, role).Operation);
        Assert.Equal(ReconcileOperation.None, BootstrapReconciliation.Reconcile(BootstrapPolicy.NamespaceRoles()[0], role).Operation);
        Assert.Equal(binding.Subjects.Count, BootstrapReconciliation.Reconcile(staleBinding, binding).Object!.Subjects.Count);
        Assert.Equal(ReconcileOperation.None, BootstrapReconciliation.Reconcile(BootstrapPolicy.NamespaceRoleBindings()[0], binding).Operation);
    }
}
