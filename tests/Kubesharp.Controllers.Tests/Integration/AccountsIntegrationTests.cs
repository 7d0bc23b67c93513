using System.Security.Cryptography.X509Certificates;
using k8s;
using k8s.Models;
using Kubesharp.Controllers.RootCaPublisher;

namespace Kubesharp.Controllers.Tests.Integration;

/// <summary>The service account controller and the root CA publisher against a real API server, through the controller manager's own credentials.</summary>
public sealed class AccountsIntegrationTests(ManagedClusterFixture cluster) : IClassFixture<ManagedClusterFixture>
{
    [Fact]
    public async Task A_new_namespace_gets_the_default_account_and_the_root_ca_and_both_come_back()
    {
        using var client = cluster.Client();
        await TestCluster.CreateNamespaceAsync(client, "accounts-a");

        V1ServiceAccount? first = null;
        await Eventually.HoldsAsync(
            async () =>
            {
                var list = await client.CoreV1.ListNamespacedServiceAccountAsync("accounts-a");
                first = list.Items.SingleOrDefault(a => a.Metadata.Name == "default");
                return (first is not null, string.Join(",", list.Items.Select(a => a.Metadata.Name)));
            },
            "serviceaccount accounts-a/default");
        V1ConfigMap? ca = null;
        await Eventually.HoldsAsync(
            async () =>
            {
                ca = await TestCluster.TryReadConfigMapAsync(client, "accounts-a", RootCaPublisherController.ConfigMapName);
                return (ca is not null, "no kube-root-ca.crt");
            },
            "configmap accounts-a/kube-root-ca.crt");

        using var published = X509Certificate2.CreateFromPem(ca!.Data["ca.crt"]);
        Assert.Equal(cluster.Host.Pki!.Ca.Thumbprint, published.Thumbprint);
        Assert.Equal(RootCaPublisherController.Description, ca.Metadata.Annotations["kubernetes.io/description"]);
        Assert.Equal(["ca.crt"], ca.Data.Keys);

        // Deleted: created again (a new object).
        await client.CoreV1.DeleteNamespacedServiceAccountAsync("default", "accounts-a");
        await Eventually.HoldsAsync(
            async () =>
            {
                var list = await client.CoreV1.ListNamespacedServiceAccountAsync("accounts-a");
                var again = list.Items.SingleOrDefault(a => a.Metadata.Name == "default");
                return (again is not null && again.Metadata.Uid != first!.Metadata.Uid, again?.Metadata.Uid ?? "none");
            },
            "serviceaccount accounts-a/default to be created again");

        // Changed: put back.
        ca.Data["ca.crt"] = "tampered";
        ca.Metadata.Annotations.Remove("kubernetes.io/description");
        await client.CoreV1.ReplaceNamespacedConfigMapAsync(ca, RootCaPublisherController.ConfigMapName, "accounts-a");
        await Eventually.HoldsAsync(
            async () =>
            {
                var read = await TestCluster.TryReadConfigMapAsync(client, "accounts-a", RootCaPublisherController.ConfigMapName);
                var ok = read?.Data?["ca.crt"] == cluster.Manager.RootCaPem && read?.Metadata.Annotations?.ContainsKey("kubernetes.io/description") == true;
                return (ok, read?.Data?["ca.crt"] ?? "gone");
            },
            "kube-root-ca.crt to be restored");

        // Deleted: created again.
        await client.CoreV1.DeleteNamespacedConfigMapAsync(RootCaPublisherController.ConfigMapName, "accounts-a");
        await Eventually.HoldsAsync(
            async () => (await TestCluster.TryReadConfigMapAsync(client, "accounts-a", RootCaPublisherController.ConfigMapName) is not null, "missing"),
            "kube-root-ca.crt to be created again");
    }

    [Fact]
    public async Task Every_controller_writes_as_its_own_service_account_in_kube_system()
    {
        using var client = cluster.Client();
        await TestCluster.CreateNamespaceAsync(client, "accounts-b");

        // The service account controller wrote the default account, so its own account exists (it got a token from it).
        await Eventually.HoldsAsync(
            async () =>
            {
                var defaults = await client.CoreV1.ListNamespacedServiceAccountAsync("accounts-b");
                var system = await client.CoreV1.ListNamespacedServiceAccountAsync("kube-system");
                var names = system.Items.Select(a => a.Metadata.Name).ToHashSet();
                var ok = defaults.Items.Any(a => a.Metadata.Name == "default") && names.Contains("service-account-controller") && names.Contains("root-ca-cert-publisher");
                return (ok, string.Join(",", names.Order()));
            },
            "the controllers' service accounts in kube-system");
    }

    [Fact]
    public async Task A_clusterrole_with_an_aggregation_rule_gets_the_rules_of_the_roles_it_selects()
    {
        using var client = cluster.Client();
        await client.RbacAuthorizationV1.CreateClusterRoleAsync(new V1ClusterRole
        {
            Metadata = new V1ObjectMeta { Name = "agg-test-part", Labels = new Dictionary<string, string> { ["agg-test"] = "true" } },
            Rules = [new V1PolicyRule { ApiGroups = [""], Resources = ["configmaps"], Verbs = ["get"] }],
        });
        await client.RbacAuthorizationV1.CreateClusterRoleAsync(new V1ClusterRole
        {
            Metadata = new V1ObjectMeta { Name = "agg-test-aggregate" },
            AggregationRule = new V1AggregationRule { ClusterRoleSelectors = [new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["agg-test"] = "true" } }] },
        });

        await Eventually.HoldsAsync(
            async () =>
            {
                var role = await client.RbacAuthorizationV1.ReadClusterRoleAsync("agg-test-aggregate");
                var ok = role.Rules?.Count == 1 && role.Rules[0].Resources.SequenceEqual(["configmaps"]);
                return (ok, role.Rules is null ? "no rules" : KubernetesJson.Serialize(role.Rules));
            },
            "the aggregated role to have the configmaps rule");

        // A second selected role adds its rules.
        await client.RbacAuthorizationV1.CreateClusterRoleAsync(new V1ClusterRole
        {
            Metadata = new V1ObjectMeta { Name = "agg-test-part-2", Labels = new Dictionary<string, string> { ["agg-test"] = "true" } },
            Rules = [new V1PolicyRule { ApiGroups = [""], Resources = ["secrets"], Verbs = ["list"] }],
        });
        await Eventually.HoldsAsync(
            async () =>
            {
                var role = await client.RbacAuthorizationV1.ReadClusterRoleAsync("agg-test-aggregate");
                var resources = role.Rules?.SelectMany(r => r.Resources).ToList() ?? [];
                return (resources.SequenceEqual(["configmaps", "secrets"]), string.Join(",", resources));
            },
            "the aggregated role to have both rules, in name order");
    }
}
