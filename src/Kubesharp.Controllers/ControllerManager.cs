using System.Net;
using k8s;
using Kubesharp.Client;
using Kubesharp.Client.Cache;
using Kubesharp.Client.Controllers;
using Kubesharp.Client.Events;
using Kubesharp.Client.LeaderElection;
using Kubesharp.Controllers.Manager;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Controllers;

/// <summary>
/// kube-controller-manager: runs the enabled controllers of <see cref="CoreControllers.All"/> and
/// <see cref="WorkloadControllers.All"/> against the API server, and nothing but the API server.
/// <list type="number">
/// <item>With leader election (the default) it campaigns for the Lease <c>kube-system/kube-controller-manager</c>
/// and runs the controllers only while it holds it. Upstream exits the process when it loses the lease; here the
/// controllers are stopped, they drain, and the manager campaigns again (so that an in-process manager can lead
/// again later). At most one set of controllers runs at a time in one manager.</item>
/// <item>Each term of leadership builds everything afresh: one <see cref="SharedInformerFactory"/> for all
/// controllers, an <see cref="EventRecorder"/> per component, the controllers; starts the informers, waits for
/// their caches, then runs the controllers through a <see cref="ControllerHost"/> until the term ends.</item>
/// <item>Credentials: informers, events and the Lease use the manager's own identity
/// (<c>system:kube-controller-manager</c>); with <see cref="ControllerManagerOptions.UseServiceAccountCredentials"/>
/// each controller's writes go as its service account in kube-system (<see cref="CoreControllers.ServiceAccounts"/>).</item>
/// <item>No client-side rate limit: upstream's 20 QPS would make bulk work (thousands of pods) take minutes; the
/// HTTP handler may open several HTTP/2 connections so that watches never starve requests of streams.</item>
/// </list>
/// <see cref="StartAsync"/> returns at once; <see cref="StopAsync"/> stops the controllers and waits for them.
/// </summary>
public sealed partial class ControllerManager : IAsyncDisposable
{
    private readonly KubernetesClientConfiguration? _config;
    private readonly Kubernetes _client;
    private readonly ControllerManagerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly Random _random;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (Kubernetes Client, ServiceAccountTokenProvider Tokens)> _accountClients = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _termGate = new(1, 1);
    private readonly string _host = Dns.GetHostName();
    private CancellationTokenSource? _stop;
    private Task? _run;
    private LeaderElector? _elector;
    private int _terms;
    private volatile bool _running;
    private readonly string _enabledNames;

    /// <summary>A manager that builds its clients from <paramref name="config"/> (a kubeconfig's), with service account credentials when the options ask.</summary>
    public ControllerManager(KubernetesClientConfiguration config, ControllerManagerOptions options, ILoggerFactory loggers, TimeProvider? time = null)
        : this(config, NewClient(config), options, loggers, time, RootCaOf(config))
    {
    }

    /// <summary>A manager whose controllers all use <paramref name="client"/> as is; <paramref name="rootCaPem"/> is what the root CA publisher publishes.</summary>
    public ControllerManager(Kubernetes client, ControllerManagerOptions options, ILoggerFactory loggers, TimeProvider? time = null, string? rootCaPem = null)
        : this(null, client, options, loggers, time, rootCaPem)
    {
    }

    private ControllerManager(KubernetesClientConfiguration? config, Kubernetes client, ControllerManagerOptions options, ILoggerFactory loggers, TimeProvider? time, string? rootCaPem)
    {
        _config = config;
        _client = client;
        _options = options;
        _loggers = loggers;
        _time = time ?? TimeProvider.System;
        _logger = loggers.CreateLogger("kube-controller-manager");
        _random = options.Seed is { } seed ? new Random(seed) : new Random();
        RootCaPem = rootCaPem;
        Identity = options.Identity ?? LeaderElectionOptions.DefaultIdentity();
        var known = CoreControllers.All.Concat(WorkloadControllers.All).Concat(options.Extra).ToList();
        var aliases = CoreControllers.Aliases;
        Enabled = ControllerSelection.Select(options.Controllers, known, aliases);
        _enabledNames = string.Join(",", Enabled.Select(d => d.Name));
    }

