using System.Diagnostics;
using System.Text;
using Kubesharp.Storage;

namespace Kubesharp.Bench.Storage;

internal sealed record BackendResult(string Backend, double W1, double W64, double W64P50Ms, double W64P99Ms, double WatchDeliveriesPerSecond, double WatchP99Ms);

/// <summary>The same measurements for every backend: 1 writer, 64 writers, then 100 watchers.</summary>
internal sealed class Workload(TimeSpan duration)
{
    private const int Watchers = 100;
    private const int WatchEvents = 2000;
    private static readonly byte[] Value = MakeValue();

    public async Task<BackendResult> RunAsync(string backend, IStore store)
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        Console.WriteLine($"  {backend}: warm-up");
        await PutForAsync(store, $"/registry/bench/{run}/warm/", 4, TimeSpan.FromMilliseconds(500));
        Console.WriteLine($"  {backend}: 1 writer");
        var (w1, _) = await PutForAsync(store, $"/registry/bench/{run}/w1/", 1, duration);
        Console.WriteLine($"  {backend}: 64 writers");
        var before = (store as Kubesharp.Storage.Sqlite.SqliteStore)?.Stats.ToString();
        var (w64, latencies) = await PutForAsync(store, $"/registry/bench/{run}/w64/", 64, duration);
        if (store is Kubesharp.Storage.Sqlite.SqliteStore sqlite)
        {
            Console.WriteLine($"    writer so far: {sqlite.Stats} (before 64 writers: {before})");
        }
        Console.WriteLine($"  {backend}: {Watchers} watchers");
        var (deliveries, watchP99) = await WatchAsync(store, $"/registry/bench/{run}/watch/");
        return new BackendResult(backend, w1, w64, Percentile(latencies, 0.50), Percentile(latencies, 0.99), deliveries, watchP99);
    }

    /// <summary>etcd accepts connections a little before it accepts writes.</summary>
    public static async Task WaitUntilWritableAsync(IStore store)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await store.CreateAsync($"/registry/bench/ready-{Guid.NewGuid():N}", Value);
                return;
            }
            catch (StoreException) when (deadline.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(50);
            }
        }
    }

    private static async Task<(double PutsPerSecond, List<double> LatenciesMs)> PutForAsync(IStore store, string prefix, int writers, TimeSpan length)
    {
        var stop = Stopwatch.StartNew();
        var perWriter = new List<double>[writers];
        var counts = new long[writers];
        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            var latencies = perWriter[w] = new List<double>(4096);
            long i = 0;
            while (stop.Elapsed < length)
            {
                var started = Stopwatch.GetTimestamp();
                var r = await store.CreateAsync($"{prefix}{w}/{i++}", Value);
                latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                if (r.Status != WriteStatus.Ok)
                {
                    throw new InvalidOperationException($"put failed: {r.Status}");
                }
            }

            counts[w] = i;
        })));
        var elapsed = stop.Elapsed.TotalSeconds;
        return (counts.Sum() / elapsed, perWriter.SelectMany(l => l).ToList());
    }

    private static async Task<(double DeliveriesPerSecond, double P99Ms)> WatchAsync(IStore store, string prefix)
    {
        var start = await store.GetCurrentRevisionAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var committedAt = new long[WatchEvents];
        var revisionIndex = new System.Collections.Concurrent.ConcurrentDictionary<long, int>();
        var delays = new List<double>[Watchers];
        var watchers = Enumerable.Range(0, Watchers).Select(w =>
        {
            delays[w] = new List<double>(WatchEvents);
            var enumerator = store.WatchAsync(prefix, start, cts.Token).GetAsyncEnumerator(cts.Token);
            return (Enumerator: enumerator, Index: w);
        }).ToList();

        var stopwatch = Stopwatch.StartNew();
        var readers = watchers.Select(w => Task.Run(async () =>
        {
            await using var e = w.Enumerator;
            for (var n = 0; n < WatchEvents; n++)
            {
                if (!await e.MoveNextAsync())
                {
                    throw new InvalidOperationException("watch ended early");
                }

                var now = Stopwatch.GetTimestamp();
                if (revisionIndex.TryGetValue(e.Current.Revision, out var i) && committedAt[i] != 0)
                {
                    delays[w.Index].Add(Stopwatch.GetElapsedTime(committedAt[i], now).TotalMilliseconds);
                }
            }
        })).ToArray();

        // 8 writers produce the events; each write's acknowledgement time is the latency origin.
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < WatchEvents)
            {
                var r = await store.CreateAsync($"{prefix}{i}", Value);
                committedAt[i] = Stopwatch.GetTimestamp();
                revisionIndex[r.Revision] = i;
            }
        })));
        await Task.WhenAll(readers);
        var elapsed = stopwatch.Elapsed.TotalSeconds;
        return (Watchers * (double)WatchEvents / elapsed, Percentile(delays.SelectMany(d => d).ToList(), 0.99));
    }

    private static double Percentile(List<double> values, double p)
    {
        if (values.Count == 0)
        {
            return 0;
        }

        values.Sort();
        return values[(int)Math.Min(values.Count - 1, Math.Round(p * (values.Count - 1)))];
    }

    private static byte[] MakeValue()
    {
        var sb = new StringBuilder("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"bench","namespace":"default"},"data":{"payload":""");
        sb.Append('"');
        sb.Append('x', 1024 - sb.Length - 3);
        sb.Append("\"}}");
        return Encoding.UTF8.GetBytes(sb.ToString());
    }
}
