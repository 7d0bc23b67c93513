using System.Globalization;
using Kubesharp.Bench.Controllers;
using Kubesharp.Testing;

// make bench-controllers: the real `kubesharp server` (SQLite) as a child process, and the workload
// controllers in this process, talking to it over HTTPS as a controller manager would.
// Usage: Kubesharp.Bench.Controllers <path to out/kubesharp> [deployments] [replicas]
var binary = Path.GetFullPath(args.Length > 0 ? args[0] : "out/kubesharp");
var deployments = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1000;
var replicas = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 10;
var dir = Directory.CreateTempSubdirectory("kubesharp-bench-controllers-").FullName;
var server = await KubesharpProcess.StartApiServerAsync(binary, dir);
try
{
    var kubeconfig = server.AdminKubeconfig;
    await using var bench = await ControllerLoad.StartAsync(kubeconfig);
    Console.WriteLine($"controllers-bench: kubesharp server pid {server.Pid} on port {server.Port}, SQLite in {dir}; {deployments} Deployments of {replicas} replicas, no kubelets");
    Console.WriteLine($"  controllers {string.Join(", ", bench.ControllerNames)} run in this process (pid {Environment.ProcessId}) through HTTPS: the cm_ figures are this process's, which also sends the benchmark's own requests");
    Console.WriteLine($"  deletion: {(bench.HasGarbageCollector ? "Deployments deleted with propagationPolicy=Background, the garbage collector cascading" : "no garbage collector yet: Deployments and ReplicaSets deleted, then each ReplicaSet's pods by deletecollection")}");

    var created = await bench.CreateAsync(deployments, replicas);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {created.Pods} pods created in {created.Seconds:0.0} s: {created.Pods / created.Seconds:0}/s; cm CPU {created.CpuSeconds:0.0} s, cm RSS {created.RssMb:0} MB (peak {ProcessStats.PeakRssMegabytes(Environment.ProcessId):0} MB), server RSS {ProcessStats.RssMegabytes(server.Pid):0} MB"));

    var deleted = await bench.DeleteAsync();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {deleted.Pods} pods deleted in {deleted.Seconds:0.0} s: {deleted.Pods / deleted.Seconds:0}/s; cm CPU {deleted.CpuSeconds:0.0} s"));
    Console.WriteLine($"  reconcile failures (retried): {bench.Failures}");
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  cm_cpu_s_create={created.CpuSeconds:0.0} cm_cpu_s_delete={deleted.CpuSeconds:0.0}"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"controllers-bench: pods_created_per_s={created.Pods / created.Seconds:0} cascade_deleted_per_s={deleted.Pods / deleted.Seconds:0} cm_rss_mb={created.RssMb:0}"));
}
finally
{
    await server.DisposeAsync();
    Directory.Delete(dir, recursive: true);
}
