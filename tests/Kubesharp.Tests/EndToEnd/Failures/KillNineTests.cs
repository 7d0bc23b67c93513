using System.Diagnostics;
using System.Globalization;
using k8s;
using k8s.Models;
using Kubesharp.Testing;
using Xunit.Abstractions;

namespace Kubesharp.Tests.EndToEnd.Failures;

/// <summary>
/// Issue 9, surviving restarts: <c>kubesharp server</c> (no agent; controller manager and scheduler on) under a
/// steady load of ConfigMap writes is killed with SIGKILL and started again on the same data directory and port.
/// Every acknowledged write must be there with its content, a watch opened before the load must resume from the last
/// version it saw (or relist after 410 Gone) without missing or reordering an event, and resourceVersions must keep
/// increasing. On the default SQLite store, and on a single-member etcd (only the server is killed) when etcd is
/// installed (skipped visibly otherwise; failed when <c>KUBESHARP_REQUIRE_ETCD=1</c>).
/// </summary>
public sealed class KillNineTests(ITestOutputHelper output)
{
    private const string Namespace = "kill-nine";
    private const int Writers = 4;

    /// <summary>Acknowledged writes to wait for before the kill, and again after the restart.</summary>
    private const int WritesPerPhase = 150;

    private static readonly TimeSpan TestTimeout = TimeSpan.FromMinutes(4);

