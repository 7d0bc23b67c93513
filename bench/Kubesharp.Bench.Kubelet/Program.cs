using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using k8s;
using k8s.Models;
using Kubesharp.Kubelet.Cri;
using Kubesharp.Kubelet.Cri.V1;
using Kubesharp.Testing;
using Kubesharp.Testing.Runtime;

// make bench-kubelet: pod startup latency as upstream's SLO measures it (creation to Running and Ready, observed
// through a watch) on one node with its images present: 100 pods at 5 pods/s, then 100 at once; and, in the same run,
// the raw CRI time of a sandbox + create + start without any kubelet, as the baseline. The server (with the scheduler
// and controllers, no agent) and the agent run as `kubesharp` child processes. Usage: Kubesharp.Bench.Kubelet <out/kubesharp>
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var binary = Path.GetFullPath(args.Length > 0 ? args[0] : "out/kubesharp");
var paced = int.TryParse(Environment.GetEnvironmentVariable("PACED_PODS"), out var p) ? p : 100;
var burst = int.TryParse(Environment.GetEnvironmentVariable("BURST_PODS"), out var b) ? b : 100;
var rawSamples = int.TryParse(Environment.GetEnvironmentVariable("RAW_PODS"), out var r) ? r : 20;
var warmPods = int.TryParse(Environment.GetEnvironmentVariable("WARM_PODS"), out var w) ? w : 1;
const double PodsPerSecond = 5;

var runtime = ContainerRuntimeEnvironment.Get();
if (!runtime.Available)
{
    Console.Error.WriteLine($"kubelet-bench: no container runtime: {runtime.SkipReason}");
    return 1;
}

var dir = Directory.CreateTempSubdirectory("kubesharp-bench-kubelet-").FullName;
Console.WriteLine($"kubelet-bench: {Environment.ProcessorCount} cores shared by containerd, the server, the agent and this driver; progress on stderr");
await using var server = await KubesharpProcess.StartServerAsync(binary, dir, ["--disable-agent", "--scheduler-secure-port", "0"]);
var nodeName = "bench-" + Guid.NewGuid().ToString("N")[..6];
await using var agent = KubesharpProcess.Start(binary, "agent", ["agent", "--kubeconfig", server.AdminKubeconfig, "--node-name", nodeName, "--data-dir", Path.Combine(dir, "agent"), "--containerd-socket", runtime.Socket, "--port", FreePorts.Next().ToString(CultureInfo.InvariantCulture)]);
using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(server.AdminKubeconfig));

