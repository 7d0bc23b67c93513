using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Kubesharp.Storage.Sqlite;
using Xunit.Abstractions;

namespace Kubesharp.Storage.Tests.Sqlite;

/// <summary>
/// SIGKILL a process that writes as fast as it can, then check that every write it had been told was
/// durable is in the file, with its value and revision. Several rounds on the same file.
/// </summary>
public sealed class SqliteCrashTests(ITestOutputHelper output) : IDisposable
{
    private const int Rounds = 5;
    private const int Writers = 16;

    private readonly TempDirectory _dir = new();

    [Fact]
    public async Task No_acknowledged_write_is_lost_when_the_writer_is_killed()
    {
        var path = _dir.File("state.db");
        var random = new Random(20261127);
        long previousRevision = 0;
        for (var round = 0; round < Rounds; round++)
        {
            var killAfter = random.Next(500, 4000);
            var acks = await RunAndKillAsync(path, round, killAfter);
            Assert.True(acks.Count >= killAfter, $"round {round}: only {acks.Count} acknowledgements before the child ended");

            await using var store = await SqliteStore.OpenAsync(new SqliteStoreOptions { Path = path, CompactionInterval = TimeSpan.Zero });
            var current = await store.GetCurrentRevisionAsync();
            Assert.True(current >= acks.Max(a => a.Revision), $"round {round}: current revision {current} is behind an acknowledged write");
            Assert.True(acks.Min(a => a.Revision) > previousRevision, $"round {round}: a revision was reused after reopening");
            Assert.Equal(acks.Count, acks.Select(a => a.Revision).Distinct().Count());

            // Each acknowledged write is there at its revision with its value (later writes may have replaced
            // the counter keys, so those are read at the acknowledged revision).
            foreach (var ack in acks)
            {
                var kv = await store.GetAsync(ack.Key, ack.Revision);
                Assert.True(kv is not null, $"round {round}: acknowledged write {ack.Key} at revision {ack.Revision} is missing");
                Assert.Equal(ack.Revision, kv.ModRevision);
                var seq = JsonDocument.Parse(kv.Value).RootElement.GetProperty("seq").GetInt64();
                Assert.Equal(ack.Seq, seq);
            }

            // Watch history is whole too: every revision since the round began is there, once, in order.
            var expected = current - previousRevision;
            var seen = 0L;
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await foreach (var e in store.WatchAsync("/registry/", previousRevision, cts.Token))
            {
                seen++;
                Assert.Equal(previousRevision + seen, e.Revision);
                if (e.Revision == current)
                {
                    break;
                }
            }

            Assert.Equal(expected, seen);
            output.WriteLine($"round {round}: killed after {acks.Count} acks, revision {current}");
            previousRevision = current;
        }
    }

    private static async Task<List<Ack>> RunAndKillAsync(string path, int round, int killAfter)
    {
        var exe = Path.Combine(AppContext.BaseDirectory, "Kubesharp.Storage.CrashWriter.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(exe);
        start.ArgumentList.Add(path);
        start.ArgumentList.Add(Writers.ToString(CultureInfo.InvariantCulture));
        start.ArgumentList.Add(round.ToString(CultureInfo.InvariantCulture));
        using var child = Process.Start(start)!;
        var stderr = child.StandardError.ReadToEndAsync();
        var acks = new List<Ack>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try
        {
            while (await child.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                if (line.StartsWith("ack ", StringComparison.Ordinal))
                {
                    var parts = line.Split(' ');
                    acks.Add(new Ack(parts[1], long.Parse(parts[2], CultureInfo.InvariantCulture), long.Parse(parts[3], CultureInfo.InvariantCulture)));
                    if (acks.Count == killAfter)
                    {
                        // SIGKILL: no chance to flush or close anything.
                        child.Kill();
                    }
                }
            }
        }
        finally
        {
            if (!child.HasExited)
            {
                child.Kill();
            }

            await child.WaitForExitAsync(CancellationToken.None);
        }

        Assert.True(acks.Count >= killAfter, $"child ended early (exit {child.ExitCode}): {await stderr}");
        return acks;
    }

    public void Dispose() => _dir.Dispose();

    private sealed record Ack(string Key, long Revision, long Seq);
}
