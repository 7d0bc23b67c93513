using System.Diagnostics;
using System.Globalization;
using k8s;
using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Proxy.Model;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Proxy.Proxier;

/// <summary>kube-proxy's settings (upstream's flag names in the comments).</summary>
public sealed record KubeProxyOptions
{
    /// <summary><c>--hostname-override</c>: the node whose endpoints count as local.</summary>
    public required string NodeName { get; init; }

    /// <summary>The node's IPv4 addresses (informational for the backends; node ports answer on every local address).</summary>
    public IReadOnlyList<string> NodeIps { get; init; } = [];

    /// <summary><c>--cluster-cidr</c>: traffic to a cluster IP from outside it is masqueraded; null disables that.</summary>
    public string? ClusterCidr { get; init; } = "10.42.0.0/16";

    /// <summary><c>--masquerade-all</c>.</summary>
    public bool MasqueradeAll { get; init; }

    /// <summary><c>--min-sync-period</c> (upstream's default 1 s).</summary>
    public TimeSpan MinSyncPeriod { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary><c>--sync-period</c> (upstream's default 30 s): the periodic full resync, and the retry delay after a failed one.</summary>
    public TimeSpan SyncPeriod { get; init; } = TimeSpan.FromSeconds(30);

    public string HealthzBindAddress { get; init; } = "127.0.0.1";

    /// <summary><c>/healthz</c>'s port; 0 disables it (tests run several proxies).</summary>
    public int HealthzPort { get; init; } = ProxyServing.DefaultHealthzPort;

    public string MetricsBindAddress { get; init; } = "127.0.0.1";

    /// <summary><c>/metrics</c>' port; 0 disables it.</summary>
    public int MetricsPort { get; init; } = ProxyServing.DefaultMetricsPort;
}

/// <summary>
/// kube-proxy: informers on Services and EndpointSlices feed a <see cref="ProxyStateTracker"/>; every change asks the
/// <see cref="SyncRunner"/> for a sync, which renders the whole ruleset of the current state with the
/// <see cref="IProxyBackend"/> and applies it; a backend with partial syncs (<see cref="IPartialSyncBackend"/>:
/// iptables and nftables) writes only the Services changed since the last sync, except for the first sync, the one after a failed
/// apply and one every <see cref="FullSyncPeriod"/> (upstream's doFullSync). Nothing is written before both informers have synced (a half-filled
/// cache would delete the rules of Services not listed yet). A failed apply is logged, counted and retried: at the
/// next change or after the sync period; the proxy keeps running. Reaches cluster state only through the API.
/// <para>Start with <see cref="StartAsync"/>; dispose to stop (the rules stay in place, as upstream's).</para>
/// </summary>
public sealed partial class KubeProxy : IAsyncDisposable
{
    private readonly IListWatchFactory _listWatches;
    private readonly IProxyBackend _backend;
    private readonly KubeProxyOptions _options;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly NodeProxyContext _node;
    private readonly SyncRunner _runner;
    private readonly CancellationTokenSource _stop = new();
    private SharedInformerFactory? _informers;
    private Task? _loop;
    private ProxyServing? _healthz;
    private ProxyServing? _metricsServing;
    private volatile bool _initialized;
    private long _appliedGeneration = -1;
    private DateTimeOffset _lastUpdated;
    private DateTimeOffset? _queuedSince;

    // Owned by the sync loop: upstream's needFullSync and lastFullSync.
    private bool _needFullSync = true;
    private long _lastFullSync;

    public KubeProxy(IListWatchFactory listWatches, IProxyBackend backend, KubeProxyOptions options, ILoggerFactory loggers, TimeProvider? time = null)
    {
        _listWatches = listWatches;
        _backend = backend;
        _options = options;
        _loggers = loggers;
        _logger = loggers.CreateLogger("kube-proxy");
        _time = time ?? TimeProvider.System;
        Tracker = new ProxyStateTracker(options.NodeName);
        _node = new NodeProxyContext
        {
            NodeName = options.NodeName,
            NodeIps = options.NodeIps,
            ClusterCidr = options.ClusterCidr,
            MasqueradeAll = options.MasqueradeAll,
        };
        // Upstream's kube-proxy runs its BoundedFrequencyRunner with a burst of 2 syncs.
        _runner = new SyncRunner(SyncAsync, options.MinSyncPeriod, options.SyncPeriod, options.SyncPeriod, _time, burst: 2);
        _lastUpdated = _time.GetUtcNow();
    }

    /// <summary>Through a client's HTTP API.</summary>
    public KubeProxy(Kubernetes client, IProxyBackend backend, KubeProxyOptions options, ILoggerFactory loggers, TimeProvider? time = null)
        : this(new KubernetesListWatchFactory(client), backend, options, loggers, time)
    {
    }

    public ProxyStateTracker Tracker { get; }

    public ProxyMetrics Metrics { get; } = new();

    public IProxyBackend Backend => _backend;

    /// <summary>The tracker generation the last successful apply rendered; -1 before the first.</summary>
    public long AppliedGeneration => Interlocked.Read(ref _appliedGeneration);

    /// <summary>Raised on the sync loop after each successful apply, with the tracker generation it rendered.</summary>
    public event Action<long>? Applied;

    public Uri? HealthzUrl => _healthz?.Url;

    public Uri? MetricsUrl => _metricsServing?.Url;

    public SyncRunner Runner => _runner;

    /// <summary>Upstream's <c>proxyutil.FullSyncPeriod</c>: a backend with partial syncs still rewrites everything this often.</summary>
    public static TimeSpan FullSyncPeriod { get; } = TimeSpan.FromHours(1);

    /// <summary>Syncs applied so far that rewrote everything, and that wrote only the changed Services.</summary>
    public (long Full, long Partial) SyncCounts => (Interlocked.Read(ref _fullSyncs), Interlocked.Read(ref _partialSyncs));

    private long _fullSyncs;
    private long _partialSyncs;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_options.HealthzPort != 0)
        {
            _healthz = await ProxyServing.StartAsync(_options.HealthzBindAddress, _options.HealthzPort, HandleHealthzAsync, cancellationToken).ConfigureAwait(false);
        }

        if (_options.MetricsPort != 0)
        {
            _metricsServing = await ProxyServing.StartAsync(_options.MetricsBindAddress, _options.MetricsPort, HandleMetricsAsync, cancellationToken).ConfigureAwait(false);
        }

        _informers = new SharedInformerFactory(_listWatches, _time, _loggers);
        var services = _informers.GetInformer<V1Service>();
        var slices = _informers.GetInformer<V1EndpointSlice>();
        services.AddEventHandler(new ResourceEventHandlerFuncs<V1Service>
        {
            AddFunc = s => Changed(Tracker.UpdateService(s)),
            UpdateFunc = (_, s) => Changed(Tracker.UpdateService(s)),
            DeleteFunc = (s, _) => Changed(Tracker.DeleteService(s)),
        });
        slices.AddEventHandler(new ResourceEventHandlerFuncs<V1EndpointSlice>
        {
            AddFunc = s => Changed(Tracker.UpdateEndpointSlice(s)),
            UpdateFunc = (_, s) => Changed(Tracker.UpdateEndpointSlice(s)),
            DeleteFunc = (s, _) => Changed(Tracker.DeleteEndpointSlice(s)),
        });
        _informers.Start(_stop.Token);
        _loop = Task.Run(() => RunAsync(_stop.Token), CancellationToken.None);
        Log.Started(_logger, _backend.Mode, _options.NodeName, _options.MinSyncPeriod.TotalSeconds, _options.SyncPeriod.TotalSeconds);
    }