// The agent's per-pod start trace (kubelet.podstart): "pod-start bench/NAME: first_sync=3 sandbox_created=250 ...",
// each step in milliseconds from when the kubelet's informer delivered the pod.
var traces = new ConcurrentDictionary<string, Dictionary<string, double>>();
agent.LineReceived += line =>
{
    var at = line.IndexOf("pod-start bench/", StringComparison.Ordinal);
    if (at < 0)
    {
        return;
    }

    var rest = line[(at + "pod-start bench/".Length)..];
    var colon = rest.IndexOf(':', StringComparison.Ordinal);
    if (colon < 0)
    {
        return;
    }

    var steps = new Dictionary<string, double>(StringComparer.Ordinal);
    foreach (var pair in rest[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
    {
        var eq = pair.IndexOf('=', StringComparison.Ordinal);
        if (eq > 0 && double.TryParse(pair[(eq + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var ms))
        {
            steps[pair[..eq]] = ms;
        }
    }

    traces[rest[..colon]] = steps;
};

await WaitNodeReadyAsync(client, nodeName);
var ns = "bench";
await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } });
await WaitAsync(async () => (await client.CoreV1.ListNamespacedServiceAccountAsync(ns)).Items.Any(a => a.Metadata.Name == "default"), "the default service account");

var readyAt = new ConcurrentDictionary<string, long>();
var boundAt = new ConcurrentDictionary<string, long>();
var clock = Stopwatch.StartNew();
using var watchStop = new CancellationTokenSource();
var watcher = WatchReadyAsync(client, ns, readyAt, boundAt, clock, watchStop.Token);

// Warm-up: one pod by default, so that first-use costs (image status caches, the first JIT) are not in the figures.
// WARM_PODS=N starts N at the paced rate and deletes them first: the freshly started server and agent still JIT (and
// re-JIT at tier 1) much of their start path during the first pods (scripts/cpu-account.py shows it), which a node
// that has run for a while no longer does.
if (warmPods > 1)
{
    await RunPodsAsync(warmPods, PodsPerSecond, "warm");
    await DeleteAllAsync();
}
else
{
    await RunPodsAsync(1, 0, "warm");
}

var pacedLatencies = await RunPodsAsync(paced, PodsPerSecond, "paced");
await DeleteAllAsync();
var burstLatencies = await RunPodsAsync(burst, 0, "burst");
var agentRss = ProcessStats.PeakRssMegabytes(agent.Pid);
var agentRssNow = ProcessStats.RssMegabytes(agent.Pid);
await DeleteAllAsync();
await watchStop.CancelAsync();
await watcher.ContinueWith(_ => { }, TaskScheduler.Default);

var rawCpu = MachineCpuSeconds();
var rawWall = Stopwatch.StartNew();
var raw = await RawCriAsync(runtime.Socket, rawSamples);
rawCpu = MachineCpuSeconds() - rawCpu;

var p50 = Percentile(pacedLatencies, 0.50);
var p99 = Percentile(pacedLatencies, 0.99);
var burstP99 = Percentile(burstLatencies, 0.99);
var rawP50 = Percentile(raw, 0.50);
Console.WriteLine($"  paced: {pacedLatencies.Count} pods at {PodsPerSecond}/s: creation to Ready p50 {p50:0} ms, p90 {Percentile(pacedLatencies, 0.9):0} ms, p99 {p99:0} ms, max {pacedLatencies.Max():0} ms");
Console.WriteLine($"  burst: {burstLatencies.Count} pods at once: p50 {Percentile(burstLatencies, 0.5):0} ms, p99 {burstP99:0} ms, max {burstLatencies.Max():0} ms");
Console.WriteLine($"  raw CRI (same containerd, no kubelet, sequential): sandbox + create + start p50 {rawP50:0} ms, p99 {Percentile(raw, 0.99):0} ms over {raw.Count}; the machine was busy {rawCpu / raw.Count:0.00} CPU-s per pod for start + stop + remove ({rawCpu / (rawWall.Elapsed.TotalSeconds * Environment.ProcessorCount):P0} of its cores)");
var agentExecutable = new FileInfo($"/proc/{agent.Pid}/exe").LinkTarget is { } exe ? Path.GetFileName(exe) : "?";
Console.WriteLine($"  agent RSS: peak {agentRss:0} MB, at the end {agentRssNow:0} MB ({agentExecutable}; with its kubelet HTTPS server and kube-proxy)");
Console.WriteLine($"kubelet-bench: p50_ms={p50:0} p99_ms={p99:0} burst100_p99_ms={burstP99:0} raw_cri_p50_ms={rawP50:0} overhead_ratio={p50 / rawP50:0.00} agent_rss_mb={agentRss:0}");
try
{
    Directory.Delete(dir, recursive: true);
}
catch (IOException)
{
    // Left for the OS.
}

return 0;

async Task<List<double>> RunPodsAsync(int count, double rate, string prefix)
{
    // A marker for tools that watch one phase (scripts/cpu-account.py).
    Console.Error.WriteLine($"kubelet-bench: {prefix}: creating {count} pods");
    var cpuBefore = (Agent: ProcessStats.CpuSeconds(agent.Pid), Server: ProcessStats.CpuSeconds(server.Pid), Machine: MachineCpuSeconds());
    var wall = Stopwatch.StartNew();
    var created = new ConcurrentDictionary<string, long>();
    var creates = new List<Task>();
    var start = clock.Elapsed;
    for (var i = 0; i < count; i++)
    {
        var name = $"{prefix}-{i}";
        if (rate > 0 && start + TimeSpan.FromSeconds(i / rate) - clock.Elapsed is { } delay && delay > TimeSpan.Zero)
        {
            await Task.Delay(delay);
        }

        creates.Add(CreateAsync(name, created));
    }

    await Task.WhenAll(creates);
    var deadline = clock.Elapsed + TimeSpan.FromMinutes(5);
    while (created.Keys.Any(n => !readyAt.ContainsKey(n)) && clock.Elapsed < deadline)
    {
        await Task.Delay(50);
    }

    var missing = created.Keys.Count(n => !readyAt.ContainsKey(n));
    if (missing > 0)
    {
        Console.WriteLine($"  warning: {prefix}: {missing} pods never became Ready");
    }

    var latencies = created.Where(c => readyAt.ContainsKey(c.Key)).Select(c => (readyAt[c.Key] - c.Value) * 1000.0 / Stopwatch.Frequency).ToList();
    Console.Error.WriteLine($"kubelet-bench: {prefix}: {latencies.Count} pods Ready");
    if (count > 1)
    {
        Breakdown(prefix, created);
        var machine = MachineCpuSeconds() - cpuBefore.Machine;
        Console.WriteLine($"  {prefix} CPU over {wall.Elapsed.TotalSeconds:0.0} s wall: machine {machine:0.0} s busy of {wall.Elapsed.TotalSeconds * Environment.ProcessorCount:0.0}; agent {ProcessStats.CpuSeconds(agent.Pid) - cpuBefore.Agent:0.0} s, server {ProcessStats.CpuSeconds(server.Pid) - cpuBefore.Server:0.0} s, the rest (containerd, shims, runc, CNI, this driver, others) {machine - (ProcessStats.CpuSeconds(agent.Pid) - cpuBefore.Agent) - (ProcessStats.CpuSeconds(server.Pid) - cpuBefore.Server):0.0} s");
    }

    return latencies;
}

// Where the time went, p50 / p99 in ms: creation to bound (the scheduler, seen through the watch) and bound to Ready (seen
// through the watch), then the kubelet's own steps from its informer delivering the pod.
void Breakdown(string prefix, ConcurrentDictionary<string, long> created)
{
    static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
    var bound = created.Where(c => boundAt.ContainsKey(c.Key)).Select(c => Ms(boundAt[c.Key] - c.Value)).ToList();
    var toReady = created.Where(c => boundAt.ContainsKey(c.Key) && readyAt.ContainsKey(c.Key)).Select(c => Ms(readyAt[c.Key] - boundAt[c.Key])).ToList();
    var line = new System.Text.StringBuilder($"  {prefix} breakdown p50/p99 ms: created->bound {Percentile(bound, 0.5):0}/{Percentile(bound, 0.99):0}, bound->Ready {Percentile(toReady, 0.5):0}/{Percentile(toReady, 0.99):0}; kubelet from seen:");
    var mine = created.Keys.Where(traces.ContainsKey).Select(n => traces[n]).ToList();
    foreach (var step in new[] { "first_sync", "sandbox_created", "sandbox_ready", "image_ready", "container_created", "container_started", "status_built", "status_written" })
    {
        var values = mine.Where(t => t.ContainsKey(step)).Select(t => t[step]).ToList();
        if (values.Count > 0)
        {
            line.Append(CultureInfo.InvariantCulture, $" {step} {Percentile(values, 0.5):0}/{Percentile(values, 0.99):0}");
        }
    }

    Console.WriteLine(line.Append(CultureInfo.InvariantCulture, $" ({mine.Count} traced)").ToString());
}

async Task CreateAsync(string name, ConcurrentDictionary<string, long> created)
{
    var pod = new V1Pod
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["app"] = "bench" } },
        Spec = new V1PodSpec
        {
            TerminationGracePeriodSeconds = 0,
            AutomountServiceAccountToken = false,
            Containers = [new V1Container { Name = "c", Image = ContainerRuntimeEnvironment.BusyboxImage, Command = ["sleep", "3600"], ImagePullPolicy = "IfNotPresent" }],
        },
    };
    created[name] = clock.ElapsedTicks;
    await client.CoreV1.CreateNamespacedPodAsync(pod, ns);
}

