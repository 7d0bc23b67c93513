using k8s.Models;
using Kubesharp.Client.Events;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Kubelet.Probes;

/// <summary>A probe worker is about to wait until <paramref name="Until"/> (a barrier for tests).</summary>
internal sealed record ProbeWorkerWait(string PodUid, string ContainerName, string ContainerId, ProbeKind Kind, DateTimeOffset Until);

/// <summary>
/// The kubelet's probes (upstream's <c>prober.Manager</c>): one worker per probe of each running container instance,
/// results for the pod status, and the liveness and startup failures that make the pod worker restart a container.
/// <para>
/// Contract: the pod worker calls <see cref="ContainerStarted"/> for every container instance it starts or adopts
/// (a new id replaces the old instance's workers and results), <see cref="ContainerStopped"/> when one is no longer
/// running, <see cref="RemovePod"/> when the pod is gone. <see cref="IsReady"/> and <see cref="IsStarted"/> describe a
/// running container; a container the manager was never told about counts as having no probes. Events are recorded as
/// upstream's (<c>Unhealthy</c>, <c>ProbeWarning</c>, Warning, about the container's field path).
/// </para>
/// <para>
/// <see cref="ContainerUnhealthy"/> is raised from the probing worker, once per container instance, and awaited
/// (that worker is on hold meanwhile); <see cref="ResultsChanged"/> is raised synchronously after a readiness or
/// started result changed. Handlers must not throw (what they throw is logged and dropped). All methods are
/// thread-safe and none blocks on probing.
/// </para>
/// </summary>
public sealed partial class ProbeManager : IAsyncDisposable
{
    private readonly IEventRecorder _events;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly Dictionary<(string PodUid, string Container), ContainerProbes> _containers = [];
    private readonly HashSet<Task> _running = [];
    private bool _disposed;

    public ProbeManager(IProbeRunner runner, IEventRecorder events, TimeProvider time, ILogger logger)
    {
        Runner = runner;
        _events = events;
        Time = time;
        _logger = logger;
    }

    /// <summary>Raised when a liveness or startup probe crossed failureThreshold; see <see cref="ProbeFailure"/>.</summary>
    public event Func<ProbeFailure, Task>? ContainerUnhealthy;

    /// <summary>Raised with the pod's uid when a container's readiness or started result changed.</summary>
    public event Action<string>? ResultsChanged;

    internal event Action<ProbeWorkerWait>? WorkerWaiting;

    internal event Action<ProbeKind, string>? WorkerExited;

    internal IProbeRunner Runner { get; }

    internal TimeProvider Time { get; }

    /// <summary>
    /// Starts probing a container instance that started at <paramref name="startedAt"/>. Calling it again for the same
    /// container id only refreshes the pod; a new id stops the previous instance's workers and resets every result.
    /// </summary>
    public void ContainerStarted(V1Pod pod, string containerName, string containerId, DateTimeOffset startedAt, string? podIp)
    {
        var uid = pod.Metadata.Uid;
        var init = pod.Spec.InitContainers?.FirstOrDefault(c => c.Name == containerName);
        var container = pod.Spec.Containers?.FirstOrDefault(c => c.Name == containerName) ?? init;
        if (container is null)
        {
            LogUnknownContainer(_logger, pod.Metadata.NamespaceProperty, pod.Metadata.Name, containerName);
            return;
        }

        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_containers.TryGetValue((uid, containerName), out var existing))
            {
                if (existing.ContainerId == containerId && !existing.Stopped)
                {
                    existing.Pod = pod;
                    return;
                }

                existing.Stop.Cancel();
            }

