using k8s;
using k8s.Models;

namespace Kubesharp.ApiServer.Tests.Integration;

public abstract partial class ClientTests<TFixture>
{
    [SkippableFact]
    public async Task A_scale_patch_racing_status_writes_is_retried_and_a_stale_version_in_it_is_a_conflict()
    {
        using var client = server.Client();
        var name = "scale-race-" + Guid.NewGuid().ToString("N")[..6];
        var labels = new Dictionary<string, string> { ["app"] = name };
        await client.AppsV1.CreateNamespacedReplicaSetAsync(
            new V1ReplicaSet
            {
                Metadata = new V1ObjectMeta { Name = name },
                Spec = new V1ReplicaSetSpec
                {
                    Replicas = 1,
                    Selector = new V1LabelSelector { MatchLabels = labels },
                    Template = new V1PodTemplateSpec { Metadata = new V1ObjectMeta { Labels = labels }, Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "busybox" }] } },
                },
            },
            "default");

        // Status writes (as a controller makes) race merge patches of /scale that name no version: every patch must land.
        var statusWrites = Task.Run(async () =>
        {
            for (var i = 0; i < 40; i++)
            {
                await client.AppsV1.PatchNamespacedReplicaSetStatusAsync(new V1Patch("{\"status\":{\"observedGeneration\":" + i + "}}", V1Patch.PatchType.MergePatch), name, "default");
            }
        });
        var patches = Enumerable.Range(2, 40).Select(n =>
            client.AppsV1.PatchNamespacedReplicaSetScaleAsync(new V1Patch("{\"spec\":{\"replicas\":" + n + "}}", V1Patch.PatchType.MergePatch), name, "default"));
        var results = await Task.WhenAll(patches);
        await statusWrites;

        Assert.Equal(40, results.Length);
        var read = await client.AppsV1.ReadNamespacedReplicaSetScaleAsync(name, "default");
        Assert.InRange(read.Spec.Replicas ?? -1, 2, 41);

        var stale = """{"metadata":{"resourceVersion":"1"},"spec":{"replicas":7}}""";
        var conflict = await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(() =>
            client.AppsV1.PatchNamespacedReplicaSetScaleAsync(new V1Patch(stale, V1Patch.PatchType.MergePatch), name, "default"));
        Assert.Equal(System.Net.HttpStatusCode.Conflict, conflict.Response.StatusCode);
    }
}