    /// <summary>Renders the current state as the backend would apply it (for tests and the benchmark).</summary>
    public string RenderNow() => _backend.Render(Tracker.Snapshot(), _node);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            try
            {
                await _loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        if (_informers is not null)
        {
            await _informers.DisposeAsync().ConfigureAwait(false);
        }

        if (_healthz is not null)
        {
            await _healthz.DisposeAsync().ConfigureAwait(false);
        }

        if (_metricsServing is not null)
        {
            await _metricsServing.DisposeAsync().ConfigureAwait(false);
        }

        _stop.Dispose();
    }

    private void Changed(bool changed)
    {
        if (!changed || !_initialized)
        {
            return;
        }

        var now = _time.GetUtcNow();
        lock (_stop)
        {
            _queuedSince ??= now;
        }

        Metrics.Queued(now);
        _runner.Run();
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        if (_informers is null || !await _informers.WaitForCacheSyncAsync(cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        // Upstream's OnServiceSynced/OnEndpointSlicesSynced: from here on the caches hold the whole cluster.
        _initialized = true;
        var ports = Tracker.Snapshot().Services.Count;
        Log.CachesSynced(_logger, ports);
        _runner.Run();
        await _runner.RunLoopAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<bool> SyncAsync(CancellationToken cancellationToken)
    {
        if (!_initialized)
        {
            return true;
        }

        var start = Stopwatch.GetTimestamp();
        var (generation, snapshot, changed) = Tracker.SnapshotAndTakeChanged();
        var full = true;
        try
        {
            if (_backend is IPartialSyncBackend partial)
            {
                // Upstream's doFullSync: the first sync, the one after a failure, and one an hour; the rest write only
                // the Services the trackers reported since the last sync (a failed sync's changes are covered by the
                // full sync that follows it).
                var wantFull = _needFullSync || _time.GetElapsedTime(_lastFullSync) >= FullSyncPeriod;
                var sync = partial.Prepare(snapshot, _node, wantFull ? null : changed);
                full = sync.Full;
                await partial.ApplyAsync(sync, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await _backend.ApplyAsync(_backend.Render(snapshot, _node), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is ProxyApplyException or IOException or System.ComponentModel.Win32Exception)
        {
            _needFullSync = true;
            Metrics.Synced(Stopwatch.GetElapsedTime(start), applied: false, _time.GetUtcNow(), full);
            Log.ApplyFailed(_logger, _backend.Mode, _options.SyncPeriod.TotalSeconds, e);
            return false;
        }
        catch
        {
            // Cancelled, or a fault the runner counts: what the kernel holds is not known for certain.
            _needFullSync = true;
            throw;
        }

        if (full)
        {
            _needFullSync = false;
            _lastFullSync = _time.GetTimestamp();
            Interlocked.Increment(ref _fullSyncs);
        }
        else
        {
            Interlocked.Increment(ref _partialSyncs);
        }

        var elapsed = Stopwatch.GetElapsedTime(start);
        var now = _time.GetUtcNow();
        Metrics.Synced(elapsed, applied: true, now, full);
        lock (_stop)
        {
            _lastUpdated = now;
            _queuedSince = null;
        }

        Interlocked.Exchange(ref _appliedGeneration, generation);
        var milliseconds = elapsed.TotalMilliseconds;
        Log.Synced(_logger, _backend.Mode, full ? "full" : "partial", snapshot.Services.Count, changed.Count, milliseconds);
        Applied?.Invoke(generation);
        return true;
    }

    /// <summary>Upstream's ProxierHealthServer: unhealthy when a queued change has waited more than twice the sync period.</summary>
    private async Task HandleHealthzAsync(HttpContext context)
    {
        if (context.Request.Path.Value is not ("/healthz" or "/livez"))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        DateTimeOffset lastUpdated;
        DateTimeOffset? queued;
        lock (_stop)
        {
            lastUpdated = _lastUpdated;
            queued = _queuedSince;
        }

        var now = _time.GetUtcNow();
        var healthy = queued is not { } q || now - q <= 2 * _options.SyncPeriod;
        context.Response.StatusCode = healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(
            string.Create(CultureInfo.InvariantCulture, $"{{\"lastUpdated\": \"{lastUpdated:yyyy-MM-ddTHH:mm:ss.fffZ}\",\"currentTime\": \"{now:yyyy-MM-ddTHH:mm:ss.fffZ}\", \"nodeEligible\": true}}"),
            context.RequestAborted).ConfigureAwait(false);
    }

    private async Task HandleMetricsAsync(HttpContext context)
    {
        if (context.Request.Path.Value != "/metrics")
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        await Metrics.WriteAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "kube-proxy ({Mode} mode) for node {Node}: min sync period {MinSync}s, sync period {Sync}s; waiting for the Service and EndpointSlice caches")]
        public static partial void Started(ILogger logger, string mode, string node, double minSync, double sync);

        [LoggerMessage(Level = LogLevel.Information, Message = "caches synced ({Ports} service ports): writing rules")]
        public static partial void CachesSynced(ILogger logger, int ports);

        [LoggerMessage(Level = LogLevel.Debug, Message = "{Mode} rules synced ({Kind}): {Ports} service ports, {Changed} services changed, in {Milliseconds:F1} ms")]
        public static partial void Synced(ILogger logger, string mode, string kind, int ports, int changed, double milliseconds);

        [LoggerMessage(Level = LogLevel.Error, Message = "applying the {Mode} rules failed; retrying at the next change or in {Seconds}s")]
        public static partial void ApplyFailed(ILogger logger, string mode, double seconds, Exception exception);
    }
}
