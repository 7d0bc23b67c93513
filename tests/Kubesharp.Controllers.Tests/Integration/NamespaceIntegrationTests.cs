using k8s;
using k8s.Models;
using Kubesharp.Controllers.Namespace;

namespace Kubesharp.Controllers.Tests.Integration;

/// <summary>Namespace deletion end to end: the API server marks the namespace, the namespace controller empties it (custom resources too) and releases it.</summary>
public sealed class NamespaceIntegrationTests(ManagedClusterFixture cluster) : IClassFixture<ManagedClusterFixture>
{
    [Fact]
    public async Task A_namespace_with_configmaps_pods_secrets_and_custom_resources_is_emptied_and_goes()
    {
        using var client = cluster.Client();
        const string group = "ns-delete.example.com";
        await TestCluster.CreateWidgetCrdAsync(client, group);
        await TestCluster.CreateNamespaceAsync(client, "ns-full");
        await client.CoreV1.CreateNamespacedConfigMapAsync(TestCluster.ConfigMap("one"), "ns-full");
        await client.CoreV1.CreateNamespacedConfigMapAsync(TestCluster.ConfigMap("two"), "ns-full");
        await client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "s" }, StringData = new Dictionary<string, string> { ["a"] = "b" } }, "ns-full");
        await client.CoreV1.CreateNamespacedPodAsync(TestCluster.Pod("unscheduled"), "ns-full");
        await client.CustomObjects.CreateNamespacedCustomObjectAsync(TestCluster.Widget(group, "w1"), group, "v1", "ns-full", "widgets");

        await client.CoreV1.DeleteNamespaceAsync("ns-full");

        await Eventually.HoldsAsync(
            async () =>
            {
                var list = await client.CoreV1.ListNamespaceAsync();
                var ns = list.Items.SingleOrDefault(n => n.Metadata.Name == "ns-full");
                return (ns is null, ns is null ? "" : $"phase {ns.Status?.Phase}; {string.Join("; ", ns.Status?.Conditions?.Where(c => c.Status == "True").Select(c => c.Message) ?? [])}");
            },
            "namespace ns-full to be gone");
        var widgets = await client.CustomObjects.ListClusterCustomObjectAsync(group, "v1", "widgets");
        Assert.DoesNotContain("ns-full", KubernetesJson.Serialize(widgets), StringComparison.Ordinal);
        Assert.DoesNotContain((await client.CoreV1.ListConfigMapForAllNamespacesAsync()).Items, c => c.Metadata.NamespaceProperty == "ns-full");
        Assert.DoesNotContain((await client.CoreV1.ListPodForAllNamespacesAsync()).Items, p => p.Metadata.NamespaceProperty == "ns-full");
    }

    [Fact]
    public async Task Content_held_by_a_finalizer_holds_the_namespace_and_shows_in_its_conditions()
    {
        using var client = cluster.Client();
        await TestCluster.CreateNamespaceAsync(client, "ns-held");
        var held = TestCluster.ConfigMap("held");
        held.Metadata.Finalizers = ["example.com/hold"];
        await client.CoreV1.CreateNamespacedConfigMapAsync(held, "ns-held");

        await client.CoreV1.DeleteNamespaceAsync("ns-held");

        await Eventually.HoldsAsync(
            async () =>
            {
                var ns = await client.CoreV1.ReadNamespaceAsync("ns-held");
                var remaining = ns.Status?.Conditions?.SingleOrDefault(c => c.Type == NamespaceConditions.ContentRemaining);
                var finalizers = ns.Status?.Conditions?.SingleOrDefault(c => c.Type == NamespaceConditions.FinalizersRemaining);
                var ok = remaining is { Status: "True", Reason: "SomeResourcesRemain" }
                    && remaining.Message.Contains("configmaps. has 1 resource instances", StringComparison.Ordinal)
                    && finalizers is { Status: "True", Reason: "SomeFinalizersRemain" }
                    && finalizers.Message == "Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances";
                return (ok, KubernetesJson.Serialize(ns.Status));
            },
            "the namespace to report the held configmap");
        var stillThere = await client.CoreV1.ReadNamespaceAsync("ns-held");
        Assert.Equal("Terminating", stillThere.Status.Phase);
        Assert.Contains(NamespaceController.FinalizerToken, stillThere.Spec.Finalizers);
        Assert.Equal(5, stillThere.Status.Conditions.Count);

        await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"metadata":{"finalizers":null}}""", V1Patch.PatchType.MergePatch), "held", "ns-held");
        await Eventually.HoldsAsync(
            async () =>
            {
                var list = await client.CoreV1.ListNamespaceAsync();
                return (list.Items.All(n => n.Metadata.Name != "ns-held"), "still there");
            },
            "namespace ns-held to be gone once its content is");
    }
}
