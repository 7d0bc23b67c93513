using System.Diagnostics;
using System.Globalization;
using Kubesharp.Storage.Sqlite;

namespace Kubesharp.Bench.Storage;

/// <summary>
/// <c>kubesharp datastore snapshot</c>'s two ways to copy a live store, on the same file of 10,000 objects (2 KB each,
/// a pod's size): SQLite's online backup API and <c>VACUUM INTO</c>, each idle and beside 16 writers updating objects.
/// Prints time per snapshot, the snapshot's size, and the writers' throughput while it ran; the ratio compares the two
/// methods measured in the same run.
/// </summary>
internal static class SnapshotBench
{
    private const int Objects = 10_000;
    private const int Rounds = 3;

    public static async Task RunAsync(string dir)
    {
        var path = Path.Combine(dir, "snapshot-source.db");
        // A JSON object of 2 KB (values must be JSON).
        var value = System.Text.Encoding.UTF8.GetBytes("{\"data\":\"" + new string('x', 2048 - 12) + "\"}");
        await using var store = await SqliteStore.OpenAsync(new SqliteStoreOptions { Path = path, CompactionInterval = TimeSpan.Zero });
        var revisions = new long[Objects];
        for (var start = 0; start < Objects; start += 500)
        {
            await Task.WhenAll(Enumerable.Range(start, 500).Select(async i => revisions[i] = (await store.CreateAsync($"/registry/pods/default/p{i}", value)).Revision));
        }

        Console.WriteLine();
        Console.WriteLine($"snapshot-bench: {Objects} objects of {value.Length} B, {Rounds} rounds per cell");
        Console.WriteLine($"{"method",-13} {"load",-8} {"ms/snapshot",12} {"size MB",8} {"writes/s during",16}");
        var medians = new Dictionary<(SnapshotMethod, bool), double>();
        foreach (var busy in new[] { false, true })
        {
            foreach (var method in new[] { SnapshotMethod.OnlineBackup, SnapshotMethod.VacuumInto })
            {
                var times = new List<double>();
                long size = 0;
                long writes = 0;
                double writeSeconds = 0;
                for (var round = 0; round < Rounds; round++)
                {
                    using var stop = new CancellationTokenSource();
                    var written = 0L;
                    var writers = busy
                        ? Enumerable.Range(0, 16).Select(w => Task.Run(async () =>
                        {
                            var random = new Random(w);
                            while (!stop.IsCancellationRequested)
                            {
                                var i = random.Next(Objects);
                                var result = await store.UpdateAsync($"/registry/pods/default/p{i}", value, Volatile.Read(ref revisions[i]));
                                if (result.Succeeded)
                                {
                                    Volatile.Write(ref revisions[i], result.Revision);
                                    Interlocked.Increment(ref written);
                                }
                                else if (result.Current is { } current)
                                {
                                    Volatile.Write(ref revisions[i], current.ModRevision);
                                }
                            }
                        })).ToList()
                        : [];
                    var output = Path.Combine(dir, $"snap-{method}-{busy}-{round}.db");
                    var watch = Stopwatch.StartNew();
                    var info = SqliteSnapshot.Take(path, output, method);
                    watch.Stop();
                    var during = Interlocked.Read(ref written);
                    await stop.CancelAsync();
                    await Task.WhenAll(writers);
                    times.Add(watch.Elapsed.TotalMilliseconds);
                    size = info.SizeBytes;
                    writes += during;
                    writeSeconds += watch.Elapsed.TotalSeconds;
                    File.Delete(output);
                }

                times.Sort();
                medians[(method, busy)] = times[Rounds / 2];
                var rate = busy ? (writes / writeSeconds).ToString("0", CultureInfo.InvariantCulture) : "-";
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{method,-13} {(busy ? "writes" : "idle"),-8} {times[Rounds / 2],12:0.0} {size / 1048576.0,8:0.0} {rate,16}"));
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"snapshot-bench: backup_idle_ms={medians[(SnapshotMethod.OnlineBackup, false)]:0.0} vacuum_idle_ms={medians[(SnapshotMethod.VacuumInto, false)]:0.0} backup_busy_ms={medians[(SnapshotMethod.OnlineBackup, true)]:0.0} vacuum_busy_ms={medians[(SnapshotMethod.VacuumInto, true)]:0.0} ratio_vacuum_over_backup_idle={medians[(SnapshotMethod.VacuumInto, false)] / medians[(SnapshotMethod.OnlineBackup, false)]:0.00}"));
    }
}
