// INTERIM (replaced by the probes branch): the contract only.
#pragma warning disable CA1822, IDE0060
using k8s.Models;
using Kubesharp.Client.Events;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Kubelet.Probes;

public enum ProbeResult
{
    Success,
    Failure,
    Unknown,
}

public sealed record ProbeOutcome(ProbeResult Result, string Output);

public sealed record ProbeFailure(string PodUid, string ContainerName, string ContainerId, string Kind, string Message);

public sealed class ProbeRunner(Cri.CriClient? cri, TimeProvider time)
{
    public CriRef Cri { get; } = new(cri, time);

    public sealed record CriRef(Cri.CriClient? Client, TimeProvider Time);
}

public sealed class ProbeManager(ProbeRunner runner, IEventRecorder events, TimeProvider time, ILogger logger) : IAsyncDisposable
{
    public event Func<ProbeFailure, Task>? ContainerUnhealthy;

    public event Action<string>? ResultsChanged;

    public void ContainerStarted(V1Pod pod, string containerName, string containerId, DateTimeOffset startedAt, string? podIp) =>
        _ = (runner, events, time, logger, pod, containerName, containerId, startedAt, podIp, ContainerUnhealthy, ResultsChanged);

    public void ContainerStopped(string podUid, string containerName) => _ = (podUid, containerName);

    public void RemovePod(string podUid) => _ = podUid;

    public bool IsReady(string podUid, string containerName, string containerId) => true;

    public bool IsStarted(string podUid, string containerName, string containerId) => true;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
