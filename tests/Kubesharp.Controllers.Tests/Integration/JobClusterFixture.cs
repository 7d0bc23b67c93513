using System.Collections.Concurrent;
using k8s;
using k8s.Models;
using Kubesharp.ApiServer.Hosting;
using Kubesharp.Client.Cache;
using Kubesharp.Client.Controllers;
using Kubesharp.Client.Events;
using Kubesharp.Controllers.CronJob;
using Kubesharp.Controllers.GarbageCollector;
using Kubesharp.Controllers.Job;
using Kubesharp.Controllers.TtlAfterFinished;
using Kubesharp.Storage;
using Kubesharp.Storage.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Kubesharp.Controllers.Tests.Integration;

/// <summary>
/// A real API server on SQLite with the batch controllers and the garbage collector (the TTL controller deletes in the
/// foreground) running against it through HTTPS. The Job controller's back-offs are shortened; the CronJob controller
/// runs on <see cref="CronClock"/>, a fake clock that starts at the real time and that tests advance, so that a
/// <c>* * * * *</c> schedule fires without waiting a minute. No kubelet: tests write pod phases themselves.
/// </summary>
public sealed class JobClusterFixture : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kubesharp-batch-").FullName;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, EventRecorder> _recorders = new(StringComparer.Ordinal);
    private IStore? _store;
    private ApiServerHost? _host;
    private SharedInformerFactory? _informers;
    private Task? _running;

    public Kubernetes Client { get; private set; } = null!;

    public ControllerHost Controllers { get; } = new(NullLogger.Instance);

    public FakeTimeProvider CronClock { get; } = new(DateTimeOffset.UtcNow);

    public async Task InitializeAsync()
    {
        _store = await SqliteStore.OpenAsync(new SqliteStoreOptions { Path = Path.Combine(_dir, "db", "state.db"), CompactionInterval = TimeSpan.Zero });
        _host = new ApiServerHost(new ApiServerOptions { DataDir = _dir, Port = 0, RequireServiceAccounts = false }, _store, NullLoggerFactory.Instance);
        await _host.StartAsync(CancellationToken.None);
        Client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(_host.KubeconfigPath));

        var loggers = NullLoggerFactory.Instance;
        _informers = new SharedInformerFactory(new KubernetesListWatchFactory(Client), TimeProvider.System, loggers);
        var context = new ControllerContext(Client, _informers, Recorder, TimeProvider.System, loggers)
        {
            Core = new CoreControllerOptions { GarbageCollectorDiscoveryPeriod = TimeSpan.FromSeconds(1) },
        };
        var jobOptions = new JobControllerOptions
        {
            SyncBatchPeriod = TimeSpan.FromMilliseconds(100),
            PodFailureBackOff = TimeSpan.FromMilliseconds(100),
            MaxPodFailureBackOff = TimeSpan.FromMilliseconds(400),
        };
        Controllers.Add(JobController.Create(context, jobOptions), 5);
        Controllers.Add(CronJobController.Create(context with { Time = CronClock }, TimeZoneInfo.Utc), 5);
        Controllers.Add(TtlAfterFinishedController.Create(context), 5);
        Controllers.Add(new GarbageCollectorController(context), 5);
        _running = Controllers.RunAsync(_informers, _stop.Token);
        using var sync = new CancellationTokenSource(WorkloadClusterFixture.Bound);
        if (!await _informers.WaitForCacheSyncAsync(sync.Token))
        {
            throw new TimeoutException("the controllers' informers did not sync");
        }
    }

    private IEventRecorder Recorder(string component) => _recorders.GetOrAdd(component, c =>
    {
        var recorder = new EventRecorder(new KubernetesEventSink(Client), new EventRecorderOptions { Component = c }, TimeProvider.System, NullLogger.Instance);
        recorder.Start();
        return recorder;
    });

    public async Task<string> NewNamespaceAsync(string prefix)
    {
        var ns = await Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { GenerateName = prefix + "-" } });
        return ns.Metadata.Name;
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_running is not null)
        {
            await _running;
        }

        if (_informers is not null)
        {
            await _informers.DisposeAsync();
        }

        foreach (var recorder in _recorders.Values)
        {
            await recorder.DisposeAsync();
        }

        Client?.Dispose();
        if (_host is not null)
        {
            await _host.StopAsync(CancellationToken.None);
            await _host.DisposeAsync();
        }

        if (_store is not null)
        {
            await _store.DisposeAsync();
        }

        _stop.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
