using k8s;
using Kubesharp.Client;
using Kubesharp.Client.Cache;
using Kubesharp.Client.Events;
using Kubesharp.Client.LeaderElection;
using Kubesharp.Scheduler.Framework;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Scheduler;

/// <summary>Settings of <c>kubesharp scheduler</c>, upstream's defaults.</summary>
public sealed record SchedulerHostOptions
{
    public bool LeaderElect { get; init; } = true;

    public string LeaseNamespace { get; init; } = "kube-system";

    public string LeaseName { get; init; } = "kube-scheduler";

    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);

    public TimeSpan RenewDeadline { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan RetryPeriod { get; init; } = TimeSpan.FromSeconds(2);

    public string? Identity { get; init; }

    public SchedulerOptions Scheduler { get; init; } = new();

    /// <summary>Builds the profiles from the plugin handle (client and listers); the default profile when null.</summary>
    public Func<PluginHandle, IReadOnlyList<Framework.Profile>>? Profiles { get; init; }
}

/// <summary>
/// kube-scheduler as a process part: campaigns for the <c>kube-system/kube-scheduler</c> Lease when electing, and
/// while leading runs a scheduler with informers and an event recorder built afresh for the term; it talks to the
/// API server only, through <paramref name="client"/>.
/// </summary>
public sealed partial class SchedulerHost(Kubernetes client, SchedulerHostOptions options, ILoggerFactory loggers, TimeProvider? time = null) : IAsyncDisposable
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ILogger _logger = loggers.CreateLogger("kube-scheduler");
    private readonly CancellationTokenSource _stop = new();
    private Task? _run;
    private volatile Scheduler? _current;
    private int _terms;

    public string Identity { get; } = options.Identity ?? LeaderElectionOptions.DefaultIdentity();

    /// <summary>The scheduler of the current term; null when not leading.</summary>
    public Scheduler? Current => _current;

    public int Terms => Volatile.Read(ref _terms);

    public static SchedulerHost FromKubeconfig(string path, SchedulerHostOptions options, ILoggerFactory loggers) =>
        new(new Kubernetes(Kubeconfig.Build(path)), options, loggers);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = cancellationToken;
        _run ??= Task.Run(() => RunAsync(_stop.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (!options.LeaderElect)
        {
            await RunTermAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        while (!cancellationToken.IsCancellationRequested)
        {
            var elector = new LeaderElector(
                new KubernetesLeaseClient(client),
                new LeaderElectionOptions
                {
                    LeaseNamespace = options.LeaseNamespace,
                    LeaseName = options.LeaseName,
                    Identity = Identity,
                    LeaseDuration = options.LeaseDuration,
                    RenewDeadline = options.RenewDeadline,
                    RetryPeriod = options.RetryPeriod,
                    OnStartedLeading = RunTermAsync,
                },
                _time,
                new Random(),
                loggers.CreateLogger("leaderelection"));
            await elector.RunAsync(cancellationToken).ConfigureAwait(false);
            if (!cancellationToken.IsCancellationRequested)
            {
                Log.LostLease(_logger, Identity);
            }
        }
    }

    private async Task RunTermAsync(CancellationToken cancellationToken)
    {
        var factory = new SharedInformerFactory(new KubernetesListWatchFactory(client), _time, loggers);
        var recorder = new EventRecorder(new KubernetesEventSink(client), new EventRecorderOptions { Component = DefaultProfiles.SchedulerName }, _time, loggers.CreateLogger("events"));
        recorder.Start();
        var handle = new PluginHandle(client, new InformerObjectLister(factory), recorder);
        var profiles = options.Profiles?.Invoke(handle) ?? [DefaultProfiles.Create(handle)];
        using var scheduler = new Scheduler(client, recorder, _time, loggers, profiles, options.Scheduler);
        try
        {
            scheduler.Watch(factory);
            factory.Start(cancellationToken);
            if (!await factory.WaitForCacheSyncAsync(cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            Interlocked.Increment(ref _terms);
            _current = scheduler;
            await scheduler.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _current = null;
            await factory.DisposeAsync().ConfigureAwait(false);
            await recorder.DisposeAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_run is not null)
        {
            await _run.ConfigureAwait(false);
        }

        _stop.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "kube-scheduler {Identity}: lost the lease; stopped scheduling and campaigning again")]
        public static partial void LostLease(ILogger logger, string identity);
    }
}
