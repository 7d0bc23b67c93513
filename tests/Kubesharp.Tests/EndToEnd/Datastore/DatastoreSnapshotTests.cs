using System.Diagnostics;
using System.Globalization;
using k8s;
using k8s.Models;
using Kubesharp.Testing;

namespace Kubesharp.Tests.EndToEnd.Datastore;

/// <summary>
/// <c>kubesharp datastore snapshot</c> of a running server and <c>restore</c> into the stopped one, with the real
/// binary: the restored server serves what existed at the snapshot and nothing written after it. Needs only the
/// binary (no root, containerd or kubectl): the server runs with <c>--disable-agent</c>.
/// </summary>
public sealed class DatastoreSnapshotTests : IDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);

    private readonly string _dataDir = Directory.CreateTempSubdirectory("kubesharp-e2e-datastore-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
            // A killed server's files may still be closing; the temp cleanup takes them.
        }
    }

    private static string Binary
    {
        get
        {
            var path = Path.Combine(AppContext.BaseDirectory, "kubesharp");
            Assert.True(File.Exists(path), $"the kubesharp binary is not beside the tests at {path}");
            return path;
        }
    }

    private Task<KubesharpProcess> StartServerAsync()
    {
        // The server writes admin.kubeconfig when ready; a stale one from the previous run would read as ready at once.
        File.Delete(Path.Combine(_dataDir, "admin.kubeconfig"));
        return KubesharpProcess.StartServerAsync(Binary, _dataDir, ["--disable-agent", "--disable-dns", "--scheduler-secure-port", "0"]);
    }

    private static Kubernetes Client(KubesharpProcess server) =>
        new(KubernetesClientConfiguration.BuildConfigFromConfigFile(server.AdminKubeconfig));

    private static async Task<long> CreateConfigMapAsync(Kubernetes client, string name)
    {
        var created = await client.CoreV1.CreateNamespacedConfigMapAsync(
            new V1ConfigMap { Metadata = new V1ObjectMeta { Name = name }, Data = new Dictionary<string, string> { ["name"] = name } },
            "default");
        return long.Parse(created.Metadata.ResourceVersion, CultureInfo.InvariantCulture);
    }

    private static async Task<string[]> ConfigMapNamesAsync(Kubernetes client) =>
        (await client.CoreV1.ListNamespacedConfigMapAsync("default")).Items.Select(c => c.Metadata.Name).Where(n => n.StartsWith("before-", StringComparison.Ordinal) || n.StartsWith("after-", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToArray();

    /// <summary>Runs <c>kubesharp ARGS</c> to its end (killed after a bound), with its exit code and output.</summary>
    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo(Binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        ChildProcesses.Record(process, "kubesharp-datastore");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var bound = new CancellationTokenSource(CommandTimeout);
        try
        {
            await process.WaitForExitAsync(bound.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        finally
        {
            ChildProcesses.Forget(process.Id, "kubesharp-datastore");
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    private static string Field(string output, string name) =>
        output.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith(name + ": ", StringComparison.Ordinal))?[(name.Length + 2)..]
        ?? throw new Xunit.Sdk.XunitException($"no \"{name}:\" line in: {output}");

    [Fact]
    public async Task A_snapshot_of_a_running_server_restored_into_the_stopped_one_serves_what_existed_at_the_snapshot()
    {
        string snapshotPath;
        long snapshotRevision;
        long lastBefore = 0;
        await using (var server = await StartServerAsync())
        {
            using var client = Client(server);
            for (var i = 0; i < 10; i++)
            {
                lastBefore = await CreateConfigMapAsync(client, $"before-{i}");
            }

            // Taken while the server runs (its controller manager and scheduler keep writing leases meanwhile).
            var snapshot = await RunAsync("datastore", "snapshot", "--data-dir", _dataDir);
            Assert.True(snapshot.ExitCode == 0, $"snapshot failed ({snapshot.ExitCode}): {snapshot.Stdout} {snapshot.Stderr}");
            snapshotPath = Field(snapshot.Stdout, "snapshot");
            snapshotRevision = long.Parse(Field(snapshot.Stdout, "revision"), CultureInfo.InvariantCulture);
            Assert.StartsWith(Path.Combine(_dataDir, "snapshots", "state-"), snapshotPath, StringComparison.Ordinal);
            Assert.Equal(new FileInfo(snapshotPath).Length.ToString(CultureInfo.InvariantCulture) + " bytes", Field(snapshot.Stdout, "size"));
            Assert.True(snapshotRevision >= lastBefore, $"the snapshot's revision {snapshotRevision} is before the last acknowledged write {lastBefore}");

            for (var i = 0; i < 5; i++)
            {
                await CreateConfigMapAsync(client, $"after-{i}");
            }

            Assert.Equal(15, (await ConfigMapNamesAsync(client)).Length);

            var refused = await RunAsync("datastore", "restore", "--data-dir", _dataDir, snapshotPath);
            Assert.True(refused.ExitCode == 1, $"restore while the server runs should fail, got {refused.ExitCode}: {refused.Stdout} {refused.Stderr}");
            Assert.Contains("stop the server", refused.Stderr, StringComparison.Ordinal);
            Assert.Empty(Directory.GetFiles(Path.Combine(_dataDir, "db"), "*before-restore*"));
        }

        // The server was killed (-9): its WAL is left behind, and the restore must keep it with the old file.
        var restore = await RunAsync("datastore", "restore", "--data-dir", _dataDir, snapshotPath);
        Assert.True(restore.ExitCode == 0, $"restore failed ({restore.ExitCode}): {restore.Stdout} {restore.Stderr}");
        Assert.Contains($"(revision {snapshotRevision})", Field(restore.Stdout, "restored"), StringComparison.Ordinal);
        var aside = Field(restore.Stdout, "previous store kept at");
        Assert.True(File.Exists(aside), $"the replaced store should be kept at {aside}");

        await using (var server = await StartServerAsync())
        {
            using var client = Client(server);
            Assert.Equal(Enumerable.Range(0, 10).Select(i => $"before-{i}").Order(StringComparer.Ordinal), await ConfigMapNamesAsync(client));
            // The restored cluster goes on from the snapshot's revision, never reusing one a client saw before it.
            var next = await CreateConfigMapAsync(client, "after-restore");
            Assert.True(next > snapshotRevision, $"a write after the restore got revision {next}, not past the snapshot's {snapshotRevision}");
        }
    }

    [Fact]
    public async Task A_snapshot_needs_a_store_and_a_restore_refuses_a_file_that_is_not_one()
    {
        var missing = await RunAsync("datastore", "snapshot", "--data-dir", _dataDir);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("there is no store", missing.Stderr, StringComparison.Ordinal);
        Assert.Contains("etcdctl snapshot save", missing.Stderr, StringComparison.Ordinal);

        var bogus = Path.Combine(_dataDir, "bogus.db");
        await File.WriteAllTextAsync(bogus, "not a database, just text that is long enough to look like a file header at all");
        var refused = await RunAsync("datastore", "restore", "--data-dir", _dataDir, bogus);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("not a readable SQLite store", refused.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dataDir, "db", "state.db")), "a refused restore must not create a store");
    }
}
