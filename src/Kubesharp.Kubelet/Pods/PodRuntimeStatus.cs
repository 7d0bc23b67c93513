using System.Globalization;
using Kubesharp.Kubelet.Cri;
using Kubesharp.Kubelet.Cri.V1;

namespace Kubesharp.Kubelet.Pods;

/// <summary>One container instance as the runtime reports it, with what the kubelet recorded on it.</summary>
public sealed record ContainerInstance(ContainerStatus Status)
{
    public string Id => Status.Id;

    public string Name => Status.Metadata.Name;

    public ContainerState State => Status.State;

    public bool Running => Status.State == ContainerState.ContainerRunning;

    public bool Exited => Status.State == ContainerState.ContainerExited;

    public int RestartCount => Status.Annotations.TryGetValue(RuntimeLabels.RestartCount, out var s) && int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0;

    public string? Hash => Status.Annotations.TryGetValue(RuntimeLabels.ContainerHash, out var s) ? s : null;

    public DateTimeOffset CreatedAt => FromNanos(Status.CreatedAt);

    public DateTimeOffset StartedAt => FromNanos(Status.StartedAt);

    public DateTimeOffset FinishedAt => FromNanos(Status.FinishedAt);

    public static DateTimeOffset FromNanos(long nanos) => DateTimeOffset.UnixEpoch.AddTicks(nanos / 100);
}

/// <summary>A pod as the runtime has it: its sandboxes (newest first) and every container instance (newest first).</summary>
public sealed record PodRuntimeStatus(string Uid, IReadOnlyList<PodSandboxStatus> Sandboxes, IReadOnlyList<ContainerInstance> Containers)
{
    public static readonly PodRuntimeStatus Empty = new("", [], []);

    public PodSandboxStatus? LatestSandbox => Sandboxes.Count > 0 ? Sandboxes[0] : null;

    public string? PodIp => LatestSandbox is { State: PodSandboxState.SandboxReady } s && !string.IsNullOrEmpty(s.Network?.Ip) ? s.Network.Ip : null;

    /// <summary>The instances of one container, newest first.</summary>
    public IEnumerable<ContainerInstance> Instances(string name) => Containers.Where(c => c.Name == name);

    public ContainerInstance? Latest(string name) => Instances(name).FirstOrDefault();

    /// <summary>The instance before the latest (what <c>lastState</c> and <c>logs --previous</c> show).</summary>
    public ContainerInstance? Previous(string name) => Instances(name).Skip(1).FirstOrDefault();

    public bool AnyRunning => Containers.Any(c => c.Running);

    /// <summary>Reads the pod's sandboxes and containers from the runtime, by the pod uid label.</summary>
    public static async Task<PodRuntimeStatus> ReadAsync(CriClient cri, string uid, CancellationToken cancellationToken)
    {
        var filter = new PodSandboxFilter();
        filter.LabelSelector.Add(RuntimeLabels.PodUid, uid);
        var sandboxes = new List<PodSandboxStatus>();
        // Newest first by attempt: a sandbox whose network set-up failed may carry no creation time.
        foreach (var sandbox in (await cri.ListPodSandboxesAsync(filter, cancellationToken).ConfigureAwait(false)).OrderByDescending(s => s.Metadata?.Attempt ?? 0).ThenByDescending(s => s.CreatedAt))
        {
            sandboxes.Add(await cri.PodSandboxStatusAsync(sandbox.Id, cancellationToken).ConfigureAwait(false));
        }

        var containerFilter = new ContainerFilter();
        containerFilter.LabelSelector.Add(RuntimeLabels.PodUid, uid);
        var containers = new List<ContainerInstance>();
        foreach (var container in (await cri.ListContainersAsync(containerFilter, cancellationToken).ConfigureAwait(false)).OrderByDescending(c => c.CreatedAt))
        {
            try
            {
                containers.Add(new ContainerInstance(await cri.ContainerStatusAsync(container.Id, cancellationToken).ConfigureAwait(false)));
            }
            catch (Grpc.Core.RpcException e) when (e.StatusCode == Grpc.Core.StatusCode.NotFound)
            {
                // Removed between the list and the status.
            }
        }

        return new PodRuntimeStatus(uid, sandboxes, containers);
    }
}
