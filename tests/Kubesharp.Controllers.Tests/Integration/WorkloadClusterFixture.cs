using System.Collections.Concurrent;
using System.Diagnostics;
using k8s;
using k8s.Models;
using Kubesharp.ApiServer.Hosting;
using Kubesharp.Client.Cache;
using Kubesharp.Client.Controllers;
using Kubesharp.Client.Events;
using Kubesharp.Storage;
using Kubesharp.Storage.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.Controllers.Tests.Integration;

/// <summary>
/// A real API server on SQLite in a temporary directory (admin kubeconfig, no ServiceAccount required),
/// and the workload controllers (<see cref="WorkloadControllers.All"/>) running against it through
/// HTTPS in a small host: the shared informer factory, one event recorder per component, the
/// <see cref="ControllerHost"/>. No kubelet and no scheduler: tests write pod status themselves.
/// Shared by the tests of a class; each test works in a namespace of its own.
/// </summary>
public sealed class WorkloadClusterFixture : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kubesharp-controllers-").FullName;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, EventRecorder> _recorders = new(StringComparer.Ordinal);
    private IStore? _store;
    private ApiServerHost? _host;
    private SharedInformerFactory? _informers;
    private Task? _running;

    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    public ApiServerHost Host => _host ?? throw new InvalidOperationException("not started");

    public Kubernetes Client { get; private set; } = null!;

    public ControllerHost Controllers { get; } = new(NullLogger.Instance);

    public async Task InitializeAsync()
    {
        _store = await SqliteStore.OpenAsync(new SqliteStoreOptions { Path = Path.Combine(_dir, "db", "state.db"), CompactionInterval = TimeSpan.Zero });
        _host = new ApiServerHost(new ApiServerOptions { DataDir = _dir, Port = 0, RequireServiceAccounts = false }, _store, NullLoggerFactory.Instance);
        await _host.StartAsync(CancellationToken.None);
        Client = NewClient();

        var loggers = NullLoggerFactory.Instance;
        _informers = new SharedInformerFactory(new KubernetesListWatchFactory(Client), TimeProvider.System, loggers);
        var context = new ControllerContext(Client, _informers, Recorder, TimeProvider.System, loggers);
        foreach (var descriptor in WorkloadControllers.All)
        {
            Controllers.Add(descriptor.Create(context), descriptor.DefaultWorkers);
        }

        _running = Controllers.RunAsync(_informers, _stop.Token);
        using var sync = new CancellationTokenSource(Bound);
        if (!await _informers.WaitForCacheSyncAsync(sync.Token))
        {
            throw new TimeoutException("the controllers' informers did not sync");
        }
    }

    /// <summary>
    /// A client from the admin kubeconfig, without client-side limits: no rate limiter (the package has none),
    /// and more HTTP/2 connections when one is full of streams (the server allows 100 per connection).
    /// </summary>
    public Kubernetes NewClient()
    {
        var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(Host.KubeconfigPath);
        config.FirstMessageHandlerSetup = handler => handler.EnableMultipleHttp2Connections = true;
        return new Kubernetes(config);
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

    /// <summary>Polls (bounded) until <paramref name="condition"/> holds; fails naming what was awaited and what was last seen.</summary>
    public static async Task<T> WaitForAsync<T>(string what, Func<Task<T>> read, Func<T, bool> condition, TimeSpan? bound = null)
    {
        var deadline = Stopwatch.StartNew();
        T last;
        while (true)
        {
            last = await read();
            if (condition(last))
            {
                return last;
            }

            if (deadline.Elapsed > (bound ?? Bound))
            {
                throw new TimeoutException($"timed out waiting for {what}; last seen: {Describe(last)}");
            }

            await Task.Delay(50);
        }
    }

    private static string Describe<T>(T value) => value switch
    {
        IKubernetesObject<V1ObjectMeta> obj => KubernetesJson.Serialize(obj),
        System.Collections.IEnumerable items when value is not string => string.Join(", ", items.Cast<object>()),
        _ => value?.ToString() ?? "null",
    };

    /// <summary>Runs the real kubectl against this server; skips (visibly) when it is not installed, unless KUBESHARP_REQUIRE_KUBECTL=1.</summary>
    public Task<(int ExitCode, string Stdout, string Stderr)> KubectlAsync(params string[] args) =>
        Testing.Kubectl.RunAsync(Host.KubeconfigPath, _dir, Bound + TimeSpan.FromSeconds(30), args);

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
