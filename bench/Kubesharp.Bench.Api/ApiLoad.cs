using System.Diagnostics;
using System.Net;
using System.Text;

namespace Kubesharp.Bench.Api;

/// <summary>The API benchmark's workloads, over one HTTPS client.</summary>
internal sealed class ApiLoad(HttpClient http)
{
    private static readonly string Padding = new('x', 2200);

    /// <summary>A pod of about 3 KB, as the workload asks.</summary>
    public static string PodJson(string name, string tag) => $$$"""
        {"apiVersion":"v1","kind":"Pod","metadata":{"name":"{{{name}}}","labels":{"app":"bench","tag":"{{{tag}}}"},"annotations":{"bench/padding":"{{{Padding}}}"}},
         "spec":{"containers":[{"name":"app","image":"127.0.0.1:5000/library/busybox:1.35","command":["sleep","3600"],
         "resources":{"requests":{"cpu":"100m","memory":"64Mi"}},"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}]}],
         "restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst"}}
        """;

    /// <summary>A namespace and its <c>default</c> ServiceAccount (pods need one; the accounts controller may not have made it yet).</summary>
    public async Task CreateNamespaceAsync(string name)
    {
        await PostAsync("/api/v1/namespaces", $$$"""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"{{{name}}}"}}""");
        await PostAsync($"/api/v1/namespaces/{name}/serviceaccounts", """{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"default"}}""");
    }

    /// <summary>POSTs <paramref name="json"/>; an object that already exists is fine. Returns the response body.</summary>
    public async Task<string> PostAsync(string path, string json)
    {
        using var response = await http.PostAsync(path, Json(json));
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode is not (HttpStatusCode.Created or HttpStatusCode.Conflict or HttpStatusCode.OK))
        {
            throw new InvalidOperationException($"POST {path}: {(int)response.StatusCode} {body}");
        }

        return body;
    }

    /// <summary>Requests per second of <paramref name="path"/> POSTed with <paramref name="json"/> by 64 clients for <paramref name="length"/>.</summary>
    public async Task<double> PostRateAsync(string path, string json, TimeSpan length)
    {
        var done = 0L;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => Task.Run(async () =>
        {
            while (watch.Elapsed < length)
            {
                using var response = await http.PostAsync(path, Json(json));
                if (!response.IsSuccessStatusCode)
                {
                    throw new InvalidOperationException($"POST {path}: {(int)response.StatusCode}");
                }

                Interlocked.Increment(ref done);
            }
        })));
        return done / watch.Elapsed.TotalSeconds;
    }

    public async Task<(double PerSecond, double P50, double P99)> CreateClosedLoopAsync(string ns, int count, int writers)
    {
        var latencies = new double[count];
        var next = -1;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, writers).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                latencies[i] = await CreateAsync(ns, $"p{i}", "closed");
            }
        })));
        var elapsed = watch.Elapsed.TotalSeconds;
        Array.Sort(latencies);
        return (count / elapsed, latencies[count / 2], latencies[(int)(count * 0.99)]);
    }

    /// <summary>Creates at a fixed rate, whatever the latency (open loop), and reports the latency.</summary>
    public async Task<(double PerSecond, double P50, double P99)> CreateOpenLoopAsync(string ns, int perSecond, TimeSpan length)
    {
        await CreateNamespaceAsync(ns);
        var total = (int)(perSecond * length.TotalSeconds);
        var tasks = new Task<double>[total];
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < total; i++)
        {
            var due = TimeSpan.FromSeconds((double)i / perSecond);
            var wait = due - watch.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }

            tasks[i] = CreateAsync(ns, $"q{i}", "open");
        }

        var latencies = await Task.WhenAll(tasks);
        Array.Sort(latencies);
        return (total / watch.Elapsed.TotalSeconds, latencies[total / 2], latencies[(int)(total * 0.99)]);
    }

    public async Task<double> ListMillisecondsAsync(string ns, int expected)
    {
        var best = double.MaxValue;
        for (var round = 0; round < 3; round++)
        {
            var watch = Stopwatch.StartNew();
            using var response = await http.GetAsync($"/api/v1/namespaces/{ns}/pods", HttpCompletionOption.ResponseContentRead);
            var body = await response.Content.ReadAsByteArrayAsync();
            best = Math.Min(best, watch.Elapsed.TotalMilliseconds);
            if (response.StatusCode != HttpStatusCode.OK || CountItems(body) < expected)
            {
                throw new InvalidOperationException($"list returned {response.StatusCode} with fewer than {expected} items");
            }
        }

        return best;
    }

    /// <summary>100 watchers on the namespace; the updates' events counted as they arrive at every watcher.</summary>
    public async Task<double> WatchDeliveryAsync(string ns, int watchers, int updates)
    {
        using var list = await http.GetAsync($"/api/v1/namespaces/{ns}/pods?limit=1");
        var rv = System.Text.Json.JsonDocument.Parse(await list.Content.ReadAsStringAsync()).RootElement.GetProperty("metadata").GetProperty("resourceVersion").GetString();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var received = new long[watchers];
        var streams = new List<Stream>();
        for (var w = 0; w < watchers; w++)
        {
            var response = await http.GetAsync($"/api/v1/namespaces/{ns}/pods?watch=true&resourceVersion={rv}", HttpCompletionOption.ResponseHeadersRead, cts.Token);
            streams.Add(await response.Content.ReadAsStreamAsync(cts.Token));
        }

        var watch = Stopwatch.StartNew();
        var readers = streams.Select((s, w) => Task.Run(async () =>
        {
            using var reader = new StreamReader(s);
            while (received[w] < updates && await reader.ReadLineAsync(cts.Token) is not null)
            {
                received[w]++;
            }
        })).ToArray();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < updates)
            {
                using var content = new StringContent("{\"metadata\":{\"labels\":{\"round\":\"r" + i + "\"}}}", Encoding.UTF8);
                content.Headers.ContentType = new("application/merge-patch+json");
                using var response = await http.PatchAsync($"/api/v1/namespaces/{ns}/pods/p{i}", content, cts.Token);
                response.EnsureSuccessStatusCode();
            }
        })));
        await Task.WhenAll(readers);
        var elapsed = watch.Elapsed.TotalSeconds;
        foreach (var s in streams)
        {
            await s.DisposeAsync();
        }

        return received.Sum() / elapsed;
    }

    private async Task<double> CreateAsync(string ns, string name, string tag)
    {
        var started = Stopwatch.GetTimestamp();
        using var response = await http.PostAsync($"/api/v1/namespaces/{ns}/pods", Json(PodJson(name, tag)));
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"create {name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static int CountItems(byte[] body)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(body);
        return doc.RootElement.GetProperty("items").GetArrayLength();
    }
}