            var target = new ContainerProbes(pod, container, container == init && pod.Spec.Containers?.Contains(container) != true, containerId, startedAt, podIp);
            _containers[(uid, containerName)] = target;
            // Startup first: the others wait for it, and readiness is triggered when it succeeds.
            AddWorker(target, ProbeKind.Startup, container.StartupProbe);
            AddWorker(target, ProbeKind.Readiness, container.ReadinessProbe);
            AddWorker(target, ProbeKind.Liveness, container.LivenessProbe);
        }
    }

    /// <summary>Refreshes the pod of its running containers' workers (a deletion stops liveness and startup probing quietly).</summary>
    public void PodUpdated(V1Pod pod)
    {
        lock (_lock)
        {
            foreach (var target in _containers.Values.Where(t => t.PodUid == pod.Metadata.Uid))
            {
                target.Pod = pod;
            }
        }
    }

    /// <summary>Stops probing a container that is no longer running; it is neither ready nor started until it starts again.</summary>
    public void ContainerStopped(string podUid, string containerName)
    {
        lock (_lock)
        {
            if (_containers.TryGetValue((podUid, containerName), out var target))
            {
                target.Stopped = true;
                target.Ready = false;
                target.Started = false;
                target.Stop.Cancel();
            }
        }
    }

    /// <summary>Stops every worker of the pod and forgets its results.</summary>
    public void RemovePod(string podUid)
    {
        lock (_lock)
        {
            foreach (var key in _containers.Keys.Where(k => k.PodUid == podUid).ToList())
            {
                _containers[key].Stop.Cancel();
                _containers.Remove(key);
            }
        }
    }

    /// <summary>
    /// Whether the container instance is ready: started, and its readiness probe's last recorded result a success
    /// (true without a readiness probe). False for an instance that is not the current one, or that stopped.
    /// </summary>
    public bool IsReady(string podUid, string containerName, string containerId)
    {
        lock (_lock)
        {
            if (!_containers.TryGetValue((podUid, containerName), out var target))
            {
                return true;
            }

            return target.ContainerId == containerId && !target.Stopped && target.Started && (!target.HasReadiness || target.Ready);
        }
    }

    /// <summary>Whether the container instance's startup probe has succeeded (true without one); false as <see cref="IsReady"/>.</summary>
    public bool IsStarted(string podUid, string containerName, string containerId)
    {
        lock (_lock)
        {
            if (!_containers.TryGetValue((podUid, containerName), out var target))
            {
                return true;
            }

            return target.ContainerId == containerId && !target.Stopped && target.Started;
        }
    }

    internal bool HasStarted(ContainerProbes target)
    {
        lock (_lock)
        {
            return target.Started;
        }
    }

    private void AddWorker(ContainerProbes target, ProbeKind kind, V1Probe? spec)
    {
        if (spec is null)
        {
            return;
        }

        var worker = new ProbeWorker(this, target, kind, spec);
        target.Workers.Add(worker);
        var token = target.Stop.Token;
        var task = Task.Run(() => RunWorkerAsync(worker, target, token), CancellationToken.None);
        _running.Add(task);
        _ = task.ContinueWith(
            t =>
            {
                lock (_lock)
                {
                    _running.Remove(t);
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private async Task RunWorkerAsync(ProbeWorker worker, ContainerProbes target, CancellationToken cancellationToken)
    {
        try
        {
            await worker.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // A worker never takes the kubelet down; the container is probed again when it next starts.
            LogWorkerFailed(_logger, e, worker.Kind, target.Pod.Metadata.NamespaceProperty, target.Pod.Metadata.Name, target.Container.Name);
        }
        finally
        {
            WorkerExited?.Invoke(worker.Kind, target.ContainerId);
        }
    }

    internal void OnWaiting(ContainerProbes target, ProbeKind kind, DateTimeOffset until) =>
        WorkerWaiting?.Invoke(new ProbeWorkerWait(target.PodUid, target.Container.Name, target.ContainerId, kind, until));

    /// <summary>
    /// Records the events of one probe run as upstream's prober does and maps it to the result that counts: null when
    /// it errored (thrown away), success for a warning, failure for an unknown result without an error.
    /// </summary>
    internal ProbeResult? Record(ContainerProbes target, ProbeKind kind, ProbeOutcome outcome)
    {
        if (outcome.Error is not null)
        {
            _events.Event(target.Reference(), "Warning", "Unhealthy", $"{kind} probe errored and resulted in unknown state: {outcome.Error}");
            LogProbeErrored(_logger, kind, target.Pod.Metadata.NamespaceProperty, target.Pod.Metadata.Name, target.Container.Name, outcome.Error);
            return null;
        }

        switch (outcome.Result)
        {
            case ProbeResult.Success:
                return ProbeResult.Success;
            case ProbeResult.Warning:
                _events.Event(target.Reference(), "Warning", "ProbeWarning", $"{kind} probe warning: {outcome.Output}");
                return ProbeResult.Success;
            case ProbeResult.Failure:
                _events.Event(target.Reference(), "Warning", "Unhealthy", $"{kind} probe failed: {outcome.Output}");
                LogProbeFailed(_logger, kind, target.Pod.Metadata.NamespaceProperty, target.Pod.Metadata.Name, target.Container.Name, outcome.Output);
                return ProbeResult.Failure;
            default:
                return ProbeResult.Failure;
        }
    }

    /// <summary>Stores a result that crossed its threshold; raises <see cref="ResultsChanged"/> when a status-visible one changed.</summary>
    internal void SetResult(ContainerProbes target, ProbeKind kind, ProbeResult result)
    {
        var success = result == ProbeResult.Success;
        bool changed;
        ProbeWorker? readiness = null;
        lock (_lock)
        {
            if (target.Stopped || target.Stop.IsCancellationRequested)
            {
                return;
            }

            switch (kind)
            {
                case ProbeKind.Readiness:
                    changed = target.Ready != success;
                    target.Ready = success;
                    break;
                case ProbeKind.Startup:
                    changed = target.Started != success;
                    target.Started = success;
                    // Upstream's status sync triggers a readiness run for a started container that is not ready yet.
                    readiness = success ? target.Worker(ProbeKind.Readiness) : null;
                    break;
                default:
                    changed = false;
                    break;
            }
        }

        readiness?.Trigger();
        if (changed)
        {
            try
            {
                ResultsChanged?.Invoke(target.PodUid);
            }
            catch (Exception e)
            {
                LogHandlerFailed(_logger, e, nameof(ResultsChanged));
            }
        }
    }

    internal async Task RaiseUnhealthyAsync(ContainerProbes target, ProbeKind kind, V1Probe spec, string output)
    {
        var pod = target.Pod;
        var name = target.Container.Name;
        var reason = kind == ProbeKind.Liveness ? "LivenessProbe" : "StartupProbe";
        var message = $"Container {name} failed {(kind == ProbeKind.Liveness ? "liveness" : "startup")} probe";
        if (pod.Spec.RestartPolicy != "Never" || target.IsInit)
        {
            message += ", will be restarted";
        }

        var failure = new ProbeFailure(target.PodUid, name, target.ContainerId, kind, reason, message, output, GracePeriod(pod, spec));
        LogUnhealthy(_logger, pod.Metadata.NamespaceProperty, pod.Metadata.Name, name, message);
        if (ContainerUnhealthy is not { } handlers)
        {
            return;
        }

        foreach (var handler in handlers.GetInvocationList().Cast<Func<ProbeFailure, Task>>())
        {
            try
            {
                await handler(failure).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                LogHandlerFailed(_logger, e, nameof(ContainerUnhealthy));
            }
        }
    }

    /// <summary>Upstream's <c>setTerminationGracePeriod</c> for a kill after a failed liveness or startup probe.</summary>
    internal static TimeSpan GracePeriod(V1Pod pod, V1Probe spec)
    {
        var seconds = pod.Metadata.DeletionGracePeriodSeconds
            ?? spec.TerminationGracePeriodSeconds
            ?? pod.Spec.TerminationGracePeriodSeconds
            ?? 2;
        return TimeSpan.FromSeconds(seconds);
    }

    /// <summary>Stops every worker and waits for them to end.</summary>
    public async ValueTask DisposeAsync()
    {
        Task[] running;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            foreach (var target in _containers.Values)
            {
                target.Stop.Cancel();
            }

            _containers.Clear();
            running = [.. _running];
        }

        await Task.WhenAll(running).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Probe target container {Container} is not in pod {Namespace}/{Pod}")]
    private static partial void LogUnknownContainer(ILogger logger, string @namespace, string pod, string container);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Kind} probe worker for {Namespace}/{Pod} container {Container} failed")]
    private static partial void LogWorkerFailed(ILogger logger, Exception e, ProbeKind kind, string @namespace, string pod, string container);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Kind} probe errored for {Namespace}/{Pod} container {Container}: {Error}")]
    private static partial void LogProbeErrored(ILogger logger, ProbeKind kind, string @namespace, string pod, string container, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Kind} probe failed for {Namespace}/{Pod} container {Container}: {Output}")]
    private static partial void LogProbeFailed(ILogger logger, ProbeKind kind, string @namespace, string pod, string container, string output);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Namespace}/{Pod} container {Container} unhealthy: {Message}")]
    private static partial void LogUnhealthy(ILogger logger, string @namespace, string pod, string container, string message);

    [LoggerMessage(Level = LogLevel.Error, Message = "A {Event} handler failed")]
    private static partial void LogHandlerFailed(ILogger logger, Exception e, string @event);
}