async Task DeleteAllAsync()
{
    await client.CoreV1.DeleteCollectionNamespacedPodAsync(ns, gracePeriodSeconds: 0);
    await WaitAsync(async () => (await client.CoreV1.ListNamespacedPodAsync(ns)).Items.Count == 0, "all pods deleted", TimeSpan.FromMinutes(3));

    // A grace period of 0 removes the pods from the API at once, while the kubelet is still stopping and removing their
    // sandboxes (runc kill and delete, a CNI DEL per sandbox): the next phase would measure its starts plus 100
    // teardowns. Wait for the runtime to have none of them left.
    using var cri = new CriClient(runtime.Socket);
    await WaitAsync(async () => !(await cri.ListPodSandboxesAsync()).Any(s => s.Metadata.Namespace == ns), "the runtime to remove the deleted pods", TimeSpan.FromMinutes(3));
}

static async Task WatchReadyAsync(Kubernetes client, string ns, ConcurrentDictionary<string, long> readyAt, ConcurrentDictionary<string, long> boundAt, Stopwatch clock, CancellationToken cancellationToken)
{
    while (!cancellationToken.IsCancellationRequested)
    {
        try
        {
            await foreach (var (_, pod) in client.CoreV1.WatchListNamespacedPodAsync(ns, cancellationToken: cancellationToken))
            {
                if (!string.IsNullOrEmpty(pod.Spec?.NodeName))
                {
                    boundAt.TryAdd(pod.Metadata.Name, clock.ElapsedTicks);
                }

                if (pod.Status?.Phase == "Running" && pod.Status.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true)
                {
                    readyAt.TryAdd(pod.Metadata.Name, clock.ElapsedTicks);
                }
            }
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(100, CancellationToken.None);
        }
        catch (Exception)
        {
            return;
        }
    }
}

