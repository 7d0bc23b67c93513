using Kubesharp.Api.Resources;
using Kubesharp.Storage;
using Prometheus;

namespace Kubesharp.ApiServer.Http;

/// <summary>
/// The API server's Prometheus metrics, with upstream's names and labels
/// (<c>staging/src/k8s.io/apiserver/pkg/endpoints/metrics</c>): requests by verb, group, version,
/// resource, subresource, scope and code, and their latency. Each server has its own registry, so that
/// several servers in one process (tests) do not share counters.
/// </summary>
internal sealed class ApiMetrics
{
    private static readonly string[] RequestLabels = ["verb", "group", "version", "resource", "subresource", "scope", "component", "code"];
    private static readonly string[] DurationLabels = ["verb", "group", "version", "resource", "subresource", "scope", "component"];

    private readonly Counter _requests;
    private readonly Histogram _duration;
    private readonly Gauge _inflight;
    private readonly Gauge _storageObjects;

    public ApiMetrics()
    {
        Registry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(Registry);
        _requests = factory.CreateCounter("apiserver_request_total", "Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.", RequestLabels);
        _duration = factory.CreateHistogram("apiserver_request_duration_seconds", "Response latency distribution in seconds for each verb, dry run value, group, version, resource, subresource, scope and component.", new HistogramConfiguration
        {
            LabelNames = DurationLabels,
            Buckets = [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60],
        });
        _inflight = factory.CreateGauge("apiserver_current_inflight_requests", "Maximal number of currently used inflight request limit of this apiserver per request kind in last second.", "request_kind");
        _storageObjects = factory.CreateGauge("apiserver_storage_objects", "Number of stored objects at the time of last check split by kind. In case of a fetching error, the value will be -1.", "resource");
    }

    /// <summary>
    /// Counts the objects in storage under each stored resource's prefix (as upstream's object count tracker, every
    /// <paramref name="every"/>, starting at once), into <c>apiserver_storage_objects{resource}</c>: <c>pods</c>,
    /// <c>deployments.apps</c>; -1 when a count fails. Runs until <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    public async Task CountStorageObjectsAsync(IStore store, ResourceTable table, TimeSpan every, TimeProvider time, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(every, time);
        do
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var resource in table.All)
            {
                // Review kinds (create only) store nothing; versions of one resource share a prefix.
                if (!resource.Supports("list") || !seen.Add(resource.StoragePrefix))
                {
                    continue;
                }

                var label = resource.Group.Length == 0 ? resource.Plural : $"{resource.Plural}.{resource.Group}";
                try
                {
                    _storageObjects.WithLabels(label).Set(await store.CountAsync(resource.StoragePrefix, cancellationToken));
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A store that is down, or gone (the server stopping): upstream's -1.
                    _storageObjects.WithLabels(label).Set(-1);
                }
            }
        }
        while (await timer.WaitForNextTickAsync(cancellationToken));
    }

    public CollectorRegistry Registry { get; }

    public IDisposable TrackInflight(bool mutating)
    {
        var gauge = _inflight.WithLabels(mutating ? "mutating" : "readOnly");
        gauge.Inc();
        return new Decrement(gauge);
    }

    public void Observe(RequestLabelValues labels, int code, TimeSpan elapsed)
    {
        _requests.WithLabels(labels.Verb, labels.Group, labels.Version, labels.Resource, labels.Subresource, labels.Scope, "apiserver", code.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();
        // Upstream leaves long-running requests (WATCH) out of the latency histogram.
        if (labels.Verb != "WATCH")
        {
            _duration.WithLabels(labels.Verb, labels.Group, labels.Version, labels.Resource, labels.Subresource, labels.Scope, "apiserver").Observe(elapsed.TotalSeconds);
        }
    }

    public Task WriteAsync(Stream stream, CancellationToken cancellationToken) => Registry.CollectAndExportAsTextAsync(stream, cancellationToken);

    private sealed class Decrement(Gauge.Child gauge) : IDisposable
    {
        public void Dispose() => gauge.Dec();
    }
}

/// <summary>Upstream's request labels: verb in capitals (LIST, WATCH, GET, POST...), scope resource/namespace/cluster.</summary>
internal readonly record struct RequestLabelValues(string Verb, string Group, string Version, string Resource, string Subresource, string Scope)
{
    public static RequestLabelValues For(string method, ApiPath? path, bool watch)
    {
        if (path?.Resource is not { } resource)
        {
            return new(method, "", "", "", "", "");
        }

        var verb = (method, path.Name, watch) switch
        {
            ("GET", null, true) => "WATCH",
            ("GET", null, false) => "LIST",
            ("DELETE", null, _) => "DELETECOLLECTION",
            ("PUT", _, _) => "PUT",
            _ => method,
        };
        var scope = path.Name is not null ? "resource" : path.Namespace is not null ? "namespace" : "cluster";
        return new(verb, resource.Group, resource.Version, resource.Plural, path.Subresource ?? "", scope);
    }
}