    [SkippableTheory]
    [InlineData("sqlite")]
    [InlineData("etcd")]
    public async Task Acknowledged_writes_survive_kill_9_and_the_watch_resumes(string datastore)
    {
        var binary = CrashableServer.FindBinary();
        Assert.True(binary is not null, $"no kubesharp binary beside the tests ({AppContext.BaseDirectory}) nor at KUBESHARP_BIN");
        await using var etcd = datastore == "etcd" ? await StartEtcdAsync() : null;
        var dataDir = Directory.CreateTempSubdirectory("kubesharp-kill9-").FullName;
        try
        {
            string[] extraArgs = etcd is null ? [] : ["--datastore", $"etcd://127.0.0.1:{etcd.ClientPort}"];
            await using var server = new CrashableServer(binary, dataDir, extraArgs);
            using var timeout = new CancellationTokenSource(TestTimeout);
            await RunAsync(server, timeout.Token);
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }

    private async Task RunAsync(CrashableServer server, CancellationToken token)
    {
        await server.StartAsync(token);
        long startRv;
        using (var client = server.NewClient())
        {
            var ns = await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = Namespace } }, cancellationToken: token);
            startRv = long.Parse(ns.Metadata.ResourceVersion, CultureInfo.InvariantCulture);
        }

        var epoch = 0;
        var watch = new ResumingWatch(Namespace, server.NewClient, () => Volatile.Read(ref epoch));
        using var stopWatch = CancellationTokenSource.CreateLinkedTokenSource(token);
        var watchTask = Task.Run(() => watch.RunAsync(startRv, stopWatch.Token), CancellationToken.None);
        var writers = Enumerable.Range(0, Writers).Select(i => new ConfigMapWriter(i, Namespace, server.NewClient, () => Volatile.Read(ref epoch))).ToArray();
        using var stopWriters = new CancellationTokenSource();
        var writerTasks = writers.Select(w => Task.Run(() => w.RunAsync(stopWriters.Token, token), CancellationToken.None)).ToArray();
        Task[] running = [watchTask, .. writerTasks];
        int Acked() => writers.Sum(w => w.AckCount);

        await WaitForAsync(() => Acked() >= WritesPerPhase, running, server, $"{WritesPerPhase} acknowledged writes before the kill", token);
        var killedPid = server.Pid;
        await server.KillAsync();
        Interlocked.Increment(ref epoch);
        var ackedAtKill = Acked();
        var down = Stopwatch.StartNew();
        await server.StartAsync(token);
        var downtime = down.Elapsed;
        await WaitForAsync(() => Acked() >= ackedAtKill + WritesPerPhase, running, server, $"{WritesPerPhase} acknowledged writes after the restart", token);
        await stopWriters.CancelAsync();
        await Task.WhenAll(writerTasks);

        // A last write that the watch must reach: once it has, it has seen everything the writers did before it.
        using var client2 = server.NewClient();
        var marker = await client2.CoreV1.CreateNamespacedConfigMapAsync(
            new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "marker" }, Data = new Dictionary<string, string> { ["v"] = "end" } }, Namespace, cancellationToken: token);
        var markerRv = long.Parse(marker.Metadata.ResourceVersion, CultureInfo.InvariantCulture);
        await WaitForAsync(() => { lock (watch.Gate) { return watch.LastResourceVersion >= markerRv; } }, [watchTask], server, $"the watch to reach the last write (rv {markerRv})", token);
        await stopWatch.CancelAsync();
        await watchTask;
        var final = await ResumingWatch.ListAsync(client2, Namespace, token);

        var acks = writers.SelectMany(w => w.Acks).ToList();
        output.WriteLine($"killed pid {killedPid} after {ackedAtKill} acknowledged writes; ready again after {downtime.TotalSeconds:F1} s; {acks.Count} acknowledged in all");
        output.WriteLine($"requests without an answer or with a 5xx: {writers.Sum(w => w.FailedRequests)}; writes of unknown outcome found done on read-back: {writers.Sum(w => w.AppliedWithoutAck)}");
        // Consecutive failed attempts (the server down) on one line.
        foreach (var run in watch.Connections.Aggregate(new List<(WatchConnection First, int Count)>(), (runs, c) =>
        {
            if (runs.Count > 0 && runs[^1].First == c)
            {
                runs[^1] = (runs[^1].First, runs[^1].Count + 1);
            }
            else
            {
                runs.Add((c, 1));
            }

            return runs;
        }))
        {
            var c = run.First;
            output.WriteLine($"watch from rv {c.FromResourceVersion} (server epoch {c.Epoch}): {c.Events} events, then {c.End}{(run.Count > 1 ? $" (x{run.Count})" : "")}");
        }

        Assert.True(writers.Sum(w => w.FailedRequests) > 0, "no write failed: the kill did not happen under load");
        AssertWritesSurvived(writers, final);
        AssertVersionsIncrease(acks);
        AssertWatchComplete(watch, acks, final, markerRv);
    }

    /// <summary>Each writer's objects are exactly as its last acknowledged (or read-back) write left them.</summary>
    private static void AssertWritesSurvived(ConfigMapWriter[] writers, Relist final)
    {
        var expected = writers.SelectMany(w => w.Expected).ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
        foreach (var (name, state) in expected)
        {
            if (state is { } s)
            {
                Assert.True(final.Items.TryGetValue(name, out var actual), $"{name} (acknowledged as v={s.Value} rv={s.ResourceVersion}) is missing after the restart");
                Assert.True(actual == s, $"{name}: acknowledged as v={s.Value} rv={s.ResourceVersion}, found v={actual.Value} rv={actual.ResourceVersion}");
            }
            else
            {
                Assert.False(final.Items.ContainsKey(name), $"{name} was deleted (acknowledged) but is back after the restart");
            }
        }

        var unexpected = final.Items.Keys.Where(n => n.StartsWith('w') && !expected.ContainsKey(n)).ToList();
        Assert.True(unexpected.Count == 0, $"objects no writer wrote: {string.Join(", ", unexpected)}");
    }

    /// <summary>Versions are unique, increase in each writer's order, and those after the restart exceed those before.</summary>
    private static void AssertVersionsIncrease(List<AckedWrite> acks)
    {
        var versioned = acks.Where(a => a.Kind != WriteKind.Delete).ToList();
        var reused = versioned.GroupBy(a => a.ResourceVersion).Where(g => g.Count() > 1).Select(g => $"{g.Key}: {string.Join(", ", g.Select(a => a.Name))}").ToList();
        Assert.True(reused.Count == 0, $"one resourceVersion acknowledged for several writes (a lost write reused): {string.Join("; ", reused)}");
        foreach (var writer in versioned.GroupBy(a => a.Writer))
        {
            var previous = writer.First();
            foreach (var a in writer.Skip(1))
            {
                Assert.True(a.ResourceVersion > previous.ResourceVersion, $"writer {a.Writer}: {a.Name} acknowledged at rv {a.ResourceVersion} after {previous.Name} at rv {previous.ResourceVersion}");
                previous = a;
            }
        }

        var before = versioned.Where(a => a.Epoch == 0).Select(a => a.ResourceVersion).DefaultIfEmpty(0).Max();
        var after = versioned.Where(a => a.Epoch == 1).Select(a => a.ResourceVersion).DefaultIfEmpty(long.MaxValue).Min();
        Assert.True(after > before, $"after the restart a write was acknowledged at rv {after}, not above the newest before the kill ({before})");
    }

    /// <summary>
    /// The watch's records are in strictly increasing versions, hold every acknowledged write (those a relist covers
    /// excepted), and, applied in order from the empty namespace, give exactly the final list.
    /// </summary>
    private static void AssertWatchComplete(ResumingWatch watch, List<AckedWrite> acks, Relist final, long markerRv)
    {
        long last = 0;
        var state = new Dictionary<string, (string Value, long ResourceVersion)>(StringComparer.Ordinal);
        var events = new HashSet<(string Type, string Name, string? Value, long ResourceVersion)>();
        var deleted = new HashSet<string>(StringComparer.Ordinal);
        long relistedAt = 0;
        foreach (var record in watch.Records)
        {
            var rv = record switch
            {
                WatchedEvent e => e.ResourceVersion,
                Relist r => r.ResourceVersion,
                _ => throw new InvalidOperationException(record.ToString()),
            };
            Assert.True(rv > last, $"the watch went from rv {last} to {record} (out of order or repeated)");
            last = rv;
            switch (record)
            {
                case Relist r:
                    relistedAt = r.ResourceVersion;
                    state = new Dictionary<string, (string, long)>(r.Items, StringComparer.Ordinal);
                    break;
                case WatchedEvent { Type: "DELETED" } e:
                    Assert.True(state.Remove(e.Name), $"DELETED {e.Name} at rv {e.ResourceVersion} for an object the watch did not have");
                    deleted.Add(e.Name);
                    break;
                case WatchedEvent e:
                    state[e.Name] = (e.Value ?? "", e.ResourceVersion);
                    events.Add((e.Type, e.Name, e.Value, e.ResourceVersion));
                    break;
            }
        }

        Assert.True(last >= markerRv, $"the watch stopped at rv {last}, before the last write ({markerRv})");
        Assert.True(watch.Connections.Any(c => c.Epoch == 1), "the watch never connected to the restarted server");
        foreach (var a in acks.Where(a => a.Kind != WriteKind.Delete && a.ResourceVersion > relistedAt))
        {
            var type = a.Kind == WriteKind.Create ? "ADDED" : "MODIFIED";
            Assert.True(events.Contains((type, a.Name, a.Value, a.ResourceVersion)), $"the watch missed {type} {a.Name} v={a.Value} rv={a.ResourceVersion} (acknowledged, server epoch {a.Epoch})");
        }

        if (relistedAt == 0)
        {
            var missed = acks.Where(a => a.Kind == WriteKind.Delete && !deleted.Contains(a.Name)).Select(a => a.Name).ToList();
            Assert.True(missed.Count == 0, $"the watch missed the DELETED events of {string.Join(", ", missed)}");
        }

        // The writers' objects and the marker: the root CA ConfigMap that a controller keeps here is not this test's.
        var mismatched = final.Items.Keys.Union(state.Keys)
            .Where(n => n.StartsWith('w') || n == "marker")
            .Where(n => !(final.Items.TryGetValue(n, out var f) && state.TryGetValue(n, out var s) && f == s))
            .Select(n => $"{n}: list {(final.Items.TryGetValue(n, out var f) ? $"v={f.Value} rv={f.ResourceVersion}" : "absent")}, watch {(state.TryGetValue(n, out var s) ? $"v={s.Value} rv={s.ResourceVersion}" : "absent")}")
            .ToList();
        Assert.True(mismatched.Count == 0, $"the watch's picture differs from the final list: {string.Join("; ", mismatched)}");
    }

    private static async Task WaitForAsync(Func<bool> condition, Task[] running, CrashableServer server, string what, CancellationToken token)
    {
        while (!condition())
        {
            if (running.FirstOrDefault(t => t.IsCompleted) is { } ended)
            {
                await ended;
                throw new InvalidOperationException($"a writer or the watch ended early while waiting for {what}");
            }

            try
            {
                await Task.Delay(50, token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"gave up waiting for {what} after {TestTimeout.TotalMinutes} min; server output: {server.LastLines()}");
            }
        }
    }

    private static async Task<EtcdProcess> StartEtcdAsync()
    {
        var binary = EtcdProcess.FindBinary();
        if (binary is null)
        {
            if (Environment.GetEnvironmentVariable("KUBESHARP_REQUIRE_ETCD") == "1")
            {
                throw new InvalidOperationException("etcd is not on PATH, and KUBESHARP_REQUIRE_ETCD=1 requires it");
            }

            throw new SkipException("etcd is not on PATH (scripts/deps.sh etcd installs it; KUBESHARP_REQUIRE_ETCD=1 fails instead)");
        }

        return await EtcdProcess.StartNewAsync(binary);
    }
}
