using k8s;

namespace Kubesharp.Controllers.Tests.Integration;

public sealed class PodGcIntegrationTests(ManagedClusterFixture cluster) : IClassFixture<ManagedClusterFixture>
{
    [Fact]
    public async Task A_pod_bound_to_a_node_that_does_not_exist_is_deleted_after_the_quarantine()
    {
        using var client = cluster.Client();
        await TestCluster.CreateNamespaceAsync(client, "podgc");
        await client.CoreV1.CreateNamespacedPodAsync(TestCluster.Pod("stranded", nodeName: "ghost-node"), "podgc");
        await client.CoreV1.CreateNamespacedPodAsync(TestCluster.Pod("unscheduled"), "podgc");

        await Eventually.HoldsAsync(
            async () =>
            {
                var pods = await client.CoreV1.ListNamespacedPodAsync("podgc");
                return (pods.Items.All(p => p.Metadata.Name != "stranded"), string.Join(",", pods.Items.Select(p => $"{p.Metadata.Name}:{p.Status?.Phase}")));
            },
            "the pod of the missing node to be deleted");
        var left = await client.CoreV1.ListNamespacedPodAsync("podgc");
        Assert.Equal(["unscheduled"], left.Items.Select(p => p.Metadata.Name));
    }
}
