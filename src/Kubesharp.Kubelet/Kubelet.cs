using k8s;
using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Client.Events;
using Kubesharp.Kubelet.Cri;
using Kubesharp.Kubelet.Env;
using Kubesharp.Kubelet.Lifecycle;
using Kubesharp.Kubelet.Node;
using Kubesharp.Kubelet.Pods;
using Kubesharp.Kubelet.Probes;
using Kubesharp.Kubelet.Volumes;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Kubelet;

/// <summary>
/// The kubelet: registers its node and keeps its status and lease, watches the pods bound to it
/// (<c>spec.nodeName=NAME</c>) and runs them in the container runtime through the CRI, one worker per pod, with the
/// runtime relisted every second to notice containers that die. It talks to the API server only, through
/// <paramref name="client"/>, and to containerd over its socket.
/// </summary>
public sealed partial class Kubelet(Kubernetes client, KubeletOptions options, ILoggerFactory loggers, TimeProvider? time = null) : IAsyncDisposable
{
    /// <summary>The version the node reports; the API server's.</summary>
    public const string Version = "v1.32.0-kubesharp";

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ILogger _logger = loggers.CreateLogger("kubelet");
    private readonly CancellationTokenSource _stop = new();
    private Task? _run;

    public PodWorkers? Workers { get; private set; }

    public NodeStatusManager? Node { get; private set; }

    public CriClient? Cri { get; private set; }

    /// <summary>Pod start traces and the sync and runtime-call timings (served on <c>/metrics</c>).</summary>
    public PodStartTracker? Starts { get; private set; }

    public KubeletPaths Paths { get; } = new(options.RootDir);

