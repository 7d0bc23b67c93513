using Prometheus;

namespace Kubesharp.Proxy.Proxier;

/// <summary>kube-proxy's metrics under upstream's names (pkg/proxy/metrics), in a registry of its own so that several proxies can live in one process.</summary>
public sealed class ProxyMetrics
{
    private readonly Histogram _syncDuration;
    private readonly Histogram _fullSyncDuration;
    private readonly Histogram _partialSyncDuration;
    private readonly Gauge _lastSync;
    private readonly Gauge _lastQueued;
    private readonly Counter _restoreFailures;

    public ProxyMetrics()
    {
        Registry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(Registry);
        _syncDuration = factory.CreateHistogram(
            "kubeproxy_sync_proxy_rules_duration_seconds",
            "SyncProxyRules latency in seconds",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.001, 2, 15) });
        _fullSyncDuration = factory.CreateHistogram(
            "kubeproxy_sync_full_proxy_rules_duration_seconds",
            "SyncProxyRules latency in seconds for full resyncs",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.001, 2, 15) });
        _partialSyncDuration = factory.CreateHistogram(
            "kubeproxy_sync_partial_proxy_rules_duration_seconds",
            "SyncProxyRules latency in seconds for partial resyncs",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.001, 2, 15) });
        _lastSync = factory.CreateGauge("kubeproxy_sync_proxy_rules_last_timestamp_seconds", "The last time proxy rules were successfully synced");
        _lastQueued = factory.CreateGauge("kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds", "The last time a sync of proxy rules was queued");
        _restoreFailures = factory.CreateCounter("kubeproxy_sync_proxy_rules_iptables_restore_failures_total", "Cumulative proxy iptables restore failures");
    }

    public CollectorRegistry Registry { get; }

    public void Queued(DateTimeOffset now) => _lastQueued.Set(now.ToUnixTimeMilliseconds() / 1000.0);

    /// <summary>A sync ended (applied or failed) after <paramref name="elapsed"/>; <paramref name="full"/> says which kind it was.</summary>
    public void Synced(TimeSpan elapsed, bool applied, DateTimeOffset now, bool full = true)
    {
        _syncDuration.Observe(elapsed.TotalSeconds);
        (full ? _fullSyncDuration : _partialSyncDuration).Observe(elapsed.TotalSeconds);
        if (applied)
        {
            _lastSync.Set(now.ToUnixTimeMilliseconds() / 1000.0);
        }
        else
        {
            _restoreFailures.Inc();
        }
    }

    public Task WriteAsync(Stream stream, CancellationToken cancellationToken) => Registry.CollectAndExportAsTextAsync(stream, cancellationToken);
}
