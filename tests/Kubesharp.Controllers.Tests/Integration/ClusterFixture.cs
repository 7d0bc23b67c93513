using k8s;
using Kubesharp.ApiServer.Hosting;
using Kubesharp.Storage;
using Kubesharp.Storage.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.Controllers.Tests.Integration;

/// <summary>
/// A real API server on a free loopback port over SQLite in a temporary directory, shared by one test class,
/// with its admin client for the tests and its <c>controller-manager.kubeconfig</c> for managers (which then
/// run as <c>system:kube-controller-manager</c> and each controller as its own service account, as in
/// <c>kubesharp server</c>). Tests work in namespaces of their own.
/// </summary>
public class ClusterFixture : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kubesharp-controllers-").FullName;
    private IStore? _store;
    private ApiServerHost? _host;

    public ApiServerHost Host => _host ?? throw new InvalidOperationException("not started");

    public string ControllerManagerKubeconfig => Path.Combine(_dir, "controller-manager.kubeconfig");

    public virtual async Task InitializeAsync()
    {
        _store = await SqliteStore.OpenAsync(new SqliteStoreOptions { Path = Path.Combine(_dir, "db", "state.db"), CompactionInterval = TimeSpan.Zero });
        _host = new ApiServerHost(new ApiServerOptions { DataDir = _dir, Port = 0, RequireServiceAccounts = false }, _store, NullLoggerFactory.Instance);
        await _host.StartAsync(CancellationToken.None);
    }

    /// <summary>The admin's client (system:masters).</summary>
    public Kubernetes Client() => new(KubernetesClientConfiguration.BuildConfigFromConfigFile(Host.KubeconfigPath));

    /// <summary>Options for tests: short periods, no start-up delays; leader election off unless asked.</summary>
    public static ControllerManagerOptions FastOptions(bool leaderElect = false) => new()
    {
        LeaderElect = leaderElect,
        Core = new CoreControllerOptions
        {
            NamespaceDeletionDelay = TimeSpan.Zero,
            PodGcPeriod = TimeSpan.FromSeconds(1),
            PodGcQuarantine = TimeSpan.FromSeconds(1),
            GarbageCollectorDiscoveryPeriod = TimeSpan.FromSeconds(1),
        },
    };

    public ControllerManager NewManager(ControllerManagerOptions options) =>
        ControllerManager.FromKubeconfig(ControllerManagerKubeconfig, options, NullLoggerFactory.Instance);

    public virtual async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.StopAsync(CancellationToken.None);
            await _host.DisposeAsync();
        }

        if (_store is not null)
        {
            await _store.DisposeAsync();
        }

        Directory.Delete(_dir, recursive: true);
    }
}

/// <summary>The cluster with one controller manager running every core controller (no leader election), started with the class.</summary>
public sealed class ManagedClusterFixture : ClusterFixture
{
    private ControllerManager? _manager;

    public ControllerManager Manager => _manager ?? throw new InvalidOperationException("not started");

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _manager = NewManager(FastOptions());
        await _manager.StartAsync(CancellationToken.None);
    }

    public override async Task DisposeAsync()
    {
        if (_manager is not null)
        {
            await _manager.DisposeAsync();
        }

        await base.DisposeAsync();
    }
}
