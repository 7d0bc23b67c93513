using System.Security.Cryptography.X509Certificates;
using Kubesharp.Api.Resources;
using Kubesharp.ApiServer.Auth.Authentication;
using Kubesharp.ApiServer.Hosting;
using Kubesharp.ApiServer.Pki;
using Kubesharp.Storage.Memory;
using Kubesharp.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.ApiServer.Tests.Hosting;

public sealed class ClusterBootstrapTests : IDisposable
{
    private readonly List<string> _dirs = [];

    [Fact]
    public async Task TheFirstServerStoresItsSecretsAndTheNextTakesThem()
    {
        await using var store = new MemoryStore();
        var first = NewDataDir();
        var second = NewDataDir();

        Assert.Equal(ClusterBootstrap.Outcome.Stored, await ClusterBootstrap.SyncAsync(store, first, NullLogger.Instance));
        Assert.Equal(ClusterBootstrap.Outcome.Loaded, await ClusterBootstrap.SyncAsync(store, second, NullLogger.Instance));

        AssertSameSecrets(first, second);
        Assert.True(BootstrapTokens.TryParse(File.ReadAllText(Path.Combine(second, "node-token")).Trim(), out _, out _), "node-token holds no bootstrap token");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(second, "tls", "ca.key")));
    }

    [Fact]
    public async Task ARestartOnTheSameDatastoreKeepsTheServersOwnSecrets()
    {
        // The SQLite default: one server, its own store; the bootstrap data is its own files.
        await using var store = new MemoryStore();
        var dir = NewDataDir();
        using (ClusterPki.LoadOrCreateCa(dir))
        {
        }

        var ca = File.ReadAllText(Path.Combine(dir, "tls", "ca.crt"));
        Assert.Equal(ClusterBootstrap.Outcome.Stored, await ClusterBootstrap.SyncAsync(store, dir, NullLogger.Instance));
        var logger = new RecordingLogger();
        Assert.Equal(ClusterBootstrap.Outcome.Loaded, await ClusterBootstrap.SyncAsync(store, dir, logger));

        Assert.Equal(ca, File.ReadAllText(Path.Combine(dir, "tls", "ca.crt")));
        Assert.Empty(logger.Warnings);
    }

    [Fact]
    public async Task TheDatastoreWinsOverDifferentLocalFilesAndCertificatesOfTheOldCaAreIssuedAgain()
    {
        await using var store = new MemoryStore();
        var first = NewDataDir();
        await ClusterBootstrap.SyncAsync(store, first, NullLogger.Instance);
        // A server that ran alone before: its own CA, serving and admin certificates.
        var second = NewDataDir();
        var before = ClusterPki.LoadOrCreate(second, ["127.0.0.2"]);
        using var oldServing = before.Serving;
        var logger = new RecordingLogger();

        Assert.Equal(ClusterBootstrap.Outcome.Loaded, await ClusterBootstrap.SyncAsync(store, second, logger));

        AssertSameSecrets(first, second);
        Assert.Contains(logger.Warnings, w => w.Contains(Path.Combine(second, "tls", "ca.crt"), StringComparison.Ordinal));
        var after = ClusterPki.LoadOrCreate(second, ["127.0.0.2"]);
        using var sharedCa = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(first, "tls", "ca.crt")));
        Assert.Equal(sharedCa.Thumbprint, after.Ca.Thumbprint);
        Assert.NotEqual(oldServing.Thumbprint, after.Serving.Thumbprint);
        Assert.True(IssuedBy(after.Serving, sharedCa), "the serving certificate was not issued again by the shared CA");
        Assert.True(IssuedBy(after.Admin, sharedCa), "the admin certificate was not issued again by the shared CA");
        Assert.True(IssuedBy(after.LoadOrIssueClient("scheduler", "system:kube-scheduler", []), sharedCa), "a client certificate was not issued by the shared CA");
    }

    [Fact]
    public async Task TwoServersStartingAtOnceAgreeOnTheSecretsOfTheOneWhoseCreateWon()
    {
        await using var memory = new MemoryStore();
        var store = new FakeInterleavingStore(memory);
        var loser = NewDataDir();
        var winner = NewDataDir();
        // Both read "absent"; the winner's create lands between the loser's read and its create.
        store.BeforeNextCreate(ClusterBootstrap.Key, async inner => Assert.Equal(ClusterBootstrap.Outcome.Stored, await ClusterBootstrap.SyncAsync(inner, winner, NullLogger.Instance)));

        Assert.Equal(ClusterBootstrap.Outcome.Loaded, await ClusterBootstrap.SyncAsync(store, loser, NullLogger.Instance));

        AssertSameSecrets(winner, loser);
    }

    [Fact]
    public void NoResourceIsStoredUnderTheBootstrapKey()
    {
        // The REST API reads and lists only under resources' prefixes: the bootstrap data must be outside all of them.
        var prefixes = BuiltinResources.Table.All.Select(r => r.StoragePrefix).ToList();
        Assert.NotEmpty(prefixes);
        Assert.DoesNotContain(prefixes, p => ClusterBootstrap.Key.StartsWith(p, StringComparison.Ordinal));
    }

    public void Dispose()
    {
        foreach (var dir in _dirs)
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private string NewDataDir()
    {
        var dir = Directory.CreateTempSubdirectory("ks-bootstrap-").FullName;
        _dirs.Add(dir);
        return dir;
    }

    private static void AssertSameSecrets(string expectedDir, string actualDir)
    {
        foreach (var name in ClusterBootstrap.Files)
        {
            Assert.True(File.Exists(Path.Combine(actualDir, name)), $"{name} missing in {actualDir}");
            Assert.True(File.ReadAllText(Path.Combine(expectedDir, name)) == File.ReadAllText(Path.Combine(actualDir, name)), $"{name} differs between {expectedDir} and {actualDir}");
        }
    }

    private static bool IssuedBy(X509Certificate2 cert, X509Certificate2 ca)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(cert);
    }

    private sealed class RecordingLogger : ILogger
    {
        public List<string> Warnings { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.Warning)
            {
                lock (Warnings)
                {
                    Warnings.Add(formatter(state, exception));
                }
            }
        }
    }
}
