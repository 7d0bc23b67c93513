using System.Security.Cryptography.X509Certificates;
using k8s;
using Kubesharp.ApiServer.Hosting;
using Kubesharp.Storage;
using Kubesharp.Storage.Etcd;
using Kubesharp.Storage.Sqlite;
using Kubesharp.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.ApiServer.Tests.Integration;

/// <summary>
/// A real API server on a free loopback port over a real store, with its admin kubeconfig, shared by
/// the tests of a class. Tests work in namespaces or names of their own. One subclass per backend, so
/// that every integration test runs on SQLite and on etcd.
/// </summary>
public abstract class ApiServerFixture : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kubesharp-apiserver-").FullName;
    private IStore? _store;
    private ApiServerHost? _host;

    protected string DataDir => _dir;

    protected abstract Task<IStore> OpenStoreAsync();

    protected virtual Task StopBackendAsync() => Task.CompletedTask;

    /// <summary>Waits until what a compaction to <paramref name="revision"/> removes in the background is gone (SQLite deletes rows after the mark).</summary>
    public virtual Task CompactionFinishedAsync(long revision) => Task.CompletedTask;

    private string? _skipReason;

    /// <summary>The server; skips the test (visibly) when the backend is not installed and not required.</summary>
    public ApiServerHost Host => _host ?? throw new SkipException(_skipReason ?? "server not started");

    public IStore Store => _store ?? throw new SkipException(_skipReason ?? "server not started");

    public string Kubeconfig => Host.KubeconfigPath;

    public async Task InitializeAsync()
    {
        try
        {
            _store = await OpenStoreAsync();
        }
        catch (SkipException e)
        {
            _skipReason = e.Message;
            return;
        }

        _host = new ApiServerHost(new ApiServerOptions { DataDir = _dir, Port = 0, RequireServiceAccounts = false }, _store, NullLoggerFactory.Instance);
        await _host.StartAsync(CancellationToken.None);
    }

    /// <summary>The official C# client, configured from the admin kubeconfig.</summary>
    public Kubernetes Client() => new(KubernetesClientConfiguration.BuildConfigFromConfigFile(Kubeconfig));

    /// <summary>A raw HTTPS client that trusts the cluster CA and presents the admin certificate.</summary>
    public HttpClient Http() => HttpFor(Host);

    /// <summary>A raw HTTPS client for any running <paramref name="host"/>, trusting its CA, with its admin certificate.</summary>
    public static HttpClient HttpFor(ApiServerHost host)
    {
        var pki = host.Pki!;
        var handler = new HttpClientHandler();
        handler.ClientCertificates.Add(pki.Admin);
        handler.ServerCertificateCustomValidationCallback = (_, cert, _, _) =>
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(pki.Ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return cert is not null && chain.Build(cert);
        };
        return new HttpClient(handler) { BaseAddress = host.Url, Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>Runs the real kubectl against this server; skips the test when kubectl is not installed.</summary>
    public Task<(int ExitCode, string Stdout, string Stderr)> KubectlAsync(params string[] args) =>
        KubectlWithEnvAsync(new Dictionary<string, string>(), args);

    public Task<(int ExitCode, string Stdout, string Stderr)> KubectlWithEnvAsync(IReadOnlyDictionary<string, string> environment, params string[] args) =>
        Testing.Kubectl.RunAsync(Kubeconfig, _dir, TimeSpan.FromSeconds(60), environment, args);

    public async Task DisposeAsync()
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

        await StopBackendAsync();
        Directory.Delete(_dir, recursive: true);
    }
}

public sealed class SqliteApiServerFixture : ApiServerFixture
{
    private string DbPath => Path.Combine(DataDir, "db", "state.db");

    protected override async Task<IStore> OpenStoreAsync() =>
        await SqliteStore.OpenAsync(new SqliteStoreOptions { Path = DbPath, CompactionInterval = TimeSpan.Zero });

    /// <summary>Waits (bounded) for the store's physical compaction mark in the file: an idle writer compacts by itself.</summary>
    public override async Task CompactionFinishedAsync(long revision)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={DbPath};Pooling=False;Mode=ReadOnly"))
            {
                await connection.OpenAsync(timeout.Token);
                await using var command = connection.CreateCommand();
                command.CommandText = "SELECT COALESCE((SELECT value FROM meta WHERE key = 'physical_compact_revision'), 0)";
                if ((long)(await command.ExecuteScalarAsync(timeout.Token))! >= revision)
                {
                    return;
                }
            }

            await Task.Delay(10, timeout.Token);
        }
    }
}

/// <summary>The same server on a private etcd (Debian's etcd-server) started for the class.</summary>
public sealed class EtcdApiServerFixture : ApiServerFixture
{
    private EtcdProcess? _etcd;

    /// <summary>The private etcd's client URL, so that a test can start a second API server on it.</summary>
    public string EtcdEndpoint => _etcd?.Endpoint ?? throw new SkipException("etcd is not running");

    protected override async Task<IStore> OpenStoreAsync()
    {
        if (EtcdProcess.FindBinary() is not { } binary)
        {
            if (Environment.GetEnvironmentVariable("KUBESHARP_REQUIRE_ETCD") == "1")
            {
                throw new InvalidOperationException("etcd is not on PATH, and KUBESHARP_REQUIRE_ETCD=1 requires it");
            }

            throw new SkipException("etcd is not on PATH");
        }

        _etcd = await EtcdProcess.StartNewAsync(binary);
        return new EtcdStore(new EtcdStoreOptions { Endpoints = _etcd.Endpoint });
    }

    protected override async Task StopBackendAsync()
    {
        if (_etcd is not null)
        {
            await _etcd.DisposeAsync();
        }
    }
}