static async Task<List<double>> RawCriAsync(string socket, int count)
{
    using var cri = new CriClient(socket);
    var results = new List<double>();
    for (var i = 0; i < count; i++)
    {
        var uid = Guid.NewGuid().ToString();
        var sandbox = new PodSandboxConfig
        {
            Metadata = new PodSandboxMetadata { Name = $"raw-{i}", Namespace = "bench-raw", Uid = uid },
            Hostname = $"raw-{i}",
            LogDirectory = Path.Combine(Path.GetTempPath(), "kubesharp-raw-cri", uid),
            Linux = new LinuxPodSandboxConfig { CgroupParent = $"/kubepods/besteffort/pod{uid}" },
        };
        Directory.CreateDirectory(sandbox.LogDirectory);
        var container = new ContainerConfig
        {
            Metadata = new ContainerMetadata { Name = "c" },
            Image = new ImageSpec { Image = ContainerRuntimeEnvironment.BusyboxImage },
            LogPath = "c.log",
        };
        container.Command.AddRange(["sleep", "3600"]);
        var watch = Stopwatch.StartNew();
        var id = await cri.RunPodSandboxAsync(sandbox);
        var cid = await cri.CreateContainerAsync(id, container, sandbox);
        await cri.StartContainerAsync(cid);
        results.Add(watch.Elapsed.TotalMilliseconds);
        await cri.StopContainerAsync(cid, TimeSpan.Zero);
        await cri.StopPodSandboxAsync(id);
        await cri.RemovePodSandboxAsync(id);
        Directory.Delete(sandbox.LogDirectory, recursive: true);
    }

    return results;
}

static async Task WaitNodeReadyAsync(Kubernetes client, string node)
{
    await WaitAsync(
        async () =>
        {
            try
            {
                return (await client.CoreV1.ReadNodeAsync(node)).Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;
            }
            catch (k8s.Autorest.HttpOperationException)
            {
                return false;
            }
        },
        $"node {node} Ready",
        TimeSpan.FromMinutes(2));
}

static async Task WaitAsync(Func<Task<bool>> condition, string what, TimeSpan? bound = null)
{
    var deadline = DateTime.UtcNow + (bound ?? TimeSpan.FromMinutes(1));
    while (!await condition())
    {
        if (DateTime.UtcNow > deadline)
        {
            throw new TimeoutException($"kubelet-bench: {what} did not happen");
        }

        await Task.Delay(100);
    }
}

// Busy CPU seconds of the whole machine (every core: user, nice, system, irq, softirq, steal), from /proc/stat.
static double MachineCpuSeconds()
{
    var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
    long Field(int i) => long.Parse(fields[i], CultureInfo.InvariantCulture);
    return (Field(1) + Field(2) + Field(3) + Field(6) + Field(7) + Field(8)) / 100.0;
}

static double Percentile(List<double> values, double q)
{
    if (values.Count == 0)
    {
        return double.NaN;
    }

    var sorted = values.OrderBy(v => v).ToList();
    var index = (int)Math.Ceiling(q * sorted.Count) - 1;
    return sorted[Math.Clamp(index, 0, sorted.Count - 1)];
}
