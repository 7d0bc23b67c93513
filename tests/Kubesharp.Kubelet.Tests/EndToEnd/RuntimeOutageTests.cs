using k8s.Models;
using Kubesharp.Testing.Runtime;

namespace Kubesharp.Kubelet.Tests.EndToEnd;

/// <summary>containerd going down: the node turns NotReady with the reason, the pods keep running, and all recovers.</summary>
[Collection("containerd")]
public sealed class RuntimeOutageTests(KubeletFixture f)
{
    [SkippableFact]
    public async Task When_containerd_goes_down_the_node_is_NotReady_the_pods_keep_running_and_all_recovers_when_it_returns()
    {
        Skip.If(f.SkipReason is not null, f.SkipReason);
        var runtime = ContainerRuntimeEnvironment.Get();
        var ns = await f.NamespaceAsync();
        await f.CreatePodAsync(ns, new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "survivor" },
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = ContainerRuntimeEnvironment.BusyboxImage, Command = ["sleep", "3600"] }] },
        });
        var before = await f.WaitAsync(ns, "survivor", p => p.Status?.ContainerStatuses?.SingleOrDefault()?.State?.Running is not null, "running");

        runtime.KillContainerd();
        try
        {
            var node = await f.WaitNodeReadyAsync(ready: false);
            var ready = node.Status.Conditions.Single(c => c.Type == "Ready");
            Assert.Equal("KubeletNotReady", ready.Reason);
            Assert.Equal("container runtime is down", ready.Message);
        }
        finally
        {
            var up = await runtime.RestartAsync();
            Assert.True(up.ExitCode == 0, up.Describe());
        }

        await f.WaitNodeReadyAsync();
        var after = await f.WaitAsync(ns, "survivor", p => p.Status?.ContainerStatuses?.SingleOrDefault()?.State?.Running is not null, "running");
        // The same container, never restarted: it ran on while containerd was away.
        Assert.Equal(before.Status.ContainerStatuses.Single().ContainerID, after.Status.ContainerStatuses.Single().ContainerID);
        Assert.Equal(0, after.Status.ContainerStatuses.Single().RestartCount);

        // And the kubelet starts new pods again.
        await f.CreatePodAsync(ns, new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "after" },
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = ContainerRuntimeEnvironment.BusyboxImage, Command = ["sleep", "3600"] }] },
        });
        await f.WaitAsync(ns, "after", p => p.Status?.Phase == "Running", "running");
    }
}
