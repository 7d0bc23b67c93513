using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Kubesharp.Bench.Api;
using Kubesharp.Storage;
using Kubesharp.Storage.Sqlite;
using Kubesharp.Testing;

// make bench-api: the real `kubesharp server` (SQLite, durable) as a child process, driven over HTTPS; its
// in-process controller manager is off, so that the figures are the API server's alone.
// Usage: Kubesharp.Bench.Api <path to out/kubesharp> [pods]
var binary = Path.GetFullPath(args.Length > 0 ? args[0] : "out/kubesharp");
var pods = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10_000;
var dir = Directory.CreateTempSubdirectory("kubesharp-bench-api-").FullName;
var server = await KubesharpProcess.StartApiServerAsync(binary, dir);
var port = server.Port;
try
{
    using var http = Client(dir, port);
    var load = new ApiLoad(http);
    Console.WriteLine($"api-bench: kubesharp server pid {server.Pid} on port {port}, SQLite in {dir}; {pods} pods of ~3 KB");
    await load.CreateNamespaceAsync("bench");

    var (createRate, createP50, createP99) = await load.CreateClosedLoopAsync("bench", pods, writers: 64);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  64 clients created {pods} pods: {createRate:0}/s, p50 {createP50:0.0} ms, p99 {createP99:0.0} ms"));
    var (_, paced50, paced99) = await load.CreateOpenLoopAsync("paced", perSecond: 1000, TimeSpan.FromSeconds(3));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  at 1,000 creates/s: p50 {paced50:0.0} ms, p99 {paced99:0.0} ms"));
    var listMs = await load.ListMillisecondsAsync("bench", expected: pods);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  list of {pods} pods: {listMs:0} ms (best of 3)"));
    var rss = ProcessStats.RssMegabytes(server.Pid);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  server RSS with {pods + 3000} pods stored: {rss:0} MB"));
    var watchRate = await load.WatchDeliveryAsync("bench", watchers: 100, updates: 500);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  100 watchers: {watchRate:0} events/s delivered"));

    // The storage-only create rate, same machine, same run: the API's overhead as a ratio.
    await using var store = await SqliteStore.OpenAsync(new SqliteStoreOptions { Path = Path.Combine(dir, "storage-only.db"), CompactionInterval = TimeSpan.Zero });
    var storageRate = await StorageOnlyAsync(store, ApiLoad.PodJson("storage-only", "x"), pods, 64);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  storage-only: {storageRate:0} creates/s with 64 writers"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"api-bench: creates_per_s={createRate:0} p99_ms={paced99:0.0} list10k_ms={listMs:0} watch_events_per_s={watchRate:0} rss_mb_10k_pods={rss:0} api_over_storage={createRate / storageRate:0.00}"));

    await AuthBench.RunAsync(http, dir, port, Math.Min(pods, 3000));
}
finally
{
    await server.DisposeAsync();
    Directory.Delete(dir, recursive: true);
}

static HttpClient Client(string dir, int port)
{
    var tls = Path.Combine(dir, "tls");
    return AuthBench.Client(dir, port, X509Certificate2.CreateFromPemFile(Path.Combine(tls, "admin.crt"), Path.Combine(tls, "admin.key")));
}

static async Task<double> StorageOnlyAsync(IStore store, string json, int count, int writers)
{
    var value = Encoding.UTF8.GetBytes(json);
    var next = -1;
    var watch = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, writers).Select(_ => Task.Run(async () =>
    {
        int i;
        while ((i = Interlocked.Increment(ref next)) < count)
        {
            await store.CreateAsync($"/registry/pods/bench/p{i}", value);
        }
    })));
    return count / watch.Elapsed.TotalSeconds;
}
