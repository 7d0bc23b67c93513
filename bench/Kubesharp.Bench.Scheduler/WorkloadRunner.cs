using System.Diagnostics;
using System.Globalization;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Kubesharp.Testing;

namespace Kubesharp.Bench.Scheduler;

/// <summary>CPU seconds of the three processes over the measured phase, which lasted <see cref="Wall"/> seconds.</summary>
internal sealed record CpuUse(double Scheduler, double Server, double Bench, double Wall);

/// <summary>
/// One workload's figures: measured pods bound per second (from the first measured create to the last binding
/// seen), the scheduler's peak and final RSS, where the CPU went, and the bind ceiling when it was measured.
/// </summary>
internal sealed record WorkloadResult(
    Workload Workload,
    int Bound,
    double Seconds,
    double CreateSeconds,
    CpuUse Cpu,
    double SchedulerPeakRssMb,
    double SchedulerRssMb,
    IReadOnlyList<string> Warnings,
    BindCeiling? Ceiling)
{
    public double PodsPerSecond => Seconds > 0 ? Bound / Seconds : 0;
}

/// <summary>
/// Runs a workload on a server of its own: a fresh <c>kubesharp server</c> (SQLite, fresh data directory, no agent,
/// controller manager or scheduler), its nodes and initial pods, then <c>kubesharp scheduler</c> as a child process
/// of its own, then the measured pods; the scheduler is stopped before the bind ceiling is measured on the same server.
/// </summary>
internal sealed class WorkloadRunner(string binary, Settings settings)
{
    private const string Ns = "bench";
    private const int Writers = 64;
    private static readonly TimeSpan ProgressEvery = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan StartupBound = TimeSpan.FromMinutes(2);

    public async Task<WorkloadResult> RunAsync(Workload workload, bool bindCeiling)
    {
        var dir = Directory.CreateTempSubdirectory($"kubesharp-bench-scheduler-{workload.Name}-").FullName;
        var server = await KubesharpProcess.StartApiServerAsync(binary, dir);
        KubesharpProcess? scheduler = null;
        try
        {
            Console.WriteLine($"[{workload.Name}] {workload.Describe()}; server pid {server.Pid} on port {server.Port}, SQLite in {dir}");
            if (workload.Kind == WorkloadKind.AntiAffinity && (workload.InitialPods + workload.MeasuredPods + workload.GroupSize - 1) / workload.GroupSize > Templates.PodsPerNode)
            {
                Console.WriteLine($"[{workload.Name}] warning: more groups than pods fit on a node: some pods may have nowhere to go");
            }

            using var client = Client(server.AdminKubeconfig);
            await CreateNamespaceAsync(client, Ns);
            var clock = Stopwatch.StartNew();
            await ForEachAsync(workload.Nodes, i => CreateNodeAsync(client, Templates.Node(i, workload.Zone(i))));
            Progress(workload, $"{workload.Nodes} nodes created in {clock.Elapsed.TotalSeconds:0.0} s");

            await using var bound = await BoundPods.StartAsync(client, Ns, clock);
            var phase = clock.Elapsed;
            await ForEachAsync(workload.InitialPods, i => client.CoreV1.CreateNamespacedPodAsync(workload.Initial(i), Ns));
            Progress(workload, $"{workload.InitialPods} initial pods created in {(clock.Elapsed - phase).TotalSeconds:0.0} s");

            scheduler = KubesharpProcess.Start(binary, "scheduler", ["scheduler", "--kubeconfig", Path.Combine(dir, "scheduler.kubeconfig"), "--leader-elect=false", "--seed", "1"]);
            phase = clock.Elapsed;
            await WaitAsync(workload, "initial pods bound", () => bound.Initial, workload.InitialPods, scheduler, starting: true);
            Progress(workload, $"scheduler pid {scheduler.Pid}: {bound.Initial} initial pods bound {(clock.Elapsed - phase).TotalSeconds:0.0} s after it started");

            var created = 0;
            var cpu = Cpu(scheduler, server);
            var start = clock.Elapsed;
            using var reporting = new CancellationTokenSource();
            var reporter = ReportAsync(workload, () => $"measured: {Volatile.Read(ref created)} created, {bound.Measured} bound of {workload.MeasuredPods}", reporting.Token);
            await ForEachAsync(workload.MeasuredPods, async i =>
            {
                await client.CoreV1.CreateNamespacedPodAsync(workload.Measured(i), Ns);
                Interlocked.Increment(ref created);
            });
            var createSeconds = (clock.Elapsed - start).TotalSeconds;
            await WaitAsync(workload, "measured pods bound", () => bound.Measured, workload.MeasuredPods, scheduler, starting: false);
            await reporting.CancelAsync();
            await reporter;
            var used = Cpu(scheduler, server);
            var wall = (clock.Elapsed - start).TotalSeconds;
            var boundMeasured = bound.Measured;
            var seconds = boundMeasured > 0 ? (bound.LastMeasuredAt - start).TotalSeconds : 0;
            var peakRss = ProcessStats.PeakRssMegabytes(scheduler.Pid);
            var rss = ProcessStats.RssMegabytes(scheduler.Pid);

            var warnings = Checks.Run(workload, await ListPodsAsync(client, Ns));
            await scheduler.DisposeAsync();
            var ceiling = bindCeiling ? await BindCeiling.RunAsync(client, workload.Nodes, workload.MeasuredPods, Writers) : null;
            return new WorkloadResult(workload, boundMeasured, seconds, createSeconds, new CpuUse(used.Scheduler - cpu.Scheduler, used.Server - cpu.Server, used.Bench - cpu.Bench, wall), peakRss, rss, warnings, ceiling);
        }
        finally
        {
            if (scheduler is not null)
            {
                await scheduler.DisposeAsync();
            }

            await server.DisposeAsync();
            Directory.Delete(dir, recursive: true);
        }
    }

