using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Kubesharp.Kubelet.Cri;
using Kubesharp.Kubelet.Server;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Kubelet.Pods;

/// <summary>
/// One worker per pod bound to the node (upstream's <c>pod_workers.go</c>): each runs its pod's syncs one at a time,
/// when the pod changed, when the runtime reported a change in its containers, when a probe result changed, when a
/// back-off ends, and at least every <see cref="KubeletOptions.SyncFrequency"/>. It writes the pod status when it
/// changed and, once a deleted pod's containers are stopped, confirms the deletion on the API server. As upstream's
/// pod config source does, an update that changes only the pod's status (the kubelet's own status write coming back
/// through the watch) does not cause a sync, and neither does a relist that found the pod exactly as the worker's
/// last sync left it.
/// </summary>
public sealed partial class PodWorkers(IKubernetes client, PodSyncer syncer, CriClient cri, KubeletOptions options, ILogger logger)
    : IContainerLocator, IAsyncDisposable
{
    private readonly IKubernetes _client = client;
    private readonly PodSyncer _syncer = syncer;
    private readonly CriClient _cri = cri;
    private readonly KubeletOptions _options = options;
    private readonly ILogger _logger = logger;
    private readonly ConcurrentDictionary<string, Worker> _workers = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();

    /// <summary>Syncs completed (for tests and metrics).</summary>
    public long Syncs => Interlocked.Read(ref _syncs);

    private long _syncs;

    /// <summary>Traces pod starts and times syncs, when set.</summary>
    public PodStartTracker? Starts { get; init; }

    /// <summary>Whether the pod's runtime state should be trusted for syncs (false while the runtime is down).</summary>
    public Func<bool> RuntimeUp { get; set; } = () => true;

    public IReadOnlyList<V1Pod> Pods => [.. _workers.Values.Select(w => w.Pod)];

    /// <summary>The pod uids that have a worker.</summary>
    public IReadOnlyCollection<string> Known => [.. _workers.Keys];

    /// <summary>A pod was added or changed: start its worker or hand it the new version.</summary>
    public void Update(V1Pod pod)
    {
        var uid = pod.Metadata.Uid;
        var worker = _workers.GetOrAdd(uid, _ => new Worker(this, pod));
        worker.Pod = pod;
        worker.Signal();
    }

    /// <summary>
    /// The informer's update from <paramref name="old"/> to <paramref name="pod"/>: the worker gets the new version, and
    /// syncs only when <see cref="NeedsSync"/>.
    /// </summary>
    public void Update(V1Pod old, V1Pod pod)
    {
        if (!_workers.TryGetValue(pod.Metadata.Uid, out var worker) || NeedsSync(old, pod))
        {
            Update(pod);
            return;
        }

        worker.Pod = pod;
    }

    /// <summary>The kubelet-owned conditions: a change in another (a readiness gate's) needs a sync.</summary>
    private static readonly HashSet<string> OwnConditions = new(["PodScheduled", "PodReadyToStartContainers", "Initialized", "ContainersReady", "Ready"], StringComparer.Ordinal);

    /// <summary>
    /// Whether an update needs a sync (upstream's <c>checkAndUpdatePod</c>): the spec, the labels, the annotations or the
    /// deletion changed, a condition the kubelet does not own changed (a readiness gate), or the phase became terminal.
    /// An update of the status the kubelet itself wrote does not.
    /// </summary>
    public static bool NeedsSync(V1Pod old, V1Pod pod)
    {
        if (old.Metadata.Uid != pod.Metadata.Uid
            || old.Metadata.DeletionTimestamp != pod.Metadata.DeletionTimestamp
            || old.Metadata.DeletionGracePeriodSeconds != pod.Metadata.DeletionGracePeriodSeconds
            || !SameMap(old.Metadata.Labels, pod.Metadata.Labels)
            || !SameMap(old.Metadata.Annotations, pod.Metadata.Annotations)
            || (old.Status?.Phase != pod.Status?.Phase && pod.Status?.Phase is "Succeeded" or "Failed")
            || ForeignConditions(old) != ForeignConditions(pod))
        {
            return true;
        }

        return KubernetesJson.Serialize(old.Spec) != KubernetesJson.Serialize(pod.Spec);
    }

    private static bool SameMap(IDictionary<string, string>? a, IDictionary<string, string>? b) =>
        (a?.Count ?? 0) == (b?.Count ?? 0) && (a is null || a.All(kv => b!.TryGetValue(kv.Key, out var v) && v == kv.Value));

    private static string ForeignConditions(V1Pod pod) =>
        string.Join(";", (pod.Status?.Conditions ?? []).Where(c => !OwnConditions.Contains(c.Type)).Select(c => $"{c.Type}={c.Status}").Order(StringComparer.Ordinal));

    /// <summary>The pod is gone from the API server (or was force-deleted): stop everything it had.</summary>
    public void Deleted(V1Pod pod)
    {
        Starts?.Forget(pod.Metadata.Uid);
        if (_workers.TryGetValue(pod.Metadata.Uid, out var worker))
        {
            worker.Removed = true;
            worker.Signal();
        }
    }

    /// <summary>Something about the pod changed in the runtime or its probes: sync it soon.</summary>
    public void Signal(string uid)
    {
        if (_workers.TryGetValue(uid, out var worker))
        {
            worker.Signal();
        }
    }

    /// <summary>
    /// The relist found the pod's runtime state changed, to <paramref name="fingerprint"/>: sync it unless its last sync
    /// already saw exactly that state and left nothing to act on.
    /// </summary>
    public void RuntimeChanged(string uid, string fingerprint)
    {
        if (_workers.TryGetValue(uid, out var worker) && worker.Settled != fingerprint)
        {
            worker.Signal();
        }
    }

    public void SignalAll()
    {
        foreach (var worker in _workers.Values)
        {
            worker.Signal();
        }
    }

    public ContainerLocation? Find(string ns, string podName, string container, bool previous)
    {
        var worker = _workers.Values.FirstOrDefault(w => w.Pod.Metadata.NamespaceProperty == ns && w.Pod.Metadata.Name == podName);
        var runtime = worker?.Runtime;
        if (runtime is null)
        {
            return null;
        }

        var instance = previous ? runtime.Previous(container) : runtime.Latest(container);
        return instance is null ? null : new ContainerLocation(instance.Id, instance.Status.LogPath, instance.Running);
    }

    private sealed class Worker
    {
        private readonly PodWorkers _owner;
        private readonly Channel<bool> _signal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
        private string? _lastStatus;
        private bool _terminal;

        public Worker(PodWorkers owner, V1Pod pod)
        {
            _owner = owner;
            Pod = pod;
            _lastStatus = pod.Status is null ? null : KubernetesJson.Serialize(pod.Status);
            Task = System.Threading.Tasks.Task.Run(() => RunAsync(owner._stop.Token));
        }

        public V1Pod Pod { get; set; }

        public volatile bool Removed;

        public PodRuntimeStatus? Runtime { get; private set; }

        /// <summary>The fingerprint of <see cref="Runtime"/> when the last sync settled the pod, else null.</summary>
        public volatile string? Settled;

        public Task Task { get; }

        public void Signal() => _signal.Writer.TryWrite(true);

        private async Task RunAsync(CancellationToken cancellationToken)
        {
            var o = _owner;
            var failures = 0;
            var first = true;
            while (!cancellationToken.IsCancellationRequested)
            {
                TimeSpan next = o._options.SyncFrequency;
                try
                {
                    var pod = Pod;
                    if (Removed)
                    {
                        await RemoveAsync(pod, cancellationToken).ConfigureAwait(false);
                        return;
                    }

                    if (!o.RuntimeUp())
                    {
                        next = TimeSpan.FromSeconds(1);
                    }
                    else
                    {
                        _terminal |= pod.Status?.Phase is "Succeeded" or "Failed";
                        o.Starts?.Mark(pod.Metadata.Uid, PodStartStep.FirstSync);
                        var started = Stopwatch.GetTimestamp();
                        var result = await o._syncer.SyncAsync(pod, _terminal, cancellationToken).ConfigureAwait(false);
                        o.Starts?.SyncDone(first ? "create" : "sync", Stopwatch.GetElapsedTime(started));
                        first = false;
                        Interlocked.Increment(ref o._syncs);
                        Runtime = result.Runtime;
                        Settled = result.Settled ? result.Runtime.Fingerprint : null;
                        _terminal |= result.Status.Phase is "Succeeded" or "Failed";
                        await WriteStatusAsync(pod, result.Status, cancellationToken).ConfigureAwait(false);
                        if (result.Terminated && pod.Metadata.DeletionTimestamp is not null)
                        {
                            await ConfirmDeletionAsync(pod, cancellationToken).ConfigureAwait(false);
                            next = TimeSpan.FromSeconds(5);
                        }
                        else if (result.RequeueAfter is { } after && after < next)
                        {
                            next = after < TimeSpan.Zero ? TimeSpan.Zero : after;
                        }
                    }

                    failures = 0;
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e)
                {
                    Settled = null;
                    failures++;
                    Log.SyncFailed(o._logger, Pod.Metadata.NamespaceProperty, Pod.Metadata.Name, e);
                    next = TimeSpan.FromMilliseconds(Math.Min(200 * Math.Pow(2, Math.Min(failures, 8)), 10_000));
                }

                using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                wait.CancelAfter(next);
                try
                {
                    await _signal.Reader.ReadAsync(wait.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    // Periodic sync.
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }

        private async Task WriteStatusAsync(V1Pod pod, V1PodStatus status, CancellationToken cancellationToken)
        {
            var json = KubernetesJson.Serialize(status);
            if (json == _lastStatus)
            {
                return;
            }

            var patch = KubernetesJson.Serialize(new V1Pod { Status = status });
            try
            {
                await _owner._client.CoreV1.PatchNamespacedPodStatusAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), pod.Metadata.Name, pod.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
                _lastStatus = json;
                _owner.Starts?.StatusWritten(pod, status);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                Removed = true;
                Signal();
            }
        }

        /// <summary>Every container is stopped: remove what is left and delete the pod object for good (grace 0, same uid).</summary>
        private async Task ConfirmDeletionAsync(V1Pod pod, CancellationToken cancellationToken)
        {
            await _owner._syncer.CleanUpAsync(pod.Metadata.Uid, cancellationToken).ConfigureAwait(false);
            try
            {
                await _owner._client.CoreV1.DeleteNamespacedPodAsync(
                    pod.Metadata.Name,
                    pod.Metadata.NamespaceProperty,
                    new V1DeleteOptions { GracePeriodSeconds = 0, Preconditions = new V1Preconditions { Uid = pod.Metadata.Uid } },
                    cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode is System.Net.HttpStatusCode.NotFound or System.Net.HttpStatusCode.Conflict)
            {
                // Already gone, or a different pod of that name now.
            }
        }

        private async Task RemoveAsync(V1Pod pod, CancellationToken cancellationToken)
        {
            var runtime = await PodRuntimeStatus.ReadAsync(_owner._cri, pod.Metadata.Uid, cancellationToken).ConfigureAwait(false);
            await _owner._syncer.KillPodAsync(pod, runtime, PodSyncer.GracePeriod(pod), cancellationToken).ConfigureAwait(false);
            await _owner._syncer.CleanUpAsync(pod.Metadata.Uid, cancellationToken).ConfigureAwait(false);
            _owner._workers.TryRemove(pod.Metadata.Uid, out _);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_workers.Values.Select(w => w.Task)).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }

        _stop.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "pod {Namespace}/{Name}: sync failed; retrying")]
        public static partial void SyncFailed(ILogger logger, string @namespace, string name, Exception e);
    }
}
