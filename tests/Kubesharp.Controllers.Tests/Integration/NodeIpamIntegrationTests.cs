using k8s;
using k8s.Models;

namespace Kubesharp.Controllers.Tests.Integration;

public sealed class NodeIpamIntegrationTests(NodeClusterFixture cluster) : IClassFixture<NodeClusterFixture>
{
    [Fact]
    public async Task Registered_nodes_get_the_next_free_pod_CIDR_and_a_deleted_nodes_CIDR_goes_to_the_next_one()
    {
        using var client = cluster.Client();

        await client.CoreV1.CreateNodeAsync(new V1Node { Metadata = new V1ObjectMeta { Name = "ipam-1" } });
        Assert.Equal("10.42.0.0/24", await PodCidrAsync(client, "ipam-1"));
        await client.CoreV1.CreateNodeAsync(new V1Node { Metadata = new V1ObjectMeta { Name = "ipam-2" } });
        Assert.Equal("10.42.1.0/24", await PodCidrAsync(client, "ipam-2"));

        await client.CoreV1.DeleteNodeAsync("ipam-1");
        await client.CoreV1.CreateNodeAsync(new V1Node { Metadata = new V1ObjectMeta { Name = "ipam-3" } });

        Assert.Equal("10.42.0.0/24", await PodCidrAsync(client, "ipam-3"));
        var node = await client.CoreV1.ReadNodeAsync("ipam-3");
        Assert.Equal(["10.42.0.0/24"], node.Spec.PodCIDRs);
    }

    private static async Task<string> PodCidrAsync(Kubernetes client, string name)
    {
        var node = await Eventually.HoldsAsync(
            () => client.CoreV1.ReadNodeAsync(name),
            n => !string.IsNullOrEmpty(n.Spec?.PodCIDR),
            $"node {name} to get a pod CIDR");
        return node.Spec.PodCIDR;
    }
}
