using System.Diagnostics;
using k8s;
using k8s.Models;

namespace Kubesharp.Bench.Scheduler;

/// <summary>
/// The API server's own rates for what scheduling a pod costs it, with no scheduler running: pods created, then each
/// bound with <c>POST pods/NAME/binding</c> by many concurrent clients. A scheduler cannot bind faster than
/// <see cref="BindsPerSecond"/>; and since each measured pod is also created during the measurement, not faster than
/// <see cref="PipelinePerSecond"/> (one create and one bind per pod on the same server).
/// </summary>
internal sealed record BindCeiling(int Pods, double CreatesPerSecond, double BindsPerSecond)
{
    private const string Ns = "ceiling";

    public double PipelinePerSecond => 1 / ((1 / CreatesPerSecond) + (1 / BindsPerSecond));

    public static async Task<BindCeiling> RunAsync(Kubernetes client, int nodes, int pods, int writers)
    {
        await WorkloadRunner.CreateNamespaceAsync(client, Ns);
        var watch = Stopwatch.StartNew();
        await WorkloadRunner.ForEachAsync(pods, i => client.CoreV1.CreateNamespacedPodAsync(Templates.Pod(Name(i)), Ns), writers);
        var creates = pods / watch.Elapsed.TotalSeconds;

        watch.Restart();
        await WorkloadRunner.ForEachAsync(
            pods,
            i => client.CoreV1.CreateNamespacedPodBindingAsync(
                new V1Binding
                {
                    Metadata = new V1ObjectMeta { Name = Name(i) },
                    Target = new V1ObjectReference { ApiVersion = "v1", Kind = "Node", Name = Templates.NodeName(i % nodes) },
                },
                Name(i),
                Ns),
            writers);
        var binds = pods / watch.Elapsed.TotalSeconds;
        return new BindCeiling(pods, creates, binds);
    }

    private static string Name(int i) => "c-" + i.ToString("D5", System.Globalization.CultureInfo.InvariantCulture);
}