    /// <summary>Set once the node is registered and the pods' informer has synced.</summary>
    public Task Started => _started.Task;

    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = cancellationToken;
        _run ??= Task.Run(() => RunAsync(_stop.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Paths.PodsDir);
        Directory.CreateDirectory(Paths.LogsDir);
        var host = HostInfo.Read(options.RootDir);
        var nodeIp = options.NodeIp ?? HostInfo.NodeAddress(client.BaseUri).ToString();
        var starts = new PodStartTracker(_time, loggers.CreateLogger("kubelet.podstart"));
        Starts = starts;
        using var cri = new CriClient(options.ContainerRuntimeEndpoint, observe: starts.RuntimeOperation);
        Cri = cri;
        await using var recorder = new EventRecorder(
            new KubernetesEventSink(client),
            new EventRecorderOptions { Component = "kubelet", Host = options.NodeName },
            _time,
            loggers.CreateLogger("events"));
        recorder.Start();

        var node = new NodeStatusManager(client, cri, options, host, nodeIp, Version, _time, loggers.CreateLogger("kubelet.node"));
        Node = node;
        using var runner = new ProbeRunner(cri, _time);
        await using var probes = new ProbeManager(runner, recorder, _time, loggers.CreateLogger("kubelet.prober"));
        using var syncer = new PodSyncer(new PodSyncContext(
            cri,
            options,
            Paths,
            new SandboxConfigBuilder(options, Paths),
            new ImagePuller(cri, client, new Backoff(options.ImagePullInitialBackoff, options.ImagePullMaxBackoff, _time), recorder),
            new VolumeManager(client, Paths, options.NodeName, _time, loggers) { NodeAllocatable = () => node.Allocatable },
            new EnvResolver(client, _time, recorder, loggers.CreateLogger("kubelet.env")),
            probes,
            new LifecycleHooks(runner, _time, recorder),
            recorder,
            new Backoff(options.CrashLoopInitialBackoff, options.CrashLoopMaxBackoff, _time),
            () => node.Allocatable,
            host.MemoryBytes,
            nodeIp,
            _time,
            loggers.CreateLogger("kubelet.sync"),
            starts));
        await using var workers = new PodWorkers(client, syncer, cri, options, loggers.CreateLogger("kubelet.workers")) { Starts = starts };
        Workers = workers;
        var relister = new Relister(cri, _time, loggers.CreateLogger("kubelet.pleg"));
        workers.RuntimeUp = () => relister.Healthy;

        probes.ResultsChanged += workers.Signal;
        probes.ContainerUnhealthy += failure => OnUnhealthyAsync(workers, syncer, failure, cancellationToken);
        node.RuntimeReadinessChanged += workers.SignalAll;

        await node.RegisterAsync(cancellationToken).ConfigureAwait(false);
        var nodeLoop = node.RunAsync(cancellationToken);

        await using var informers = new SharedInformerFactory(new KubernetesListWatchFactory(client), _time, loggers);
        var pods = informers.GetInformer<V1Pod>(fieldSelector: $"spec.nodeName={options.NodeName}");
        pods.AddEventHandler(new ResourceEventHandlerFuncs<V1Pod>
        {
            AddFunc = pod =>
            {
                starts.Seen(pod);
                probes.PodUpdated(pod);
                workers.Update(pod);
            },
            UpdateFunc = (old, pod) =>
            {
                probes.PodUpdated(pod);
                workers.Update(old, pod);
            },
            DeleteFunc = (pod, _) => workers.Deleted(pod),
        });
        informers.Start(cancellationToken);
        if (!await informers.WaitForCacheSyncAsync(cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        var serving = ServeAsync(workers, cri, nodeIp, host, starts, cancellationToken);
        Log.Started(_logger, options.NodeName, nodeIp, options.ContainerRuntimeEndpoint);
        _started.TrySetResult();
        var relist = relister.RunAsync(options.RelistPeriod, workers.RuntimeChanged, _ => workers.SignalAll(), cancellationToken);
        var orphans = CleanUpOrphansAsync(relister, workers, pods, syncer, cancellationToken);
        try
        {
            await Task.WhenAll(nodeLoop, relist, orphans, serving).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <summary>
    /// The kubelet's HTTPS server (logs, exec, attach, metrics) on <see cref="KubeletOptions.Port"/>, with a serving
    /// certificate from the cluster CA through a CSR (self-signed when none comes in time), accepting clients whose
    /// certificates the cluster CA issued, authorized by SubjectAccessReview. Runs until the kubelet stops.
    /// </summary>
    private async Task ServeAsync(PodWorkers workers, CriClient cri, string nodeIp, HostInfo host, PodStartTracker starts, CancellationToken cancellationToken)
    {
        if (options.Port == 0 || options.ClientCa is null)
        {
            return;
        }

        var certificate = await Server.ServingCertificate.LoadOrRequestAsync(
            new Server.ServingCertificate.KubernetesCsrClient(client),
            options.NodeName,
            [System.Net.IPAddress.Parse(nodeIp)],
            [.. new[] { options.NodeName, host.Hostname }.Distinct(StringComparer.Ordinal)],
            Path.Combine(options.RootDir, "pki"),
            options.ServingCertificateWait,
            _time,
            loggers.CreateLogger("kubelet.certificate"),
            cancellationToken).ConfigureAwait(false);
        await using var server = new Server.KubeletServer(
            new Server.KubeletServerOptions(options.NodeName, System.Net.IPAddress.Parse(options.Address), options.Port),
            workers,
            cri,
            certificate,
            options.ClientCa,
            new Server.SubjectAccessReviewAuthorizer(client, _time),
            loggers,
            _time,
            starts.Registry);
        await server.StartAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await server.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>A liveness or startup probe failed past its threshold: kill the container; the next sync restarts it per policy.</summary>
    private async Task OnUnhealthyAsync(PodWorkers workers, PodSyncer syncer, ProbeFailure failure, CancellationToken cancellationToken)
    {
        var pod = workers.Pods.FirstOrDefault(p => p.Metadata.Uid == failure.PodUid);
        if (pod is null)
        {
            return;
        }

        var runtime = await PodRuntimeStatus.ReadAsync(Cri!, failure.PodUid, cancellationToken).ConfigureAwait(false);
        var instance = runtime.Containers.FirstOrDefault(c => c.Id == failure.ContainerId);
        var spec = (pod.Spec.Containers ?? []).FirstOrDefault(c => c.Name == failure.ContainerName);
        if (instance is null || spec is null)
        {
            return;
        }

        await syncer.KillContainerAsync(pod, spec, instance, failure.GracePeriod, failure.Message, cancellationToken).ConfigureAwait(false);
        workers.Signal(failure.PodUid);
    }

    /// <summary>Pods the runtime has but the API server no longer binds here (deleted while the kubelet was away): stopped and removed.</summary>
    private async Task CleanUpOrphansAsync(Relister relister, PodWorkers workers, SharedIndexInformer<V1Pod> pods, PodSyncer syncer, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(10), _time);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            var known = pods.Indexer.List().Select(p => p.Metadata.Uid).Concat(workers.Known).ToHashSet(StringComparer.Ordinal);
            foreach (var uid in relister.RuntimePods.Where(u => !known.Contains(u)))
            {
                try
                {
                    var runtime = await PodRuntimeStatus.ReadAsync(Cri!, uid, cancellationToken).ConfigureAwait(false);
                    foreach (var container in runtime.Containers.Where(c => c.Running))
                    {
                        await Cri!.StopContainerAsync(container.Id, TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
                    }

                    await syncer.CleanUpAsync(uid, cancellationToken).ConfigureAwait(false);
                    Log.Orphan(_logger, uid);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    Log.OrphanFailed(_logger, uid, e);
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_run is not null)
        {
            try
            {
                await _run.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopped.
            }
        }

        _stop.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "kubelet started: node {Node} at {Address}, runtime {Socket}")]
        public static partial void Started(ILogger logger, string node, string address, string socket);

        [LoggerMessage(Level = LogLevel.Information, Message = "removed orphaned pod {Uid} from the runtime")]
        public static partial void Orphan(ILogger logger, string uid);

        [LoggerMessage(Level = LogLevel.Warning, Message = "could not remove orphaned pod {Uid}")]
        public static partial void OrphanFailed(ILogger logger, string uid, Exception e);
    }
}
