using System.Globalization;
using Kubesharp.Bench.Storage;
using Kubesharp.Storage;
using Kubesharp.Storage.Memory;
using Kubesharp.Storage.Sqlite;
using Kubesharp.Testing;

// make bench-storage: one workload, three backends, one run. Prints a table and the summary line:
// storage-bench: sqlite_w1=.. sqlite_w64=.. etcd_w1=.. etcd_w64=.. ratio_w64=..
// `snapshot` as the first argument runs only the snapshot benchmark (SnapshotBench.cs), which otherwise runs last.
if (args is ["snapshot", ..])
{
    await RunSnapshotBenchAsync();
    return 0;
}

var seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 3.0;
var workload = new Workload(TimeSpan.FromSeconds(seconds));
var results = new List<BackendResult>();

var dir = Path.Combine(Path.GetTempPath(), "kubesharp-bench-" + Guid.NewGuid().ToString("N"));
Directory.CreateDirectory(dir);
try
{
    Console.WriteLine($"storage-bench: {seconds:0.#} s per measurement, 1 KB values, durable settings (SQLite WAL + fdatasync per group commit, etcd fsync)");

    await using (var sqlite = await SqliteStore.OpenAsync(new SqliteStoreOptions { Path = Path.Combine(dir, "state.db"), CompactionInterval = TimeSpan.Zero }))
    {
        results.Add(await workload.RunAsync("sqlite", sqlite));
    }

    if (EtcdProcess.FindBinary() is not { } etcdBinary)
    {
        Console.WriteLine("etcd is not installed (scripts/deps.sh etcd): the etcd column is missing");
    }
    else
    {
        await using var etcdProcess = await EtcdProcess.StartNewAsync(etcdBinary);
        await using var etcd = await StoreFactory.OpenAsync(StoreOptions.Parse($"etcd://127.0.0.1:{etcdProcess.ClientPort}", dir));
        await Workload.WaitUntilWritableAsync(etcd);
        results.Add(await workload.RunAsync("etcd", etcd));
    }

    await using (var memory = new MemoryStore())
    {
        results.Add(await workload.RunAsync("memory", memory));
    }
}
finally
{
    Directory.Delete(dir, recursive: true);
}

Console.WriteLine();
Console.WriteLine($"{"backend",-8} {"w1 puts/s",12} {"w64 puts/s",12} {"w64 p50 ms",11} {"w64 p99 ms",11} {"watch events/s",15} {"watch p99 ms",13}");
foreach (var r in results)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{r.Backend,-8} {r.W1,12:0} {r.W64,12:0} {r.W64P50Ms,11:0.00} {r.W64P99Ms,11:0.00} {r.WatchDeliveriesPerSecond,15:0} {r.WatchP99Ms,13:0.00}"));
}

Console.WriteLine("(watch: 100 watchers on one prefix; events/s counts deliveries to all watchers; p99 is write-commit to delivery)");
var s = results.Single(r => r.Backend == "sqlite");
var e = results.SingleOrDefault(r => r.Backend == "etcd");
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"storage-bench: sqlite_w1={s.W1:0} sqlite_w64={s.W64:0} etcd_w1={e?.W1 ?? 0:0} etcd_w64={e?.W64 ?? 0:0} ratio_w64={(e is null || e.W64 == 0 ? 0 : s.W64 / e.W64):0.00}"));
await RunSnapshotBenchAsync();
return 0;

static async Task RunSnapshotBenchAsync()
{
    var dir = Path.Combine(Path.GetTempPath(), "kubesharp-bench-snapshot-" + Guid.NewGuid().ToString("N"));
    Directory.CreateDirectory(dir);
    try
    {
        await SnapshotBench.RunAsync(dir);
    }
    finally
    {
        Directory.Delete(dir, recursive: true);
    }
}
