using System.Threading.Channels;
using k8s;
using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Proxy.Model;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Proxy.Routes;

/// <summary>Settings of the agent's pod route controller.</summary>
public sealed record PodRouteOptions
{
    /// <summary>This node's name: its own pod CIDR is on its bridge, not routed.</summary>
    public required string NodeName { get; init; }

    /// <summary>Upstream's <c>--cluster-cidr</c>: every pod address, for the masquerade rules.</summary>
    public string ClusterCidr { get; init; } = "10.42.0.0/16";

    /// <summary>A full pass even when no Node changed, which also repairs routes or rules removed by hand.</summary>
    public TimeSpan ResyncPeriod { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>After a failed pass, the next one comes this soon (or with the next Node change).</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(2);
}

/// <summary>
/// Pod routes across nodes, host-gateway style (flannel's host-gw backend): watches Nodes through the API and keeps, for
/// every other node with a <c>spec.podCIDR</c> and an InternalIP, <c>ip route replace CIDR via NODE-IP proto 66</c>;
/// removes the routes of nodes that are gone or changed (recognised by <c>proto 66</c>, also after a restart); and keeps
/// the nat chain <c>KUBESHARP-POSTROUTING</c> that masquerades pod traffic leaving the cluster CIDR.
/// <para>
/// Level-based: every Node event only signals the loop (a channel of capacity one, so bursts fold into one pass), and a
/// pass recomputes everything from the informer's cache. Nothing is written before the cache has synced. A failed pass
/// is logged and retried after <see cref="PodRouteOptions.RetryDelay"/>; the loop never throws. Routes and rules stay
/// when the controller stops: the pods keep running without the agent, and the next start reconciles.
/// </para>
/// </summary>
public sealed partial class PodRouteController : IAsyncDisposable
{
    private readonly IIndexReader<V1Node> _nodes;
    private readonly PodRouteSyncer _syncer;
    private readonly PodRouteOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<bool> _signal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly CancellationTokenSource _stop = new();
    private SharedInformerFactory? _informers;
    private Task _loop = Task.CompletedTask;
    private long _passes;

    internal PodRouteController(IIndexReader<V1Node> nodes, PodRouteSyncer syncer, PodRouteOptions options, TimeProvider time, ILogger logger)
    {
        _nodes = nodes;
        _syncer = syncer;
        _options = options;
        _time = time;
        _logger = logger;
    }

    /// <summary>Completed passes (successful or not), for tests and logs.</summary>
    public long Passes => Interlocked.Read(ref _passes);

    /// <summary>
    /// Starts the controller for an agent: its own Node informer on <paramref name="client"/> and <c>ip</c>/<c>iptables</c>
    /// in the calling process's network namespace. Returns at once; the first pass runs once the cache has synced.
    /// </summary>
    public static PodRouteController Start(Kubernetes client, PodRouteOptions options, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var informers = new SharedInformerFactory(new KubernetesListWatchFactory(client), TimeProvider.System, loggers);
        var nodes = informers.GetInformer<V1Node>();
        var tool = new RuleTool();
        var controller = new PodRouteController(nodes.Indexer, new PodRouteSyncer(tool.RunAsync, options.NodeName, options.ClusterCidr), options, TimeProvider.System, loggers.CreateLogger("pod-routes"))
        {
            _informers = informers,
        };
        nodes.AddEventHandler(new ResourceEventHandlerFuncs<V1Node>
        {
            AddFunc = _ => controller.Signal(),
            UpdateFunc = (old, now) =>
            {
                if (old.Spec?.PodCIDR != now.Spec?.PodCIDR || PodRoutePlan.InternalIp(old) != PodRoutePlan.InternalIp(now))
                {
                    controller.Signal();
                }
            },
            DeleteFunc = (_, _) => controller.Signal(),
        });
        informers.Start(cancellationToken);
        controller.Run(() => informers.WaitForCacheSyncAsync(controller._stop.Token), cancellationToken);
        return controller;
    }

    /// <summary>Asks for a pass; folds with a pass already asked for. Never blocks.</summary>
    public void Signal() => _signal.Writer.TryWrite(true);

    /// <summary>Starts the loop once <paramref name="synced"/> says the cache is complete (false: stop without a pass).</summary>
    internal void Run(Func<Task<bool>> synced, CancellationToken cancellationToken)
    {
        var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
        _loop = Task.Run(
            async () =>
            {
                try
                {
                    if (await synced().ConfigureAwait(false))
                    {
                        await LoopAsync(linked.Token).ConfigureAwait(false);
                    }
                }
                catch (OperationCanceledException) when (linked.IsCancellationRequested)
                {
                }
                finally
                {
                    linked.Dispose();
                }
            },
            CancellationToken.None);
    }

    private async Task LoopAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var wait = _options.ResyncPeriod;
            try
            {
                var changes = await _syncer.SyncAsync(_nodes.List(), cancellationToken).ConfigureAwait(false);
                if (changes > 0)
                {
                    Log.Synced(_logger, changes, _syncer.NodeName);
                }
            }
            catch (Exception e) when (e is PodRouteException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                Log.SyncFailed(_logger, e.Message);
                wait = _options.RetryDelay;
            }

            using var timer = new CancellationTokenSource(wait, _time);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
            // Counted once the next wait's timer runs, so a test that saw the count can move fake time past it.
            Interlocked.Increment(ref _passes);
            try
            {
                await _signal.Reader.ReadAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // The resync period (or the retry delay) passed without a Node change.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        if (_informers is not null)
        {
            await _informers.DisposeAsync().ConfigureAwait(false);
        }

        _stop.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "pod routes of node {Node}: {Changes} route command(s) applied")]
        public static partial void Synced(ILogger logger, int changes, string node);

        [LoggerMessage(Level = LogLevel.Warning, Message = "pod routes: sync failed, retrying: {Error}")]
        public static partial void SyncFailed(ILogger logger, string error);
    }
}
