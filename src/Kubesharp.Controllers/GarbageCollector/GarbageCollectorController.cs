using Kubesharp.Client.Cache;
using Kubesharp.Client.Controllers;
using Kubesharp.Controllers.Dynamic;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Controllers.GarbageCollector;

/// <summary>
/// Upstream's garbage-collector-controller: deletes objects whose owners are gone and carries out foreground and
/// orphan deletion.
/// <list type="bullet">
/// <item>Monitors: one metadata-only informer per discovered resource that can be listed, watched and deleted
/// (events excepted, as upstream), custom resources included, feed the <see cref="DependencyGraph"/>. Discovery is
/// read again every <see cref="CoreControllerOptions.GarbageCollectorDiscoveryPeriod"/> to watch new resources
/// and drop removed ones. These informers are the collector's own (their set changes at run time), not the
/// manager's shared factory; it starts and stops them itself.</item>
/// <item>Work: one rate-limited queue; keys <c>d/UID</c> (attemptToDelete) and <c>o/UID</c> (attemptToOrphan),
/// handled by <see cref="GarbageCollectorWorker"/>; workers start once every monitor has synced.</item>
/// </list>
/// </summary>
public sealed partial class GarbageCollectorController : IController, IDisposable
{
    public const string ControllerName = "garbage-collector-controller";

    private readonly Func<ApiResource, ListWatch<PartialObject>> _listWatches;
    private readonly IDynamicApi _api;
    private readonly CoreControllerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly WorkQueueController _queue;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Monitor> _monitors = new(StringComparer.Ordinal);
    private CancellationToken _runToken;

    public GarbageCollectorController(ControllerContext context)
        : this(r => PartialObjectListWatch.For(context.Client, r), new KubernetesDynamicApi(context.Client), context.Core, context.Time, context.Loggers)
    {
    }

    internal GarbageCollectorController(Func<ApiResource, ListWatch<PartialObject>> listWatches, IDynamicApi api, CoreControllerOptions options, TimeProvider time, ILoggerFactory loggers)
    {
        _listWatches = listWatches;
        _api = api;
        _options = options;
        _time = time;
        _loggers = loggers;
        _logger = loggers.CreateLogger(ControllerName);
        var absent = new AbsentOwnerCache();
        _queue = new WorkQueueController(this, time, _logger);
        Graph = new DependencyGraph(uid => _queue.Enqueue("d/" + uid), uid => _queue.Enqueue("o/" + uid), absent);
        Worker = new GarbageCollectorWorker(Graph, absent, api, uid => _queue.Enqueue("d/" + uid), _logger);
    }

    public string Name => ControllerName;

    internal DependencyGraph Graph { get; }

    internal GarbageCollectorWorker Worker { get; }

    /// <summary>The work queue (keys <c>d/UID</c>, <c>o/UID</c>).</summary>
    public Client.WorkQueue.IRateLimitingQueue<string> Queue => _queue.Queue;

    /// <summary>The resources monitored now (<c>plural.group</c>).</summary>
    public IReadOnlyList<string> Monitored
    {
        get
        {
            lock (_lock)
            {
                return [.. _monitors.Keys.Order(StringComparer.Ordinal)];
            }
        }
    }

    public async Task RunAsync(int workers, CancellationToken cancellationToken)
    {
        _runToken = cancellationToken;
        try
        {
            // Upstream waits for discovery before anything else: without it there is nothing to monitor.
            var backoff = TimeSpan.FromSeconds(1);
            while (!await ResyncMonitorsAsync(cancellationToken).ConfigureAwait(false))
            {
                await Task.Delay(backoff, _time, cancellationToken).ConfigureAwait(false);
                backoff = backoff * 2 > TimeSpan.FromSeconds(30) ? TimeSpan.FromSeconds(30) : backoff * 2;
            }

            await WaitForMonitorsAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await StopMonitorsAsync().ConfigureAwait(false);
            return;
        }

        Log.Synced(_logger, Monitored.Count);
        var resync = ResyncLoopAsync(cancellationToken);
        await _queue.RunAsync(workers, cancellationToken).ConfigureAwait(false);
        await resync.ConfigureAwait(false);
        await StopMonitorsAsync().ConfigureAwait(false);
    }

    /// <summary>One reconcile of one key (tests drive the worker through this).</summary>
    internal Task<ReconcileResult> SyncAsync(string key, CancellationToken cancellationToken) => Worker.ProcessAsync(key, cancellationToken);

