using Prometheus;

namespace Kubesharp.Kubelet.Server;

/// <summary>
/// The kubelet's <c>/metrics</c>, in a registry of its own (so that several kubelets in one process, as in tests, do
/// not share values): upstream's <c>kubelet_running_pods</c> and <c>kubelet_running_containers</c> gauges, read from
/// the container locator when scraped, and <c>kubelet_http_requests_total</c>; and, as upstream serves Go's runtime and
/// process metrics, the process's (<c>process_*</c>) and the .NET runtime's (<c>dotnet_*</c>: collections, and the GC
/// heap's size, committed memory and fragmentation as of the last collection).
/// </summary>
internal sealed class KubeletMetrics
{
    private readonly IContainerLocator _locator;
    private readonly Gauge _runningPods;
    private readonly Gauge _runningContainers;
    private readonly Counter _requests;
    private readonly Gauge _gcHeap;

    /// <param name="registry">The registry to add these metrics to (with the kubelet's others); null for a new one.</param>
    public KubeletMetrics(IContainerLocator locator, CollectorRegistry? registry = null)
    {
        _locator = locator;
        Registry = registry ?? Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(Registry);
        _runningPods = factory.CreateGauge("kubelet_running_pods", "Number of pods that have a running pod sandbox");
        _runningContainers = factory.CreateGauge("kubelet_running_containers", "Number of containers currently running", "container_state");
        _requests = factory.CreateCounter("kubelet_http_requests_total", "Number of the http requests received since the server started", "method", "path", "server_type", "long_running");
        _gcHeap = factory.CreateGauge("dotnet_gc_memory_bytes", "The GC heap as of the last collection: its size, the memory it has committed, and the free space in it", "kind");
        DotNetStats.Register(Registry);
        Registry.AddBeforeCollectCallback(Refresh);
    }

    public CollectorRegistry Registry { get; }

    public void Request(string method, string path, bool longRunning) =>
        _requests.WithLabels(method, path, "readwrite", longRunning ? "true" : "false").Inc();

    private void Refresh()
    {
        var pods = _locator.Pods;
        _runningPods.Set(pods.Count(p => p.Status?.Phase == "Running"));
        var running = pods.Sum(p => p.Status?.ContainerStatuses?.Count(c => c.State?.Running is not null) ?? 0);
        _runningContainers.WithLabels("running").Set(running);
        var gc = GC.GetGCMemoryInfo();
        _gcHeap.WithLabels("heap_size").Set(gc.HeapSizeBytes);
        _gcHeap.WithLabels("committed").Set(gc.TotalCommittedBytes);
        _gcHeap.WithLabels("fragmented").Set(gc.FragmentedBytes);
    }
}
