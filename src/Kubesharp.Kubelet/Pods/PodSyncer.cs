using System.Globalization;
using Grpc.Core;
using k8s.Models;
using Kubesharp.Api;
using Kubesharp.Client.Events;
using Kubesharp.Kubelet.Cri;
using Kubesharp.Kubelet.Cri.V1;
using Kubesharp.Kubelet.Env;
using Kubesharp.Kubelet.Lifecycle;
using Kubesharp.Kubelet.Probes;
using Kubesharp.Kubelet.Volumes;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Kubelet.Pods;

/// <summary>What one sync of a pod found and did.</summary>
/// <param name="Status">The pod status to report.</param>
/// <param name="RequeueAfter">When to sync again at the latest (a back-off ending, a retry).</param>
/// <param name="Terminated">Every container and the sandbox are stopped (the pod is being deleted or finished).</param>
/// <param name="Runtime">The pod as the runtime had it when the status was generated.</param>
/// <param name="Settled">
/// <paramref name="Runtime"/> holds nothing the sync did not act on (<see cref="PodRuntimeStatus.SettledSince"/>): a
/// relist that reports the pod in exactly that state needs no new sync.
/// </param>
public sealed record SyncResult(V1PodStatus Status, TimeSpan? RequeueAfter, bool Terminated, PodRuntimeStatus Runtime, bool Settled = false);

/// <summary>The services one sync of a pod uses.</summary>
public sealed record PodSyncContext(
    CriClient Cri,
    KubeletOptions Options,
    KubeletPaths Paths,
    SandboxConfigBuilder Sandboxes,
    ImagePuller Images,
    VolumeManager Volumes,
    EnvResolver Env,
    ProbeManager Probes,
    LifecycleHooks Hooks,
    IEventRecorder Events,
    Backoff CrashBackoff,
    Func<IReadOnlyDictionary<string, ResourceQuantity>> Allocatable,
    long NodeMemoryBytes,
    string NodeIp,
    TimeProvider Time,
    ILogger Logger,
    PodStartTracker? Starts = null);

/// <summary>
/// Brings one pod's containers to what its spec asks (upstream's <c>kuberuntime_manager.go</c> <c>SyncPod</c> and
/// <c>computePodActions</c>): a sandbox, then the init containers one at a time in order, then every app container;
/// restarts per <c>restartPolicy</c> with the CrashLoopBackOff back-off; kills containers whose liveness failed or whose
/// spec changed; stops everything when the pod is deleted or finished. Each sync reads the runtime afresh, so it is
/// level-based: a restarted kubelet finds the containers it started by their labels and adopts them. Within a sync
/// the runtime is read once more only for what the sync changed: the new sandbox's status comes from its creation,
/// and the containers are read back only when the sync started or removed some.
/// </summary>
public sealed partial class PodSyncer(PodSyncContext c) : IDisposable
{
    /// <summary>Upstream's minimum grace period when a preStop hook used up the pod's (<c>minimumGracePeriodInSeconds</c>).</summary>
    private static readonly TimeSpan MinimumGrace = TimeSpan.FromSeconds(2);

    /// <summary>Slots for the heavy runtime calls (<see cref="KubeletOptions.ParallelRuntimeStarts"/>), shared by every pod.</summary>
    private readonly SemaphoreSlim _runtimeStarts = new(Math.Max(1, c.Options.ParallelRuntimeStarts));

    public void Dispose() => _runtimeStarts.Dispose();