    public static Kubernetes Client(string kubeconfig)
    {
        var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig);
        // No client-side limit: requests beyond one HTTP/2 connection's streams open another connection.
        config.FirstMessageHandlerSetup = handler => handler.EnableMultipleHttp2Connections = true;
        return new Kubernetes(config);
    }

    /// <summary>A namespace and its <c>default</c> ServiceAccount (the server admits pods only with it; no controller makes it here).</summary>
    public static async Task CreateNamespaceAsync(Kubernetes client, string ns)
    {
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } });
        await client.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = "default" } }, ns);
    }

    /// <summary>Runs <paramref name="action"/> for 0..count-1 on <paramref name="writers"/> concurrent clients; a request the server sheds (429, 5xx) is tried again.</summary>
    public static async Task ForEachAsync(int count, Func<int, Task> action, int writers = Writers)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, writers).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                for (var attempt = 1; ; attempt++)
                {
                    try
                    {
                        await action(i);
                        break;
                    }
                    catch (HttpOperationException e) when (attempt < 5 && (e.Response.StatusCode == HttpStatusCode.TooManyRequests || (int)e.Response.StatusCode >= 500))
                    {
                        await Task.Delay(100 * attempt);
                    }
                }
            }
        })));
    }

    private static async Task CreateNodeAsync(Kubernetes client, V1Node node)
    {
        // The server drops the status of a created node, as upstream's does: the kubelet reports it afterwards.
        var status = node.Status;
        var created = await client.CoreV1.CreateNodeAsync(node);
        created.Status = status;
        await client.CoreV1.ReplaceNodeStatusAsync(created, created.Metadata.Name);
    }

    private static async Task<List<V1Pod>> ListPodsAsync(Kubernetes client, string ns)
    {
        var pods = new List<V1Pod>();
        string? next = null;
        do
        {
            var page = await client.CoreV1.ListNamespacedPodAsync(ns, limit: 2000, continueParameter: next);
            pods.AddRange(page.Items);
            next = page.Metadata.ContinueProperty;
        }
        while (!string.IsNullOrEmpty(next));

        return pods;
    }

    /// <summary>
    /// Waits until <paramref name="count"/> reaches <paramref name="expected"/>, or it stopped moving for the stall
    /// bound (at the start, for <see cref="StartupBound"/> when <paramref name="starting"/>: the scheduler syncs its
    /// informers first), or the scheduler died.
    /// </summary>
    private async Task WaitAsync(Workload workload, string what, Func<int> count, int expected, KubesharpProcess scheduler, bool starting)
    {
        var limit = starting ? StartupBound : settings.Stall;
        var last = count();
        var moved = Stopwatch.StartNew();
        var report = Stopwatch.StartNew();
        while (last < expected)
        {
            if (scheduler.HasExited)
            {
                throw new InvalidOperationException($"the scheduler exited while waiting for {what}: {scheduler.LastLines()}");
            }

            if (moved.Elapsed > limit)
            {
                Progress(workload, $"warning: gave up waiting for {what}: {last} of {expected}, none more for {limit.TotalSeconds:0} s");
                return;
            }

            await Task.Delay(20);
            var now = count();
            if (now != last)
            {
                last = now;
                moved.Restart();
                limit = settings.Stall;
            }

            if (starting && report.Elapsed > ProgressEvery)
            {
                Progress(workload, $"{what}: {last} of {expected}");
                report.Restart();
            }
        }
    }

    private static async Task ReportAsync(Workload workload, Func<string> line, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(ProgressEvery);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                Progress(workload, $"{line()}");
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static (double Scheduler, double Server, double Bench) Cpu(KubesharpProcess scheduler, KubesharpProcess server) =>
        (ProcessStats.CpuSeconds(scheduler.Pid), ProcessStats.CpuSeconds(server.Pid), ProcessStats.CpuSeconds(Environment.ProcessId));

    private static void Progress(Workload workload, FormattableString line) =>
        Console.Error.WriteLine($"  [{workload.Name}] {line.ToString(CultureInfo.InvariantCulture)}");
}
