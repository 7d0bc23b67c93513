using System.Globalization;
using Kubesharp.Bench.Scheduler;

// make bench-scheduler, after upstream's scheduler_perf: per workload a fresh `kubesharp server` (SQLite) and
// `kubesharp scheduler` as child processes, nodes and pods created by 64 clients of this process, bindings counted
// from a watch. Counts from the environment (see Settings). Usage: Kubesharp.Bench.Scheduler <path to out/kubesharp>
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var binary = Path.GetFullPath(args.Length > 0 ? args[0] : "out/kubesharp");
var settings = Settings.FromEnvironment();
var runner = new WorkloadRunner(binary, settings);
Console.WriteLine($"scheduler-bench: {Environment.ProcessorCount} cores shared by the server, the scheduler and this driver; a fresh server and scheduler per workload; progress on stderr");

var results = new List<WorkloadResult>();
foreach (var workload in settings.Selected())
{
    var result = await runner.RunAsync(workload, bindCeiling: workload.Kind == WorkloadKind.Basic);
    results.Add(result);
    var name = workload.Name;
    var cpu = result.Cpu;
    var window = Math.Max(cpu.Wall, 0.001);
    Console.WriteLine($"  {name}: {result.Bound} of {workload.MeasuredPods} measured pods bound in {result.Seconds:0.0} s: {result.PodsPerSecond:0} pods/s (all created after {result.CreateSeconds:0.0} s: {workload.MeasuredPods / result.CreateSeconds:0} creates/s)");
    Console.WriteLine($"  {name}: CPU over the measurement ({cpu.Wall:0.0} s): scheduler {cpu.Scheduler:0.0} s ({cpu.Scheduler / window:0.00} cores, {PerPod(cpu.Scheduler, result.Bound)} ms/pod), server {cpu.Server:0.0} s ({cpu.Server / window:0.00} cores, {PerPod(cpu.Server, result.Bound)} ms/pod), this driver {cpu.Bench:0.0} s");
    Console.WriteLine($"  {name}: scheduler RSS peak {result.SchedulerPeakRssMb:0} MB, at the end {result.SchedulerRssMb:0} MB");
    foreach (var warning in result.Warnings)
    {
        Console.WriteLine($"  warning: {name}: {warning}");
    }

    if (result.Ceiling is { } ceiling)
    {
        Console.WriteLine($"  bind ceiling (same server, scheduler stopped, {workload.Nodes} nodes): {ceiling.Pods} pods created at {ceiling.CreatesPerSecond:0}/s, then bound by POST pods/NAME/binding at {ceiling.BindsPerSecond:0}/s by 64 clients; a create and a bind per pod: at most {ceiling.PipelinePerSecond:0} pods/s end to end");
    }
}

var basic = results.FirstOrDefault(r => r.Workload.Kind == WorkloadKind.Basic);
Console.WriteLine(
    $"scheduler-bench: basic_{basic?.Workload.Nodes ?? settings.Nodes}n_pods_per_s={Figure(basic?.PodsPerSecond)}"
    + $" spread_pods_per_s={Figure(results.FirstOrDefault(r => r.Workload.Kind == WorkloadKind.Spread)?.PodsPerSecond)}"
    + $" antiaffinity_pods_per_s={Figure(results.FirstOrDefault(r => r.Workload.Kind == WorkloadKind.AntiAffinity)?.PodsPerSecond)}"
    + $" bind_ceiling_per_s={Figure(basic?.Ceiling?.BindsPerSecond)}"
    + $" sched_rss_mb={Figure(results.Count > 0 ? results.Max(r => r.SchedulerPeakRssMb) : null)}");

static string PerPod(double seconds, int pods) => pods > 0 ? (seconds * 1000 / pods).ToString("0.00", CultureInfo.InvariantCulture) : "-";

static string Figure(double? value) => value is { } v ? v.ToString("0", CultureInfo.InvariantCulture) : "n/a";
