using k8s;
using k8s.Models;
using Kubesharp.Client.Cache;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.Controllers.Tests.Integration;

[Collection(WorkloadCollection.Name)]
public sealed class DeploymentIntegrationTests(WorkloadClusterFixture cluster)
{
    private Kubernetes Client => cluster.Client;

    private Task<V1Deployment> RolledOutAsync(string ns, string image) =>
        WorkloadClusterFixture.WaitForAsync($"the rollout to {image}", () => Client.AppsV1.ReadNamespacedDeploymentAsync("web", ns), d => Workloads.RolledOut(d, image));

    private async Task<List<V1Pod>> PodsAsync(string ns) => [.. (await Client.CoreV1.ListNamespacedPodAsync(ns)).Items];

    private async Task<List<V1ReplicaSet>> ReplicaSetsAsync(string ns) => [.. (await Client.AppsV1.ListNamespacedReplicaSetAsync(ns)).Items];

    [Fact]
    public async Task A_rolling_update_stays_within_max_surge_and_max_unavailable()
    {
        var ns = await cluster.NewNamespaceAsync("roll");
        await using var kubelet = new FakeKubelet(cluster.NewClient(), ns);
        await Client.AppsV1.CreateNamespacedDeploymentAsync(Workloads.Deployment("web", 4, "nginx:1", maxSurge: "1", maxUnavailable: "1"), ns);
        await RolledOutAsync(ns, "nginx:1");

        // Watch every pod change from here on: pods that exist (and are not being deleted), and of them the ready ones.
        await using var watcher = new PodWatcher(cluster.NewClient(), ns);
        await watcher.StartAsync();
        await Client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch("""{"spec":{"template":{"spec":{"containers":[{"name":"c","image":"nginx:2"}]}}}}""", V1Patch.PatchType.StrategicMergePatch), "web", ns);
        await RolledOutAsync(ns, "nginx:2");
        await WorkloadClusterFixture.WaitForAsync("4 pods, all on nginx:2 and ready", () => PodsAsync(ns), pods => pods.Count == 4 && pods.All(p => p.Spec.Containers[0].Image == "nginx:2" && Workloads.IsReady(p)));
        await watcher.WaitForPodsAsync(4, p => p.Spec.Containers[0].Image == "nginx:2" && Workloads.IsReady(p));

        var (maxPods, minReady, changes) = watcher.Extremes;
        Assert.True(changes >= 8, $"expected the watch to see the rollout (at least 4 creates and 4 deletes), saw {changes} changes");
        Assert.True(maxPods <= 4 + 1, $"at most replicas + maxSurge = 5 pods at any time; the watch saw {maxPods}");
        Assert.True(minReady >= 4 - 1, $"at least replicas - maxUnavailable = 3 ready pods at any time; the watch saw {minReady}");

