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

    /// <summary>
    /// The state of every sandbox and container of the pod, in the form the <see cref="Relister"/> computes from its
    /// lists: equal fingerprints mean the relist has nothing new about the pod.
    /// </summary>
    public string Fingerprint => Fingerprints.Of(
        Sandboxes.Select(s => (s.Id, s.State.ToString())),
        Containers.Select(c => (c.Id, c.State.ToString())));

    /// <summary>
    /// Whether this view, read after a sync acted on <paramref name="before"/>, holds nothing that sync did not expect:
    /// every sandbox and container is as it was before, or new and up (a sandbox ready, a container running). A
    /// container that exited, or one that was created but failed to start, in between was not acted on, so the pod needs
    /// another sync when the relist reports it.
    /// </summary>
    public bool SettledSince(PodRuntimeStatus before)
    {
        var old = before.Sandboxes.ToDictionary(s => s.Id, s => s.State, StringComparer.Ordinal);
        if (Sandboxes.Any(s => old.TryGetValue(s.Id, out var state) ? state != s.State : s.State != PodSandboxState.SandboxReady))
        {
            return false;
        }

        var oldContainers = before.Containers.ToDictionary(c => c.Id, c => c.State, StringComparer.Ordinal);
        return !Containers.Any(c => oldContainers.TryGetValue(c.Id, out var state) ? state != c.State : !c.Running);
    }

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

        return new PodRuntimeStatus(uid, sandboxes, await ReadContainersAsync(cri, uid, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Reads the pod's container instances only (newest first), by the pod uid label.</summary>
    public static async Task<IReadOnlyList<ContainerInstance>> ReadContainersAsync(CriClient cri, string uid, CancellationToken cancellationToken)
    {
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

        return containers;
    }
}

/// <summary>The canonical text of a pod's runtime state: its sandboxes' and containers' ids and states, sorted.</summary>
public static class Fingerprints
{
    public static string Of(IEnumerable<(string Id, string State)> sandboxes, IEnumerable<(string Id, string State)> containers) =>
        string.Join(
            ";",
            sandboxes.Select(s => $"s/{s.Id}={s.State}")
                .Concat(containers.Select(c => $"c/{c.Id}={c.State}"))
                .Order(StringComparer.Ordinal));
}