    /// <summary>Reads <paramref name="kubeconfigPath"/> (its current context) and builds a manager on it.</summary>
    public static ControllerManager FromKubeconfig(string kubeconfigPath, ControllerManagerOptions options, ILoggerFactory loggers, TimeProvider? time = null) =>
        new(Kubeconfig.Build(kubeconfigPath), options, loggers, time);

    public IReadOnlyList<ControllerDescriptor> Enabled { get; }

    public string Identity { get; }

    /// <summary>The cluster CA bundle the root CA publisher publishes (from the kubeconfig's certificate-authority data).</summary>
    public string? RootCaPem { get; }

    /// <summary>True while this manager's controllers run (holding the lease, when electing).</summary>
    public bool IsRunningControllers => _running;

    public bool IsLeader => !_options.LeaderElect ? _running : _elector?.IsLeader == true;

    /// <summary>How many times this manager has started its controllers (terms of leadership).</summary>
    public int Terms => Volatile.Read(ref _terms);

    /// <summary>The manager's own client (the identity of the kubeconfig).</summary>
    public Kubernetes Client => _client;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_run is not null)
            {
                throw new InvalidOperationException("the controller manager was already started");
            }

            _stop = new CancellationTokenSource();
            var stop = _stop.Token;
            _run = Task.Run(() => RunAsync(stop), CancellationToken.None);
        }

        return Task.CompletedTask;
    }

    /// <summary>Stops the controllers (they drain) and the campaign; returns when everything has stopped or <paramref name="cancellationToken"/> gives up waiting.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Task? run;
        lock (_lock)
        {
            run = _run;
            _stop?.Cancel();
        }

        if (run is not null)
        {
            await run.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Runs until <paramref name="cancellationToken"/> is cancelled: campaigns and leads, or just runs the controllers without leader election.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        Log.Starting(_logger, Identity, _enabledNames, _options.LeaderElect);
        if (!_options.LeaderElect)
        {
            await RunTermAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        while (!cancellationToken.IsCancellationRequested)
        {
            var elector = new LeaderElector(
                new KubernetesLeaseClient(_client),
                new LeaderElectionOptions
                {
                    LeaseNamespace = _options.LeaseNamespace,
                    LeaseName = _options.LeaseName,
                    Identity = Identity,
                    LeaseDuration = _options.LeaseDuration,
                    RenewDeadline = _options.RenewDeadline,
                    RetryPeriod = _options.RetryPeriod,
                    OnStartedLeading = RunTermAsync,
                },
                _time,
                _random,
                _loggers.CreateLogger("leaderelection"));
            _elector = elector;
            await elector.RunAsync(cancellationToken).ConfigureAwait(false);
            if (!cancellationToken.IsCancellationRequested)
            {
                Log.LostLease(_logger, Identity);
            }

            // The term's controllers were told to stop; let them drain before campaigning again.
            await _termGate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
            _termGate.Release();
        }
    }

    /// <summary>One term: informers, recorders and controllers built afresh, run until <paramref name="cancellationToken"/> ends the term.</summary>
    private async Task RunTermAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _termGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        var controllers = new List<IController>();
        var recorders = new Dictionary<string, EventRecorder>(StringComparer.Ordinal);
        var factory = new SharedInformerFactory(new KubernetesListWatchFactory(_client), _time, _loggers, new SharedInformerFactoryOptions { Seed = _options.Seed });
        try
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            Interlocked.Increment(ref _terms);
            IEventRecorder RecorderFor(string component)
            {
                lock (recorders)
                {
                    if (!recorders.TryGetValue(component, out var recorder))
                    {
                        recorder = new EventRecorder(new KubernetesEventSink(_client), new EventRecorderOptions { Component = component, Host = _host }, _time, _loggers.CreateLogger("events"));
                        recorder.Start();
                        recorders[component] = recorder;
                    }

                    return recorder;
                }
            }

            var host = new ControllerHost(_logger);
            foreach (var descriptor in Enabled)
            {
                var context = new ControllerContext(ClientFor(descriptor.Name), factory, RecorderFor, _time, _loggers)
                {
                    RootCaPem = RootCaPem,
                    Core = _options.Core,
                };
                try
                {
                    var controller = descriptor.Create(context);
                    controllers.Add(controller);
                    host.Add(controller, descriptor.DefaultWorkers);
                }
                catch (Exception e) when (e is InvalidOperationException or ArgumentException)
                {
                    // A controller that cannot be built (a missing CA, say) is left out; the others run.
                    Log.ControllerNotStarted(_logger, descriptor.Name, e);
                }
            }

            factory.Start(cancellationToken);
            if (!await factory.WaitForCacheSyncAsync(cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            _running = true;
            Log.Running(_logger, controllers.Count);
            await host.RunAsync(factory, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _running = false;
            foreach (var controller in controllers)
            {
                (controller as IDisposable)?.Dispose();
            }

            await factory.DisposeAsync().ConfigureAwait(false);
            foreach (var recorder in recorders.Values)
            {
                await recorder.DisposeAsync().ConfigureAwait(false);
            }

            Log.Stopped(_logger);
            _termGate.Release();
        }
    }

    /// <summary>The client a controller writes with: its service account's, or the manager's.</summary>
    private Kubernetes ClientFor(string controller)
    {
        if (_config is null || !_options.UseServiceAccountCredentials || CoreControllers.RootCredentials.Contains(controller))
        {
            return _client;
        }

        var account = CoreControllers.ServiceAccounts.TryGetValue(controller, out var name) ? name : controller;
        lock (_lock)
        {
            if (!_accountClients.TryGetValue(account, out var entry))
            {
                var tokens = new ServiceAccountTokenProvider(_client, "kube-system", account, _time);
                var config = new KubernetesClientConfiguration
                {
                    Host = _config.Host,
                    SslCaCerts = _config.SslCaCerts,
                    SkipTlsVerify = _config.SkipTlsVerify,
                    TlsServerName = _config.TlsServerName,
                    TokenProvider = tokens,
                };
                entry = (NewClient(config), tokens);
                _accountClients[account] = entry;
            }

            return entry.Client;
        }
    }

    /// <summary>A client with no client-side throttling whose HTTP/2 handler opens more connections when one runs out of streams.</summary>
    internal static Kubernetes NewClient(KubernetesClientConfiguration config)
    {
        var previous = config.FirstMessageHandlerSetup;
        config.FirstMessageHandlerSetup = handler =>
        {
            previous?.Invoke(handler);
            if (handler is SocketsHttpHandler sockets)
            {
                // Every informer holds a watch stream; past the server's stream limit (100) requests would queue.
                sockets.EnableMultipleHttp2Connections = true;
            }
        };
        return new Kubernetes(config);
    }

    private static string? RootCaOf(KubernetesClientConfiguration config) =>
        config.SslCaCerts is { Count: > 0 } certs ? string.Concat(certs.Select(c => c.ExportCertificatePem() + "\n")) : null;

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        lock (_lock)
        {
            foreach (var (client, tokens) in _accountClients.Values)
            {
                client.Dispose();
                tokens.Dispose();
            }

            _accountClients.Clear();
            _stop?.Dispose();
        }

        if (_config is not null)
        {
            _client.Dispose();
        }

        _termGate.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "kube-controller-manager {Identity}: controllers {Controllers}; leader election {LeaderElect}")]
        public static partial void Starting(ILogger logger, string identity, string controllers, bool leaderElect);

        [LoggerMessage(Level = LogLevel.Information, Message = "kube-controller-manager: caches synced; running {Count} controllers")]
        public static partial void Running(ILogger logger, int count);

        [LoggerMessage(Level = LogLevel.Information, Message = "kube-controller-manager: controllers stopped")]
        public static partial void Stopped(ILogger logger);

        [LoggerMessage(Level = LogLevel.Warning, Message = "kube-controller-manager {Identity}: leader election lost; controllers stopped, campaigning again")]
        public static partial void LostLease(ILogger logger, string identity);

        [LoggerMessage(Level = LogLevel.Error, Message = "kube-controller-manager: {Controller} not started")]
        public static partial void ControllerNotStarted(ILogger logger, string controller, Exception exception);
    }
}