        var replicaSets = await ReplicaSetsAsync(ns);
        Assert.Equal(2, replicaSets.Count);
        Assert.Equal([0, 4], replicaSets.Select(rs => rs.Spec.Replicas ?? 0).Order());
        var events = await WorkloadClusterFixture.WaitForAsync("the scaling events", async () => (await Client.CoreV1.ListNamespacedEventAsync(ns)).Items.Where(e => e.Reason == "ScalingReplicaSet").ToList(), items => items.Any(e => e.Message.Contains("to 0 from", StringComparison.Ordinal)));
        Assert.All(events, e => Assert.Matches(@"^Scaled (up|down) replica set web-[bcdfghjklmnpqrstvwxz2456789]+ to \d+( from \d+)?$", e.Message));
        Assert.All(events, e => Assert.Equal(("Deployment", "deployment-controller"), (e.InvolvedObject.Kind, e.Source.Component)));
        var d = await Client.AppsV1.ReadNamespacedDeploymentAsync("web", ns);
        Assert.Equal("2", d.Metadata.Annotations["deployment.kubernetes.io/revision"]);
        Assert.Equal(("True", "NewReplicaSetAvailable"), (d.Status.Conditions.Single(c => c.Type == "Progressing").Status, d.Status.Conditions.Single(c => c.Type == "Progressing").Reason));
        Assert.Equal(("True", "MinimumReplicasAvailable"), (d.Status.Conditions.Single(c => c.Type == "Available").Status, d.Status.Conditions.Single(c => c.Type == "Available").Reason));
    }

    [SkippableFact]
    public async Task Kubectl_rollout_status_history_and_undo_to_revision_one()
    {
        var ns = await cluster.NewNamespaceAsync("undo");
        await using var kubelet = new FakeKubelet(cluster.NewClient(), ns);
        await Client.AppsV1.CreateNamespacedDeploymentAsync(Workloads.Deployment("web", 2, "nginx:1"), ns);

        var status = await cluster.KubectlAsync("rollout", "status", "deployment/web", "-n", ns, "--timeout=60s");
        Assert.True(status.ExitCode == 0, $"rollout status failed: {status.Stdout} {status.Stderr}");
        Assert.Contains("deployment \"web\" successfully rolled out", status.Stdout, StringComparison.Ordinal);

        var set = await cluster.KubectlAsync("set", "image", "deployment/web", "c=nginx:2", "-n", ns);
        Assert.True(set.ExitCode == 0, set.Stderr);
        status = await cluster.KubectlAsync("rollout", "status", "deployment/web", "-n", ns, "--timeout=60s");
        Assert.True(status.ExitCode == 0, $"rollout status failed: {status.Stdout} {status.Stderr}");
        Assert.Contains("deployment \"web\" successfully rolled out", status.Stdout, StringComparison.Ordinal);

        var history = await cluster.KubectlAsync("rollout", "history", "deployment/web", "-n", ns);
        Assert.True(history.ExitCode == 0, history.Stderr);
        Assert.Equal(["1", "2"], Revisions(history.Stdout));

        var undo = await cluster.KubectlAsync("rollout", "undo", "deployment/web", "--to-revision=1", "-n", ns);
        Assert.True(undo.ExitCode == 0, $"undo failed: {undo.Stdout} {undo.Stderr}");
        Assert.Contains("deployment.apps/web rolled back", undo.Stdout, StringComparison.Ordinal);
        status = await cluster.KubectlAsync("rollout", "status", "deployment/web", "-n", ns, "--timeout=60s");
        Assert.True(status.ExitCode == 0, $"rollout status failed: {status.Stdout} {status.Stderr}");

        var d = await RolledOutAsync(ns, "nginx:1");
        Assert.Equal("3", d.Metadata.Annotations["deployment.kubernetes.io/revision"]);
        var pods = await WorkloadClusterFixture.WaitForAsync("2 pods on nginx:1", () => PodsAsync(ns), p => p.Count == 2 && p.All(x => x.Spec.Containers[0].Image == "nginx:1"));
        Assert.Equal(2, pods.Count);
        // The first ReplicaSet came back as revision 3: no third ReplicaSet.
        var replicaSets = await ReplicaSetsAsync(ns);
        Assert.Equal(2, replicaSets.Count);
        var back = replicaSets.Single(rs => rs.Spec.Template.Spec.Containers[0].Image == "nginx:1");
        Assert.Equal(("3", "1"), (back.Metadata.Annotations["deployment.kubernetes.io/revision"], back.Metadata.Annotations["deployment.kubernetes.io/revision-history"]));
        history = await cluster.KubectlAsync("rollout", "history", "deployment/web", "-n", ns);
        Assert.Equal(["2", "3"], Revisions(history.Stdout));

        var skipped = await cluster.KubectlAsync("rollout", "undo", "deployment/web", "--to-revision=3", "-n", ns);
        Assert.Contains("skipped rollback", skipped.Stdout + skipped.Stderr, StringComparison.Ordinal);
    }

    private static List<string> Revisions(string history) =>
        [.. history.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && char.IsDigit(l[0])).Select(l => l.Split(' ')[0])];

    [SkippableFact]
    public async Task A_paused_deployment_does_not_roll_until_resumed()
    {
        var ns = await cluster.NewNamespaceAsync("pause");
        await using var kubelet = new FakeKubelet(cluster.NewClient(), ns);
        await Client.AppsV1.CreateNamespacedDeploymentAsync(Workloads.Deployment("web", 2, "nginx:1"), ns);
        await RolledOutAsync(ns, "nginx:1");

        var pause = await cluster.KubectlAsync("rollout", "pause", "deployment/web", "-n", ns);
        Assert.True(pause.ExitCode == 0, pause.Stderr);
        await Client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch("""{"spec":{"template":{"spec":{"containers":[{"name":"c","image":"nginx:2"}]}}}}""", V1Patch.PatchType.StrategicMergePatch), "web", ns);

        // Once the controller has observed the paused spec with the new template, it has decided not to roll.
        var paused = await WorkloadClusterFixture.WaitForAsync(
            "the paused template observed",
            () => Client.AppsV1.ReadNamespacedDeploymentAsync("web", ns),
            d => d.Status?.ObservedGeneration == d.Metadata.Generation && d.Spec.Template.Spec.Containers[0].Image == "nginx:2");
        Assert.Equal(("Unknown", "DeploymentPaused"), (paused.Status.Conditions.Single(c => c.Type == "Progressing").Status, paused.Status.Conditions.Single(c => c.Type == "Progressing").Reason));
        Assert.Single(await ReplicaSetsAsync(ns));
        Assert.All(await PodsAsync(ns), p => Assert.Equal("nginx:1", p.Spec.Containers[0].Image));
        Assert.Equal(0, paused.Status.UpdatedReplicas ?? 0);

        var resume = await cluster.KubectlAsync("rollout", "resume", "deployment/web", "-n", ns);
        Assert.True(resume.ExitCode == 0, resume.Stderr);
        await RolledOutAsync(ns, "nginx:2");
        await WorkloadClusterFixture.WaitForAsync("2 pods on nginx:2", () => PodsAsync(ns), p => p.Count == 2 && p.All(x => x.Spec.Containers[0].Image == "nginx:2"));
        Assert.Equal(2, (await ReplicaSetsAsync(ns)).Count);
    }

    [Fact]
    public async Task Scaling_a_deployment_scales_its_replica_set()
    {
        var ns = await cluster.NewNamespaceAsync("scale");
        await using var kubelet = new FakeKubelet(cluster.NewClient(), ns);
        await Client.AppsV1.CreateNamespacedDeploymentAsync(Workloads.Deployment("web", 2, "nginx:1"), ns);
        await RolledOutAsync(ns, "nginx:1");

        await Client.AppsV1.PatchNamespacedDeploymentScaleAsync(new V1Patch("""{"spec":{"replicas":5}}""", V1Patch.PatchType.MergePatch), "web", ns);

        await WorkloadClusterFixture.WaitForAsync("5 ready pods", () => PodsAsync(ns), p => p.Count == 5 && p.All(Workloads.IsReady));
        var d = await RolledOutAsync(ns, "nginx:1");
        Assert.Equal(5, d.Status.ReadyReplicas);
        var rs = Assert.Single(await ReplicaSetsAsync(ns));
        Assert.Equal(("5", "7"), (rs.Metadata.Annotations["deployment.kubernetes.io/desired-replicas"], rs.Metadata.Annotations["deployment.kubernetes.io/max-replicas"]));
    }

    /// <summary>Follows the pods of a namespace through a watch and keeps the extremes seen after it started.</summary>
    private sealed class PodWatcher(Kubernetes client, string ns) : IAsyncDisposable
    {
        private readonly Lock _lock = new();
        private readonly Dictionary<string, V1Pod> _pods = new(StringComparer.Ordinal);
        private readonly SharedInformerFactory _informers = new(new KubernetesListWatchFactory(client), TimeProvider.System, NullLoggerFactory.Instance);
        private readonly CancellationTokenSource _stop = new();
        private int _maxPods;
        private int _minReady = int.MaxValue;
        private int _changes;
        private bool _started;

        public (int MaxPods, int MinReady, int Changes) Extremes
        {
            get
            {
                lock (_lock)
                {
                    return (_maxPods, _minReady, _changes);
                }
            }
        }

        public async Task StartAsync()
        {
            var informer = _informers.GetInformer<V1Pod>(ns);
            informer.AddEventHandler(new ResourceEventHandlerFuncs<V1Pod>
            {
                AddFunc = p => Apply(p, present: true),
                UpdateFunc = (_, p) => Apply(p, present: true),
                DeleteFunc = (p, _) => Apply(p, present: false),
            });
            _informers.Start(_stop.Token);
            using var sync = new CancellationTokenSource(WorkloadClusterFixture.Bound);
            Assert.True(await _informers.WaitForCacheSyncAsync(sync.Token), "the pod watch did not sync");
            // The handler has the whole first list once it reports synced; measure from there.
            await WorkloadClusterFixture.WaitForAsync("the first list handled", () => Task.FromResult(informer.Indexer.Count), n => Count().Pods == n);
            lock (_lock)
            {
                _started = true;
                Measure();
                _changes = 0;
            }
        }

        public Task WaitForPodsAsync(int count, Func<V1Pod, bool> predicate) =>
            WorkloadClusterFixture.WaitForAsync($"the watch to see {count} pods", () => Task.FromResult(Snapshot()), pods => pods.Count == count && pods.All(predicate));

        private List<V1Pod> Snapshot()
        {
            lock (_lock)
            {
                return [.. _pods.Values];
            }
        }

        private (int Pods, int Ready) Count()
        {
            lock (_lock)
            {
                return (_pods.Count, _pods.Values.Count(Workloads.IsReady));
            }
        }

        private void Apply(V1Pod pod, bool present)
        {
            lock (_lock)
            {
                // A pod being deleted no longer counts: it is on its way out (here, unscheduled pods go at once).
                if (present && pod.Metadata.DeletionTimestamp is null)
                {
                    _pods[pod.Metadata.Name] = pod;
                }
                else
                {
                    _pods.Remove(pod.Metadata.Name);
                }

                if (_started)
                {
                    _changes++;
                    Measure();
                }
            }
        }

        private void Measure()
        {
            _maxPods = Math.Max(_maxPods, _pods.Count);
            _minReady = Math.Min(_minReady, _pods.Values.Count(Workloads.IsReady));
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _informers.DisposeAsync();
            _stop.Dispose();
        }
    }
}