    /// <summary>Runs <paramref name="call"/> in one of the runtime start slots.</summary>
    private async Task<T> InSlotAsync<T>(Func<Task<T>> call, CancellationToken cancellationToken)
    {
        await _runtimeStarts.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await call().ConfigureAwait(false);
        }
        finally
        {
            _runtimeStarts.Release();
        }
    }

    public async Task<SyncResult> SyncAsync(V1Pod pod, bool podTerminal, CancellationToken cancellationToken)
    {
        var uid = pod.Metadata.Uid;
        var runtime = await PodRuntimeStatus.ReadAsync(c.Cri, uid, cancellationToken).ConfigureAwait(false);
        var waiting = new Dictionary<string, ContainerWaiting>(StringComparer.Ordinal);
        if (pod.Metadata.DeletionTimestamp is not null || podTerminal)
        {
            await KillPodAsync(pod, runtime, GracePeriod(pod), cancellationToken).ConfigureAwait(false);
            runtime = await PodRuntimeStatus.ReadAsync(c.Cri, uid, cancellationToken).ConfigureAwait(false);

            // A terminal phase is final, as upstream's status manager keeps it: the runtime may have lost the pod's
            // containers since (a containerd whose state was wiped, garbage collection), and a status rebuilt from
            // nothing would turn a Succeeded pod into a Failed one waiting in ContainerCreating.
            var kept = pod.Status is { Phase: "Succeeded" or "Failed" } final ? final : Status(pod, runtime, waiting, terminating: true);
            return new SyncResult(kept, null, Terminated: true, runtime);
        }

        TimeSpan? requeue = null;
        void RequeueAt(TimeSpan after) => requeue = requeue is null || after < requeue ? after : requeue;

        PodVolumes volumes;
        try
        {
            volumes = await c.Volumes.SetUpAsync(pod, cancellationToken).ConfigureAwait(false);
        }
        catch (VolumeSetupException e)
        {
            c.Events.Event(pod, EventTypes.Warning, VolumeSetupException.Reason, e.Message);
            RequeueAt(TimeSpan.FromSeconds(2));
            return new SyncResult(Status(pod, runtime, waiting, terminating: false), requeue, Terminated: false, runtime);
        }

        var policy = pod.Spec.RestartPolicy ?? "Always";
        var sandbox = runtime.LatestSandbox;
        if (sandbox is null || sandbox.State != PodSandboxState.SandboxReady)
        {
            if (sandbox is not null && policy == "Never" && runtime.Containers.Count > 0)
            {
                // The sandbox died after the containers ran; a pod that never restarts is done.
                await KillPodAsync(pod, runtime, GracePeriod(pod), cancellationToken).ConfigureAwait(false);
                return new SyncResult(Status(pod, runtime, waiting, terminating: true), null, Terminated: true, runtime);
            }

            var created = await CreateSandboxAsync(pod, runtime, cancellationToken).ConfigureAwait(false);
            if (created is null)
            {
                RequeueAt(TimeSpan.FromSeconds(5));
                return new SyncResult(Status(pod, runtime, waiting, terminating: false), requeue, Terminated: false, runtime);
            }

            // A first sandbox changes nothing else in the pod: its status is the one read at its creation. Replacing
            // a sandbox killed the containers of the old one, so those are read again.
            runtime = sandbox is null
                ? runtime with { Sandboxes = [created, .. runtime.Sandboxes] }
                : await PodRuntimeStatus.ReadAsync(c.Cri, uid, cancellationToken).ConfigureAwait(false);
            sandbox = runtime.LatestSandbox!;
        }

        var acted = runtime;

        var sandboxConfig = c.Sandboxes.Build(pod, sandbox.Metadata.Attempt, out _);
        var podIp = runtime.PodIp ?? (pod.Spec.HostNetwork == true ? c.NodeIp : null);
        var start = new StartContext(pod, sandbox.Id, sandboxConfig, podIp, volumes);
        c.Starts?.Mark(uid, PodStartStep.SandboxReady);

        var initDone = true;
        foreach (var init in pod.Spec.InitContainers ?? [])
        {
            var latest = runtime.Latest(init.Name);
            if (latest is { Exited: true, Status.ExitCode: 0 })
            {
                continue;
            }

            initDone = false;
            if (latest is null)
            {
                await StartContainerAsync(start, init, 0, waiting, cancellationToken).ConfigureAwait(false);
            }
            else if (latest.Exited && policy != "Never")
            {
                await RestartWithBackoffAsync(start, init, latest, runtime, waiting, RequeueAt, cancellationToken).ConfigureAwait(false);
            }
            else if (latest.State == ContainerState.ContainerCreated)
            {
                await RemoveQuietlyAsync(latest.Id, cancellationToken).ConfigureAwait(false);
                await StartContainerAsync(start, init, latest.RestartCount, waiting, cancellationToken).ConfigureAwait(false);
            }

            break;
        }

        if (initDone)
        {
            foreach (var container in pod.Spec.Containers ?? [])
            {
                var latest = runtime.Latest(container.Name);
                if (latest is null)
                {
                    await StartContainerAsync(start, container, 0, waiting, cancellationToken).ConfigureAwait(false);
                }
                else if (latest.Running)
                {
                    if (latest.Hash is { } hash && hash != ContainerConfigBuilder.Hash(container))
                    {
                        await KillContainerAsync(pod, container, latest, GracePeriod(pod), $"Container {container.Name} definition changed, will be restarted", cancellationToken).ConfigureAwait(false);
                        await StartContainerAsync(start, container, latest.RestartCount + 1, waiting, cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        c.Probes.ContainerStarted(pod, container.Name, latest.Id, latest.StartedAt, podIp);
                    }
                }
                else if (latest.State == ContainerState.ContainerCreated)
                {
                    await RemoveQuietlyAsync(latest.Id, cancellationToken).ConfigureAwait(false);
                    await StartContainerAsync(start, container, latest.RestartCount, waiting, cancellationToken).ConfigureAwait(false);
                }
                else if (latest.Exited && (policy == "Always" || (policy == "OnFailure" && latest.Status.ExitCode != 0)))
                {
                    await RestartWithBackoffAsync(start, container, latest, runtime, waiting, RequeueAt, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        if (start.Changed)
        {
            // The sandboxes are as the sync found or made them; only the containers it started or removed changed.
            runtime = runtime with { Containers = await PodRuntimeStatus.ReadContainersAsync(c.Cri, uid, cancellationToken).ConfigureAwait(false) };
            c.Starts?.Mark(uid, PodStartStep.StatusBuilt);
        }

        if (waiting.Values.Any(w => w.Reason is "ErrImagePull" or "ImagePullBackOff" or "CreateContainerConfigError" or "CreateContainerError" or "RunContainerError"))
        {
            RequeueAt(TimeSpan.FromSeconds(2));
        }

        var status = Status(pod, runtime, waiting, terminating: false);
        if (status.Phase is "Succeeded" or "Failed")
        {
            // Nothing will run again: stop the sandbox (upstream kills a pod that reached a terminal phase).
            await KillPodAsync(pod, runtime, GracePeriod(pod), cancellationToken).ConfigureAwait(false);
            return new SyncResult(status, null, Terminated: true, runtime);
        }

        return new SyncResult(status, requeue, Terminated: false, runtime, runtime.SettledSince(acted));
    }

    private V1PodStatus Status(V1Pod pod, PodRuntimeStatus runtime, IReadOnlyDictionary<string, ContainerWaiting> waiting, bool terminating) =>
        PodStatusBuilder.Build(
            pod,
            runtime,
            waiting,
            (name, id) => c.Probes.IsReady(pod.Metadata.Uid, name, id),
            (name, id) => c.Probes.IsStarted(pod.Metadata.Uid, name, id),
            c.NodeIp,
            c.Time.GetUtcNow(),
            terminating);

    /// <summary>The grace period of a kill: the deletion's, else the spec's (default 30 s).</summary>
    public static TimeSpan GracePeriod(V1Pod pod) =>
        TimeSpan.FromSeconds(pod.Metadata.DeletionGracePeriodSeconds ?? pod.Spec.TerminationGracePeriodSeconds ?? 30);

    private sealed record StartContext(V1Pod Pod, string SandboxId, PodSandboxConfig SandboxConfig, string? PodIp, PodVolumes Volumes)
    {
        /// <summary>The sync started, removed or killed a container: the containers must be read back.</summary>
        public bool Changed { get; set; }
    }

    /// <summary>Creates the pod's sandbox (after killing the old one); its status, or null when the runtime refused.</summary>
    private async Task<PodSandboxStatus?> CreateSandboxAsync(V1Pod pod, PodRuntimeStatus runtime, CancellationToken cancellationToken)
    {
        var old = runtime.LatestSandbox;
        uint attempt = 0;
        if (old is not null)
        {
            c.Events.Event(pod, EventTypes.Normal, "SandboxChanged", "Pod sandbox changed, it will be killed and re-created.");
            await KillPodAsync(pod, runtime, GracePeriod(pod), cancellationToken).ConfigureAwait(false);
            attempt = runtime.Sandboxes.Max(s => s.Metadata.Attempt) + 1;
        }

        var config = c.Sandboxes.Build(pod, attempt, out var dnsWarning);
        if (dnsWarning is not null)
        {
            c.Events.Event(pod, EventTypes.Warning, "MissingClusterDNS", dnsWarning);
        }

        Directory.CreateDirectory(config.LogDirectory);
        try
        {
            var id = await InSlotAsync(() => c.Cri.RunPodSandboxAsync(config, cancellationToken), cancellationToken).ConfigureAwait(false);
            c.Starts?.Mark(pod.Metadata.Uid, PodStartStep.SandboxCreated);
            var status = await c.Cri.PodSandboxStatusAsync(id, cancellationToken).ConfigureAwait(false);
            WriteEtcHosts(pod, status.Network?.Ip);
            return status;
        }
        catch (RpcException e) when (!CriClient.IsUnavailable(e))
        {
            c.Events.Event(pod, EventTypes.Warning, "FailedCreatePodSandBox", $"Failed to create pod sandbox: {e.Status.Detail}");
            Log.SandboxFailed(c.Logger, pod.Metadata.NamespaceProperty, pod.Metadata.Name, e.Status.Detail);
            return null;
        }
    }

    /// <summary>The pod's <c>/etc/hosts</c> as upstream's kubelet writes it (for pods not on the host network).</summary>
    private void WriteEtcHosts(V1Pod pod, string? podIp)
    {
        if (pod.Spec.HostNetwork == true)
        {
            return;
        }

        var path = c.Paths.EtcHostsPath(pod.Metadata.Uid);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var text = new System.Text.StringBuilder()
            .Append("# Kubernetes-managed hosts file.\n")
            .Append("127.0.0.1\tlocalhost\n")
            .Append("::1\tlocalhost ip6-localhost ip6-loopback\n")
            .Append("fe00::0\tip6-localnet\n")
            .Append("fe00::0\tip6-mcastprefix\n")
            .Append("fe00::1\tip6-allnodes\n")
            .Append("fe00::2\tip6-allrouters\n");
        if (!string.IsNullOrEmpty(podIp))
        {
            var hostname = SandboxConfigBuilder.Hostname(pod);
            text.Append(CultureInfo.InvariantCulture, $"{podIp}\t{(string.IsNullOrEmpty(pod.Spec.Subdomain) ? hostname : $"{hostname}.{pod.Spec.Subdomain}.{pod.Metadata.NamespaceProperty}.svc.{c.Options.ClusterDomain}\t{hostname}")}\n");
        }

        foreach (var alias in pod.Spec.HostAliases ?? [])
        {
            text.Append(CultureInfo.InvariantCulture, $"\n# Entries added by HostAliases.\n{alias.Ip}\t{string.Join("\t", alias.Hostnames ?? [])}\n");
        }

        File.WriteAllText(path, text.ToString());
    }

    private async Task RestartWithBackoffAsync(StartContext start, V1Container container, ContainerInstance latest, PodRuntimeStatus runtime, Dictionary<string, ContainerWaiting> waiting, Action<TimeSpan> requeueAt, CancellationToken cancellationToken)
    {
        var pod = start.Pod;
        var key = $"{pod.Metadata.Uid}/{container.Name}/{ContainerConfigBuilder.Hash(container)}";
        if (c.CrashBackoff.IsInBackOffSince(key, latest.FinishedAt))
        {
            var delay = c.CrashBackoff.Get(key);
            var who = PodFormat.Describe(pod);
            waiting[container.Name] = new ContainerWaiting("CrashLoopBackOff", $"back-off {GoDuration.Format(delay.Ticks * 100)} restarting failed container={container.Name} pod={who}");
            c.Events.Event(pod, EventTypes.Warning, "BackOff", $"Back-off restarting failed container {container.Name} in pod {who}");
            if (c.CrashBackoff.Until(key, latest.FinishedAt) is { } until)
            {
                requeueAt(until - c.Time.GetUtcNow() + TimeSpan.FromMilliseconds(50));
            }

            return;
        }

        c.CrashBackoff.Next(key);
        c.Probes.ContainerStopped(pod.Metadata.Uid, container.Name);
        await StartContainerAsync(start, container, latest.RestartCount + 1, waiting, cancellationToken).ConfigureAwait(false);

        // Keep the instance before the new one (for lastState and logs --previous); remove older ones.
        foreach (var old in runtime.Instances(container.Name).Skip(1))
        {
            await RemoveQuietlyAsync(old.Id, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task StartContainerAsync(StartContext start, V1Container container, int restartCount, Dictionary<string, ContainerWaiting> waiting, CancellationToken cancellationToken)
    {
        var pod = start.Pod;
        start.Changed = true;
        try
        {
            await c.Images.EnsureAsync(pod, container, start.SandboxConfig, cancellationToken).ConfigureAwait(false);
            c.Starts?.Mark(pod.Metadata.Uid, PodStartStep.ImageReady);
        }
        catch (ImagePullException e)
        {
            waiting[container.Name] = new ContainerWaiting(e.Reason, e.Message);
            return;
        }

        IReadOnlyList<KeyValue> env;
        List<Mount> mounts;
        try
        {
            env = await c.Env.ResolveAsync(pod, container, start.PodIp, c.NodeIp, c.Allocatable(), cancellationToken).ConfigureAwait(false);
            mounts = [.. c.Volumes.ContainerMounts(pod, container, start.Volumes, env)];
        }
        catch (ContainerConfigException e)
        {
            waiting[container.Name] = new ContainerWaiting(ContainerConfigException.Reason, e.Message);
            c.Events.Event(pod, EventTypes.Warning, "Failed", $"Error: {e.Message}");
            return;
        }

        var hosts = c.Paths.EtcHostsPath(pod.Metadata.Uid);
        if (pod.Spec.HostNetwork != true && File.Exists(hosts) && !mounts.Any(m => m.ContainerPath == "/etc/hosts"))
        {
            mounts.Add(new Mount { ContainerPath = "/etc/hosts", HostPath = hosts });
        }

        var terminationDir = c.Paths.ContainerDir(pod.Metadata.Uid, container.Name, restartCount);
        Directory.CreateDirectory(terminationDir);
        var terminationFile = Path.Combine(terminationDir, "termination-log");
        File.WriteAllBytes(terminationFile, []);
        File.SetUnixFileMode(terminationFile, (UnixFileMode)0b110_110_110);

        var config = ContainerConfigBuilder.Build(pod, container, restartCount, env, mounts, terminationFile, c.NodeMemoryBytes);
        string id;
        try
        {
            id = await InSlotAsync(() => c.Cri.CreateContainerAsync(start.SandboxId, config, start.SandboxConfig, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException e) when (!CriClient.IsUnavailable(e))
        {
            waiting[container.Name] = new ContainerWaiting("CreateContainerError", e.Status.Detail);
            c.Events.Event(pod, EventTypes.Warning, "Failed", $"Error: {e.Status.Detail}");
            return;
        }

        c.Starts?.Mark(pod.Metadata.Uid, PodStartStep.ContainerCreated);
        c.Events.Event(pod, EventTypes.Normal, "Created", $"Created container: {container.Name}");
        try
        {
            await InSlotAsync(
                async () =>
                {
                    await c.Cri.StartContainerAsync(id, cancellationToken).ConfigureAwait(false);
                    return true;
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException e) when (!CriClient.IsUnavailable(e))
        {
            // The runtime records the container as exited (reason StartError, exit code 128); the next sync restarts it per policy.
            waiting[container.Name] = new ContainerWaiting("RunContainerError", e.Status.Detail);
            c.Events.Event(pod, EventTypes.Warning, "Failed", $"Error: {e.Status.Detail}");
            return;
        }

        c.Starts?.Mark(pod.Metadata.Uid, PodStartStep.ContainerStarted);
        c.Events.Event(pod, EventTypes.Normal, "Started", $"Started container {container.Name}");
        c.Probes.ContainerStarted(pod, container.Name, id, c.Time.GetUtcNow(), start.PodIp);
        if (container.Lifecycle?.PostStart is { } postStart)
        {
            // The hook records FailedPostStartHook itself; the container is then killed and restarted per policy.
            var failure = await c.Hooks.RunPostStartAsync(pod, container.Name, id, postStart, start.PodIp, cancellationToken).ConfigureAwait(false);
            if (failure is not null)
            {
                var instance = new ContainerInstance(await c.Cri.ContainerStatusAsync(id, cancellationToken).ConfigureAwait(false));
                await KillContainerAsync(pod, container, instance, GracePeriod(pod), $"FailedPostStartHook", cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Kills one container: its preStop hook within the grace period, then SIGTERM, then SIGKILL when the rest of it ran out.</summary>
    public async Task KillContainerAsync(V1Pod pod, V1Container? spec, ContainerInstance instance, TimeSpan grace, string? message, CancellationToken cancellationToken)
    {
        if (!instance.Running && instance.State != ContainerState.ContainerCreated)
        {
            return;
        }

        c.Events.Event(pod, EventTypes.Normal, "Killing", message ?? $"Stopping container {instance.Name}");
        if (instance.Running && spec?.Lifecycle?.PreStop is { } preStop && grace > TimeSpan.Zero)
        {
            // The hook records FailedPreStopHook itself and never runs past the grace period.
            var took = await c.Hooks.RunPreStopAsync(pod, instance.Name, instance.Id, preStop, pod.Status?.PodIP, grace, cancellationToken).ConfigureAwait(false);
            var left = grace - took;
            grace = left < MinimumGrace ? MinimumGrace : left;
        }

        try
        {
            await c.Cri.StopContainerAsync(instance.Id, grace, cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            // Already gone.
        }

        c.Probes.ContainerStopped(pod.Metadata.Uid, instance.Name);
    }

    /// <summary>Kills every running container of the pod (in parallel, each with the grace period) and stops its sandboxes.</summary>
    public async Task KillPodAsync(V1Pod pod, PodRuntimeStatus runtime, TimeSpan grace, CancellationToken cancellationToken)
    {
        var specs = (pod.Spec.Containers ?? []).Concat(pod.Spec.InitContainers ?? []).ToDictionary(s => s.Name, StringComparer.Ordinal);
        var kills = runtime.Containers
            .Where(i => i.Running || i.State == ContainerState.ContainerCreated)
            .Select(i => KillContainerAsync(pod, specs.GetValueOrDefault(i.Name), i, grace, null, cancellationToken));
        await Task.WhenAll(kills).ConfigureAwait(false);
        foreach (var sandbox in runtime.Sandboxes.Where(s => s.State == PodSandboxState.SandboxReady))
        {
            try
            {
                await c.Cri.StopPodSandboxAsync(sandbox.Id, cancellationToken).ConfigureAwait(false);
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
            {
                // Already gone.
            }
        }
    }

    /// <summary>Removes what is left of a pod on this node: sandboxes (with their containers), volumes, and its directory.</summary>
    public async Task CleanUpAsync(string uid, CancellationToken cancellationToken)
    {
        var runtime = await PodRuntimeStatus.ReadAsync(c.Cri, uid, cancellationToken).ConfigureAwait(false);
        foreach (var container in runtime.Containers)
        {
            await RemoveQuietlyAsync(container.Id, cancellationToken).ConfigureAwait(false);
        }

        foreach (var sandbox in runtime.Sandboxes)
        {
            try
            {
                // A sandbox the kill already stopped is only removed: RemovePodSandbox stops what still runs (CRI), and
                // containerd 1.6 tears the network down on every StopPodSandbox, stopped or not (a CNI DEL: four
                // plugin executions), then once more in RemovePodSandbox.
                if (sandbox.State == PodSandboxState.SandboxReady)
                {
                    await c.Cri.StopPodSandboxAsync(sandbox.Id, cancellationToken).ConfigureAwait(false);
                }

                await c.Cri.RemovePodSandboxAsync(sandbox.Id, cancellationToken).ConfigureAwait(false);
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
            {
                // Already gone.
            }

            if (sandbox.Metadata is { } meta && Directory.Exists(c.Paths.PodLogsDir(meta.Namespace, meta.Name, meta.Uid)))
            {
                Directory.Delete(c.Paths.PodLogsDir(meta.Namespace, meta.Name, meta.Uid), recursive: true);
            }
        }

        await c.Volumes.TearDownAsync(uid, cancellationToken).ConfigureAwait(false);
        c.Probes.RemovePod(uid);
        c.CrashBackoff.ForgetPrefix(uid + "/");
        var dir = c.Paths.PodDir(uid);
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private async Task RemoveQuietlyAsync(string id, CancellationToken cancellationToken)
    {
        try
        {
            await c.Cri.RemoveContainerAsync(id, cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            // Already gone.
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "pod {Namespace}/{Name}: could not create its sandbox: {Detail}")]
        public static partial void SandboxFailed(ILogger logger, string @namespace, string name, string detail);
    }
}
