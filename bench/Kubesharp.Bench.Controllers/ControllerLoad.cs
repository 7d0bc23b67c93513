using System.Diagnostics;
using k8s;
using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Client.Controllers;
using Kubesharp.Client.Events;
using Kubesharp.Controllers;
using Kubesharp.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.Bench.Controllers;

internal sealed record Phase(int Pods, double Seconds, double CpuSeconds, double RssMb);

/// <summary>
/// The controllers of <see cref="WorkloadControllers.All"/> (and the garbage collector, when
/// <see cref="CoreControllers.All"/> has one) in a host of this process, and the load: Deployments created at
/// once, pods counted through the controllers' own pod cache.
/// </summary>
internal sealed class ControllerLoad : IAsyncDisposable
{
    private const string Ns = "bench";
    private const int Writers = 64;
    private const int Collectors = 16;

    private readonly Kubernetes _client;
    private readonly SharedInformerFactory _informers;
    private readonly SharedIndexInformer<V1Pod> _pods;
    private readonly List<EventRecorder> _recorders = [];
    private readonly ControllerHost _host = new(NullLogger.Instance);
    private readonly CancellationTokenSource _stop = new();
    private Task? _running;
    private int _deployments;

    private ControllerLoad(Kubernetes client)
    {
        _client = client;
        _informers = new SharedInformerFactory(new KubernetesListWatchFactory(client), TimeProvider.System, NullLoggerFactory.Instance);
        _pods = _informers.GetInformer<V1Pod>();
    }

    public List<string> ControllerNames { get; } = [];

    public bool HasGarbageCollector { get; private set; }

    public long Failures => _host.Controllers.OfType<QueueController>().Sum(c => c.Failures);

    public static async Task<ControllerLoad> StartAsync(string kubeconfig)
    {
        var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig);
        // No client-side limits: the package has no rate limiter (client-go's default is 20 QPS), and
        // requests beyond one HTTP/2 connection's streams open another connection instead of queueing.
        config.FirstMessageHandlerSetup = handler => handler.EnableMultipleHttp2Connections = true;
        var load = new ControllerLoad(new Kubernetes(config));
        await load.RunControllersAsync();
        return load;
    }

    private async Task RunControllersAsync()
    {
        ILoggerFactory loggers = Environment.GetEnvironmentVariable("KUBESHARP_BENCH_LOG") == "1" ? new StderrLoggerFactory() : NullLoggerFactory.Instance;
        var context = new ControllerContext(_client, _informers, Recorder, TimeProvider.System, loggers);
        var descriptors = WorkloadControllers.All.ToList();
        if (CoreControllers.All.FirstOrDefault(d => d.Name == Kubesharp.Controllers.GarbageCollector.GarbageCollectorController.ControllerName) is { } gc)
        {
            descriptors.Add(gc);
            HasGarbageCollector = true;
        }

        foreach (var descriptor in descriptors)
        {
            _host.Add(descriptor.Create(context), descriptor.DefaultWorkers);
            ControllerNames.Add(descriptor.Name);
        }

        _running = _host.RunAsync(_informers, _stop.Token);
        using var sync = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        if (!await _informers.WaitForCacheSyncAsync(sync.Token))
        {
            throw new TimeoutException("the informers did not sync");
        }

        await _client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = Ns } });
        // What the serviceaccount controller would make: the server admits pods only with their ServiceAccount.
        await _client.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = "default" } }, Ns);
    }

    private EventRecorder Recorder(string component)
    {
        lock (_recorders)
        {
            var recorder = new EventRecorder(new KubernetesEventSink(_client), new EventRecorderOptions { Component = component }, TimeProvider.System, NullLogger.Instance);
            recorder.Start();
            _recorders.Add(recorder);
            return recorder;
        }
    }

    /// <summary>Creates the Deployments (64 at a time) and waits until every pod is in the controllers' cache.</summary>
    public async Task<Phase> CreateAsync(int deployments, int replicas)
    {
        _deployments = deployments;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        await ForEachAsync(deployments, i => _client.AppsV1.CreateNamespacedDeploymentAsync(Deployment(i, replicas), Ns));
        var expected = deployments * replicas;
        await WaitForAsync(() => _pods.Indexer.Count == expected, $"{expected} pods", TimeSpan.FromMinutes(30));
        var seconds = watch.Elapsed.TotalSeconds;
        return new Phase(expected, seconds, (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds, ProcessStats.RssMegabytes(Environment.ProcessId));
    }

    /// <summary>Deletes everything and waits until no pod is left.</summary>
    public async Task<Phase> DeleteAsync()
    {
        var pods = _pods.Indexer.Count;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        var background = new V1DeleteOptions { PropagationPolicy = "Background" };
        if (HasGarbageCollector)
        {
            await ForEachAsync(_deployments, i => _client.AppsV1.DeleteNamespacedDeploymentAsync(Name(i), Ns, background));
        }
        else
        {
            // Without a garbage collector nothing cascades: the owners go first (or they would make new pods),
            // then each ReplicaSet's pods by one deletecollection on its pod-template-hash.
            var replicaSets = (await _client.AppsV1.ListNamespacedReplicaSetAsync(Ns)).Items;
            await ForEachAsync(_deployments, i => _client.AppsV1.DeleteNamespacedDeploymentAsync(Name(i), Ns, background));
            await _client.AppsV1.DeleteCollectionNamespacedReplicaSetAsync(Ns, background, labelSelector: "group=bench");
            // Fewer at once: each deletecollection has the server read the whole namespace.
            await ForEachAsync(replicaSets.Count, Collectors, i =>
            {
                var rs = replicaSets[i];
                var selector = $"app={rs.Spec.Selector.MatchLabels["app"]},pod-template-hash={rs.Spec.Selector.MatchLabels["pod-template-hash"]}";
                return _client.CoreV1.DeleteCollectionNamespacedPodAsync(Ns, labelSelector: selector);
            });
        }

        await WaitForAsync(() => _pods.Indexer.Count == 0, "no pods", TimeSpan.FromMinutes(30));
        return new Phase(pods, watch.Elapsed.TotalSeconds, (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds, ProcessStats.RssMegabytes(Environment.ProcessId));
    }

    private static string Name(int i) => "d" + i.ToString("D5", System.Globalization.CultureInfo.InvariantCulture);

    private static V1Deployment Deployment(int i, int replicas)
    {
        var labels = new Dictionary<string, string> { ["app"] = Name(i), ["group"] = "bench" };
        return new V1Deployment
        {
            Metadata = new V1ObjectMeta { Name = Name(i), Labels = new Dictionary<string, string>(labels) },
            Spec = new V1DeploymentSpec
            {
                Replicas = replicas,
                Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = Name(i) } },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = labels },
                    Spec = new V1PodSpec { Containers = [new V1Container { Name = "pause", Image = "registry.k8s.io/pause:3.10" }] },
                },
            },
        };
    }

    private static Task ForEachAsync(int count, Func<int, Task> action) => ForEachAsync(count, Writers, action);

    private static async Task ForEachAsync(int count, int parallel, Func<int, Task> action)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, parallel).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                await action(i);
            }
        })));
    }

    private static async Task WaitForAsync(Func<bool> condition, string what, TimeSpan bound)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > bound)
            {
                throw new TimeoutException($"timed out waiting for {what}");
            }

            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_running is not null)
        {
            await _running;
        }

        await _informers.DisposeAsync();
        foreach (var recorder in _recorders)
        {
            await recorder.DisposeAsync();
        }

        _client.Dispose();
        _stop.Dispose();
    }
}