    /// <summary>Reads discovery and makes the monitors match it; false when discovery failed entirely.</summary>
    internal async Task<bool> ResyncMonitorsAsync(CancellationToken cancellationToken)
    {
        DiscoveryResult discovery;
        try
        {
            discovery = await _api.DiscoverAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.DiscoveryFailed(_logger, e);
            return false;
        }

        Worker.Discovery = discovery;
        var wanted = discovery.Resources.Where(Monitorable).ToDictionary(r => r.GroupResource, StringComparer.Ordinal);
        var stopped = new List<Monitor>();
        lock (_lock)
        {
            foreach (var (key, monitor) in _monitors.ToList())
            {
                // A group whose discovery failed this time keeps its monitors: it may only be unreachable for a moment.
                if (!wanted.ContainsKey(key) && !discovery.FailedGroups.ContainsKey(monitor.Resource.GroupVersion))
                {
                    _monitors.Remove(key);
                    stopped.Add(monitor);
                }
            }

            foreach (var (key, resource) in wanted)
            {
                if (!_monitors.ContainsKey(key))
                {
                    _monitors[key] = StartMonitor(resource);
                }
            }
        }

        foreach (var monitor in stopped)
        {
            Log.MonitorStopped(_logger, monitor.Resource.GroupResource);
            await monitor.StopAsync().ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>Upstream's GC monitors resources that can be listed, watched and deleted, except events (too many, never owners).</summary>
    internal static bool Monitorable(ApiResource r) =>
        r.Supports("list") && r.Supports("watch") && r.Supports("delete")
        && !(r.Plural == "events" && r.Group is "" or "events.k8s.io");

    private Monitor StartMonitor(ApiResource resource)
    {
        var informer = new SharedIndexInformer<PartialObject>(
            _listWatches(resource),
            new SharedInformerOptions { Name = "gc " + resource.GroupResource },
            _time,
            _loggers);
        informer.AddEventHandler(new ResourceEventHandlerFuncs<PartialObject>
        {
            AddFunc = Graph.OnUpsert,
            UpdateFunc = (_, obj) => Graph.OnUpsert(obj),
            DeleteFunc = (obj, _) => Graph.OnDelete(obj),
        });
        var stop = CancellationTokenSource.CreateLinkedTokenSource(_runToken);
        var run = Task.Run(() => informer.RunAsync(stop.Token), CancellationToken.None);
        return new Monitor(resource, informer, stop, run);
    }

    private async Task WaitForMonitorsAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Monitor[] current;
            lock (_lock)
            {
                current = [.. _monitors.Values];
            }

            if (current.All(m => m.Informer.HasSynced))
            {
                return;
            }

            // A resource removed while its first list fails would hold this forever: read discovery again now and then.
            using var round = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var synced = Task.WhenAll(current.Select(m => m.Informer.WaitForSyncAsync(round.Token)));
            var timeout = Task.Delay(_options.GarbageCollectorDiscoveryPeriod, _time, round.Token);
            var first = await Task.WhenAny(synced, timeout).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            await round.CancelAsync().ConfigureAwait(false);
            if (first == timeout)
            {
                await ResyncMonitorsAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task ResyncLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await Task.Delay(_options.GarbageCollectorDiscoveryPeriod, _time, cancellationToken).ConfigureAwait(false);
                await ResyncMonitorsAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task StopMonitorsAsync()
    {
        Monitor[] all;
        lock (_lock)
        {
            all = [.. _monitors.Values];
            _monitors.Clear();
        }

        foreach (var monitor in all)
        {
            await monitor.StopAsync().ConfigureAwait(false);
        }
    }

    public void Dispose() => _queue.Dispose();

    private sealed record Monitor(ApiResource Resource, SharedIndexInformer<PartialObject> Informer, CancellationTokenSource Stop, Task Run)
    {
        public async Task StopAsync()
        {
            await Stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await Run.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }

            Stop.Dispose();
        }
    }

    /// <summary>The queue and workers; a key is handed to <see cref="GarbageCollectorWorker.ProcessAsync"/>.</summary>
    private sealed class WorkQueueController(GarbageCollectorController owner, TimeProvider time, ILogger logger)
        : QueueController(ControllerName, time, logger)
    {
        protected override Task<ReconcileResult> ReconcileAsync(string key, CancellationToken cancellationToken) =>
            owner.Worker.ProcessAsync(key, cancellationToken);
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "garbage-collector-controller: all {Count} resource monitors synced")]
        public static partial void Synced(ILogger logger, int count);

        [LoggerMessage(Level = LogLevel.Warning, Message = "garbage-collector-controller: discovery failed; monitors unchanged")]
        public static partial void DiscoveryFailed(ILogger logger, Exception exception);

        [LoggerMessage(Level = LogLevel.Information, Message = "garbage-collector-controller: stopped monitoring {Resource} (no longer served)")]
        public static partial void MonitorStopped(ILogger logger, string resource);
    }
}
