using k8s.Models;

namespace Kubesharp.Kubelet.Probes;

/// <summary>
/// The probes of one container instance and their current results. The result fields are read and written under the
/// manager's lock; the rest is fixed at creation except <see cref="Pod"/>, which the worker's updates replace.
/// </summary>
internal sealed class ContainerProbes
{
    private V1Pod _pod;

    public ContainerProbes(V1Pod pod, V1Container container, bool isInit, string containerId, DateTimeOffset startedAt, string? podIp)
    {
        _pod = pod;
        Container = container;
        IsInit = isInit;
        ContainerId = containerId;
        StartedAt = startedAt;
        PodIp = podIp;
        HasReadiness = container.ReadinessProbe is not null;
        HasStartup = container.StartupProbe is not null;
        Started = !HasStartup;
    }

    public V1Pod Pod
    {
        get => Volatile.Read(ref _pod);
        set => Volatile.Write(ref _pod, value);
    }

    public string PodUid => Pod.Metadata.Uid;

    public V1Container Container { get; }

    public bool IsInit { get; }

    public string ContainerId { get; }

    public DateTimeOffset StartedAt { get; }

    public string? PodIp { get; }

    public bool HasReadiness { get; }

    public bool HasStartup { get; }

    public CancellationTokenSource Stop { get; } = new();

    public List<ProbeWorker> Workers { get; } = [];

    // Results (under the manager's lock). Upstream's initial values: readiness Failure, startup Unknown (not started).
    public bool Ready { get; set; }

    public bool Started { get; set; }

    public bool Stopped { get; set; }

    public ProbeWorker? Worker(ProbeKind kind) => Workers.FirstOrDefault(w => w.Kind == kind);

    /// <summary>The reference events are about: the pod, with the container's field path, as upstream's container refs.</summary>
    public V1ObjectReference Reference()
    {
        var pod = Pod;
        return new V1ObjectReference
        {
            ApiVersion = "v1",
            Kind = "Pod",
            Name = pod.Metadata.Name,
            NamespaceProperty = pod.Metadata.NamespaceProperty,
            Uid = pod.Metadata.Uid,
            ResourceVersion = pod.Metadata.ResourceVersion,
            FieldPath = IsInit ? $"spec.initContainers{{{Container.Name}}}" : $"spec.containers{{{Container.Name}}}",
        };
    }
}
