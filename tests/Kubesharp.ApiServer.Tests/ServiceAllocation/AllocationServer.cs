using k8s;
using Kubesharp.ApiServer.Hosting;
using Kubesharp.Storage;
using Kubesharp.Storage.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.ApiServer.Tests.ServiceAllocation;

/// <summary>
/// API servers on one SQLite store in a temporary directory: one store object shared by every server
/// started here (as several API servers share one etcd), each server with its own data directory
/// (certificates) and advertise address. The endpoint lease timings are short so that a dead server ages
/// out within seconds.
/// </summary>
public sealed class AllocationServer : IAsyncLifetime, IAsyncDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kubesharp-alloc-").FullName;
    private readonly List<ApiServerHost> _hosts = [];
    private IStore? _store;

    public IStore Store => _store!;

    public ApiServerHost Host => _hosts[0];

    public string Kubeconfig => Host.KubeconfigPath;

    public string Dir => _dir;

    public Task InitializeAsync() => StartAsync();

    /// <summary>Opens the store (if closed) and starts the first server.</summary>
    public async Task StartAsync()
    {
        _store ??= await SqliteStore.OpenAsync(new SqliteStoreOptions { Path = Path.Combine(_dir, "db", "state.db"), CompactionInterval = TimeSpan.Zero });
        await StartAnotherAsync("127.0.0.1");
    }

    /// <summary>Another API server on the same store, announcing <paramref name="advertise"/>.</summary>
    public async Task<ApiServerHost> StartAnotherAsync(string advertise, TimeSpan? leaseTtl = null)
    {
        var host = new ApiServerHost(
            new ApiServerOptions
            {
                DataDir = Path.Combine(_dir, "server-" + _hosts.Count),
                Port = 0,
                RequireServiceAccounts = false,
                AdvertiseAddress = advertise,
                EndpointLeaseTtl = leaseTtl ?? TimeSpan.FromSeconds(15),
                EndpointReconcileInterval = TimeSpan.FromMilliseconds(300),
            },
            _store!,
            NullLoggerFactory.Instance);
        await host.StartAsync(CancellationToken.None);
        _hosts.Add(host);
        return host;
    }

    /// <summary>Stops <paramref name="host"/> cleanly (its address is withdrawn) and forgets it.</summary>
    public async Task StopAsync(ApiServerHost host)
    {
        _hosts.Remove(host);
        await host.StopAsync(CancellationToken.None);
        await host.DisposeAsync();
    }

    /// <summary>Ends <paramref name="host"/> without a clean stop: its endpoint lease is left to expire, as a crashed server's.</summary>
    public async Task KillAsync(ApiServerHost host)
    {
        _hosts.Remove(host);
        await host.DisposeAsync();
    }

    /// <summary>Stops every server and closes the store; the data stays for <see cref="StartAsync"/>.</summary>
    public async Task StopAllAsync()
    {
        foreach (var host in _hosts)
        {
            await host.StopAsync(CancellationToken.None);
            await host.DisposeAsync();
        }

        _hosts.Clear();
        if (_store is not null)
        {
            await _store.DisposeAsync();
            _store = null;
        }
    }

    public Kubernetes Client() => ClientFor(Host);

    public static Kubernetes ClientFor(ApiServerHost host) => new(KubernetesClientConfiguration.BuildConfigFromConfigFile(host.KubeconfigPath));

    public Task<(int ExitCode, string Stdout, string Stderr)> KubectlAsync(params string[] args) =>
        Testing.Kubectl.RunAsync(Kubeconfig, _dir, TimeSpan.FromSeconds(60), args);

    async ValueTask IAsyncDisposable.DisposeAsync() => await DisposeAsync();

    public async Task DisposeAsync()
    {
        await StopAllAsync();
        Directory.Delete(_dir, recursive: true);
    }
}
