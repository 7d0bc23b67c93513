using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace Kubesharp.Kubelet.Pods;

/// <summary>The moments of a pod's start that the kubelet records, in the order they normally happen.</summary>
public enum PodStartStep
{
    /// <summary>The pods informer delivered the pod (the origin of every other step).</summary>
    Seen,

    /// <summary>Its worker began its first sync.</summary>
    FirstSync,

    /// <summary><c>RunPodSandbox</c> returned (the sandbox and its network are up).</summary>
    SandboxCreated,

    /// <summary>The sandbox's status (its IP) was read and <c>/etc/hosts</c> written.</summary>
    SandboxReady,

    /// <summary>The first container's image was found (or pulled).</summary>
    ImageReady,

    /// <summary><c>CreateContainer</c> returned for the first container.</summary>
    ContainerCreated,

    /// <summary><c>StartContainer</c> returned for the first container.</summary>
    ContainerStarted,

    /// <summary>The runtime was read back to build the status.</summary>
    StatusBuilt,

    /// <summary>A status with phase Running and Ready True was written to the API server.</summary>
    StatusWritten,
}

/// <summary>
/// Where a pod's start-up time goes inside the kubelet: the time of each <see cref="PodStartStep"/> from the moment
/// the informer delivered the pod until a Running and Ready status is written. Each finished start is observed in
/// upstream's <c>kubelet_pod_start_duration_seconds</c> and in <c>kubesharp_kubelet_pod_start_step_seconds{step}</c>
/// (the time from Seen to each step), and logged as one <c>pod-start</c> line of <c>step=milliseconds</c> pairs that
/// the benchmark reads. Sync durations go to upstream's <c>kubelet_pod_worker_duration_seconds{operation}</c> and CRI
/// calls to <c>kubelet_runtime_operations_duration_seconds{operation_type}</c>. Only pods first seen without a
/// running container are traced (an adopted pod has no start to measure). Thread-safe.
/// </summary>
public sealed partial class PodStartTracker
{
    private static readonly double[] StartBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 4, 5, 6, 8, 10, 20, 30, 45, 60, 120, 180, 240, 300, 600];
    private static readonly double[] OperationBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
    private static readonly PodStartStep[] Steps = Enum.GetValues<PodStartStep>();

    private readonly ConcurrentDictionary<string, Trace> _pods = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Histogram _startDuration;
    private readonly Histogram _steps;
    private readonly Histogram _workerDuration;
    private readonly Histogram _runtimeOperations;

    public PodStartTracker(TimeProvider time, ILogger logger)
    {
        _time = time;
        _logger = logger;
        Registry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(Registry);
        _startDuration = factory.CreateHistogram(
            "kubelet_pod_start_duration_seconds",
            "Duration in seconds from kubelet seeing a pod for the first time to the pod starting to run",
            new HistogramConfiguration { Buckets = StartBuckets });
        _steps = factory.CreateHistogram(
            "kubesharp_kubelet_pod_start_step_seconds",
            "Duration in seconds from kubelet seeing a pod for the first time to each step of its start",
            new HistogramConfiguration { Buckets = StartBuckets, LabelNames = ["step"] });
        _workerDuration = factory.CreateHistogram(
            "kubelet_pod_worker_duration_seconds",
            "Duration in seconds to sync a single pod. Broken down by operation type: create, update, or sync",
            new HistogramConfiguration { Buckets = OperationBuckets, LabelNames = ["operation"] });
        _runtimeOperations = factory.CreateHistogram(
            "kubelet_runtime_operations_duration_seconds",
            "Duration in seconds of runtime operations. Broken down by operation type.",
            new HistogramConfiguration { Buckets = OperationBuckets, LabelNames = ["operation_type"] });
    }

    /// <summary>The registry of these metrics (the kubelet server's <c>/metrics</c> serves it).</summary>
    public CollectorRegistry Registry { get; }

    /// <summary>Pods whose start is being traced.</summary>
    public int Tracing => _pods.Count;

    /// <summary>The informer delivered <paramref name="pod"/>: start its trace unless it has one or already runs.</summary>
    public void Seen(V1Pod pod)
    {
        if (pod.Metadata.DeletionTimestamp is not null || pod.Status?.Phase is "Running" or "Succeeded" or "Failed")
        {
            return;
        }

        _pods.TryAdd(pod.Metadata.Uid, new Trace(_time.GetTimestamp()));
    }

    /// <summary>Records <paramref name="step"/> for the pod, the first time only; nothing when it is not traced.</summary>
    public void Mark(string uid, PodStartStep step)
    {
        if (_pods.TryGetValue(uid, out var trace))
        {
            Interlocked.CompareExchange(ref trace.At[(int)step], _time.GetTimestamp(), 0);
        }
    }

    /// <summary>
    /// A status was written for the pod: when it is Running and Ready, the start is over; its trace is observed, logged
    /// and dropped.
    /// </summary>
    public void StatusWritten(V1Pod pod, V1PodStatus status)
    {
        var uid = pod.Metadata.Uid;
        if (!IsStarted(status) || !_pods.TryRemove(uid, out var trace))
        {
            return;
        }

        trace.At[(int)PodStartStep.StatusWritten] = _time.GetTimestamp();
        var line = new StringBuilder();
        foreach (var step in Steps.Skip(1))
        {
            var at = trace.At[(int)step];
            if (at == 0)
            {
                continue;
            }

            var elapsed = _time.GetElapsedTime(trace.At[0], at);
            _steps.WithLabels(Name(step)).Observe(elapsed.TotalSeconds);
            line.Append(CultureInfo.InvariantCulture, $" {Name(step)}={elapsed.TotalMilliseconds:0}");
        }

        _startDuration.Observe(_time.GetElapsedTime(trace.At[0], trace.At[(int)PodStartStep.StatusWritten]).TotalSeconds);
        var steps = line.ToString();
        Log.PodStarted(_logger, pod.Metadata.NamespaceProperty, pod.Metadata.Name, steps);
    }

    /// <summary>The pod is gone: stop tracing it.</summary>
    public void Forget(string uid) => _pods.TryRemove(uid, out _);

    /// <summary>One sync of a pod took <paramref name="took"/>; <paramref name="operation"/> is create (its first), update or sync.</summary>
    public void SyncDone(string operation, TimeSpan took) => _workerDuration.WithLabels(operation).Observe(took.TotalSeconds);

    /// <summary>One CRI call (its gRPC method name, e.g. <c>RunPodSandbox</c>) took <paramref name="took"/>.</summary>
    public void RuntimeOperation(string method, TimeSpan took) => _runtimeOperations.WithLabels(SnakeCase(method)).Observe(took.TotalSeconds);

    /// <summary>Running with the Ready condition True: what upstream's SLO and the benchmark call started.</summary>
    public static bool IsStarted(V1PodStatus status) =>
        status.Phase == "Running" && status.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;

    /// <summary>The step's name in the log line and the metric label: <c>sandbox_created</c>.</summary>
    public static string Name(PodStartStep step) => SnakeCase(step.ToString());

    /// <summary><c>RunPodSandbox</c> to <c>run_pod_sandbox</c>.</summary>
    public static string SnakeCase(string name)
    {
        var text = new StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
            {
                text.Append('_');
            }

            text.Append(char.ToLowerInvariant(name[i]));
        }

        return text.ToString();
    }

    private sealed class Trace(long seen)
    {
        public readonly long[] At = NewSteps(seen);

        private static long[] NewSteps(long seen)
        {
            var at = new long[Steps.Length];
            at[0] = seen;
            return at;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "pod-start {Namespace}/{Name}:{Steps}")]
        public static partial void PodStarted(ILogger logger, string @namespace, string name, string steps);
    }
}
