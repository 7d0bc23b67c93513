using k8s.Models;
using Kubesharp.Kubelet.Server;

namespace Kubesharp.Kubelet.Tests.Server;

/// <summary>A container locator filled directly by a test.</summary>
internal sealed class FakeContainerLocator : IContainerLocator
{
    public List<V1Pod> PodList { get; } = [];

    public Dictionary<(string Ns, string Pod, string Container, bool Previous), ContainerLocation> Containers { get; } = [];

    public IReadOnlyList<V1Pod> Pods => PodList;

    public ContainerLocation? Find(string ns, string podName, string container, bool previous) =>
        Containers.GetValueOrDefault((ns, podName, container, previous));

    public static V1Pod Pod(string ns, string name, params string[] containers) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
        Spec = new V1PodSpec { Containers = [.. containers.Select(c => new V1Container { Name = c })] },
        Status = new V1PodStatus { Phase = "Running", ContainerStatuses = [.. containers.Select(c => new V1ContainerStatus { Name = c, State = new V1ContainerState { Running = new V1ContainerStateRunning() } })] },
    };
}

/// <summary>An authorizer that records what it is asked and answers from a rule.</summary>
internal sealed class FakeKubeletAuthorizer(Func<KubeletRequestAttributes, bool> allow) : IKubeletAuthorizer
{
    public List<KubeletRequestAttributes> Asked { get; } = [];

    public ValueTask<bool> AuthorizeAsync(KubeletRequestAttributes attributes, CancellationToken cancellationToken)
    {
        lock (Asked)
        {
            Asked.Add(attributes);
        }

        return ValueTask.FromResult(allow(attributes));
    }
}
