using k8s;
using k8s.Models;

namespace Kubesharp.Controllers.Tests.Integration;

/// <summary>
/// Cascading deletion end to end with ConfigMaps owning ConfigMaps (any kind can own any other; no workload
/// controller is needed) and a custom resource owner: Background, Foreground, Orphan, and owners that never existed.
/// </summary>
public sealed class GarbageCollectorIntegrationTests(ManagedClusterFixture cluster) : IClassFixture<ManagedClusterFixture>
{
    private static V1DeleteOptions Policy(string policy) => new() { PropagationPolicy = policy };

    private static async Task<(V1ConfigMap Owner, V1ConfigMap Dependent)> OwnerAndDependentAsync(Kubernetes client, string ns, bool holdDependent = false)
    {
        await TestCluster.CreateNamespaceAsync(client, ns);
        var owner = await client.CoreV1.CreateNamespacedConfigMapAsync(TestCluster.ConfigMap("owner"), ns);
        var dependent = TestCluster.ConfigMap("dependent", TestCluster.OwnedBy(owner));
        if (holdDependent)
        {
            dependent.Metadata.Finalizers = ["example.com/hold"];
        }

        return (owner, await client.CoreV1.CreateNamespacedConfigMapAsync(dependent, ns));
    }

    [Fact]
    public async Task Background_deletes_the_owner_then_the_collector_deletes_the_dependent()
    {
        using var client = cluster.Client();
        await OwnerAndDependentAsync(client, "gc-background");

        await client.CoreV1.DeleteNamespacedConfigMapAsync("owner", "gc-background", Policy("Background"));

        Assert.Null(await TestCluster.TryReadConfigMapAsync(client, "gc-background", "owner"));
        await Eventually.HoldsAsync(
            async () => (await TestCluster.TryReadConfigMapAsync(client, "gc-background", "dependent") is null, "dependent still there"),
            "the dependent to be collected");
    }

    [Fact]
    public async Task Foreground_keeps_the_owner_until_its_blocking_dependent_is_gone()
    {
        using var client = cluster.Client();
        await OwnerAndDependentAsync(client, "gc-foreground", holdDependent: true);

        await client.CoreV1.DeleteNamespacedConfigMapAsync("owner", "gc-foreground", Policy("Foreground"));

        // The collector deletes the dependent, whose own finalizer holds it; the owner waits for it.
        await Eventually.HoldsAsync(
            async () =>
            {
                var dependent = await TestCluster.TryReadConfigMapAsync(client, "gc-foreground", "dependent");
                return (dependent?.Metadata.DeletionTimestamp is not null, dependent is null ? "gone" : "not being deleted");
            },
            "the dependent to be deleted by the collector");
        var owner = await TestCluster.TryReadConfigMapAsync(client, "gc-foreground", "owner");
        Assert.NotNull(owner);
        Assert.NotNull(owner.Metadata.DeletionTimestamp);
        Assert.Equal(["foregroundDeletion"], owner.Metadata.Finalizers);

        await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"metadata":{"finalizers":null}}""", V1Patch.PatchType.MergePatch), "dependent", "gc-foreground");
        await Eventually.HoldsAsync(
            async () => (await TestCluster.TryReadConfigMapAsync(client, "gc-foreground", "owner") is null, "owner still there"),
            "the owner to go once its dependent is gone");
        Assert.Null(await TestCluster.TryReadConfigMapAsync(client, "gc-foreground", "dependent"));
    }

    [Fact]
    public async Task Orphan_releases_the_dependent_then_lets_the_owner_go()
    {
        using var client = cluster.Client();
        await OwnerAndDependentAsync(client, "gc-orphan");

        await client.CoreV1.DeleteNamespacedConfigMapAsync("owner", "gc-orphan", Policy("Orphan"));

        await Eventually.HoldsAsync(
            async () => (await TestCluster.TryReadConfigMapAsync(client, "gc-orphan", "owner") is null, "owner still there"),
            "the owner to go once its dependents are orphaned");
        var dependent = await TestCluster.TryReadConfigMapAsync(client, "gc-orphan", "dependent");
        Assert.NotNull(dependent);
        Assert.Null(dependent.Metadata.DeletionTimestamp);
        Assert.Empty(dependent.Metadata.OwnerReferences ?? []);
    }

    [Fact]
    public async Task A_dependent_of_an_owner_that_never_existed_is_deleted_and_one_with_a_live_owner_too_is_kept()
    {
        using var client = cluster.Client();
        await TestCluster.CreateNamespaceAsync(client, "gc-phantom");
        var live = await client.CoreV1.CreateNamespacedConfigMapAsync(TestCluster.ConfigMap("live"), "gc-phantom");
        var phantom = new V1OwnerReference { ApiVersion = "v1", Kind = "ConfigMap", Name = "never", Uid = Guid.NewGuid().ToString() };

        await client.CoreV1.CreateNamespacedConfigMapAsync(TestCluster.ConfigMap("orphaned", phantom), "gc-phantom");
        await client.CoreV1.CreateNamespacedConfigMapAsync(TestCluster.ConfigMap("kept", phantom, TestCluster.OwnedBy(live, block: false)), "gc-phantom");

        await Eventually.HoldsAsync(
            async () => (await TestCluster.TryReadConfigMapAsync(client, "gc-phantom", "orphaned") is null, "still there"),
            "the dependent of a missing owner to be deleted");
        await Eventually.HoldsAsync(
            async () =>
            {
                var kept = await TestCluster.TryReadConfigMapAsync(client, "gc-phantom", "kept");
                var refs = kept?.Metadata.OwnerReferences?.Select(r => r.Name).ToList() ?? [];
                return (kept is not null && refs.SequenceEqual(["live"]), kept is null ? "deleted" : string.Join(",", refs));
            },
            "the dangling reference to be removed from the dependent that has a live owner");
    }

    [Fact]
    public async Task A_custom_resource_owner_cascades_to_its_configmap()
    {
        using var client = cluster.Client();
        const string group = "gc-owner.example.com";
        await TestCluster.CreateWidgetCrdAsync(client, group);
        await TestCluster.CreateNamespaceAsync(client, "gc-custom");
        var created = KubernetesJson.Deserialize<Kubesharp.Controllers.Dynamic.PartialObject>(KubernetesJson.Serialize(
            await client.CustomObjects.CreateNamespacedCustomObjectAsync(TestCluster.Widget(group, "w"), group, "v1", "gc-custom", "widgets")));
        var owner = new V1OwnerReference { ApiVersion = group + "/v1", Kind = "Widget", Name = "w", Uid = created.Metadata.Uid, BlockOwnerDeletion = true };
        await client.CoreV1.CreateNamespacedConfigMapAsync(TestCluster.ConfigMap("owned", owner), "gc-custom");

        await client.CustomObjects.DeleteNamespacedCustomObjectAsync(group, "v1", "gc-custom", "widgets", "w", Policy("Background"));

        await Eventually.HoldsAsync(
            async () => (await TestCluster.TryReadConfigMapAsync(client, "gc-custom", "owned") is null, "still there"),
            "the configmap owned by the deleted widget to be collected");
    }
}
