using System.Globalization;
using k8s;
using k8s.Models;
using Kubesharp.Client.Cache;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.Controllers.Tests.Integration;

[Collection(WorkloadCollection.Name)]
public sealed class StatefulSetIntegrationTests(WorkloadClusterFixture cluster)
{
    private Kubernetes Client => cluster.Client;

    private async Task<List<string>> PodNamesAsync(string ns) => [.. (await Client.CoreV1.ListNamespacedPodAsync(ns)).Items.Select(p => p.Metadata.Name).Order(StringComparer.Ordinal)];

    private static V1StatefulSet StatefulSet(int replicas, string image) => new()
    {
        Metadata = new V1ObjectMeta { Name = "web" },
        Spec = new V1StatefulSetSpec
        {
            Replicas = replicas,
            ServiceName = "web",
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "web" } },
            Template = Workloads.Template(image),
            VolumeClaimTemplates =
            [
                new V1PersistentVolumeClaim
                {
                    Metadata = new V1ObjectMeta { Name = "data" },
                    Spec = new V1PersistentVolumeClaimSpec
                    {
                        AccessModes = ["ReadWriteOnce"],
                        Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new("1Gi") } },
                    },
                },
            ],
        },
    };

    private async Task MakeReadyAsync(string ns, string pod)
    {
        var now = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var patch = $$$"""{"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True","lastTransitionTime":"{{{now}}}"}]}}""";
        await Client.CoreV1.PatchNamespacedPodStatusAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), pod, ns);
    }

    [Fact]
    public async Task Ordered_ready_creates_one_pod_at_a_time_and_scales_down_from_the_highest_ordinal()
    {
        var ns = await cluster.NewNamespaceAsync("sts");
        var set = await Client.AppsV1.CreateNamespacedStatefulSetAsync(StatefulSet(3, "nginx:1"), ns);

        foreach (var (ordinal, expected) in new[] { (0, new[] { "web-0" }), (1, ["web-0", "web-1"]), (2, ["web-0", "web-1", "web-2"]) })
        {
            // Once the status counts the new pod, the controller has seen it unready and waits on it: nothing more is made.
            await WorkloadClusterFixture.WaitForAsync($"status.replicas {ordinal + 1}", () => Client.AppsV1.ReadNamespacedStatefulSetAsync("web", ns), s => s.Status?.Replicas == ordinal + 1);
            Assert.Equal(expected, await PodNamesAsync(ns));
            await MakeReadyAsync(ns, $"web-{ordinal}");
        }

        var ready = await WorkloadClusterFixture.WaitForAsync(
            "3 ready replicas",
            () => Client.AppsV1.ReadNamespacedStatefulSetAsync("web", ns),
            s => s.Status is { Replicas: 3, ReadyReplicas: 3, AvailableReplicas: 3, CurrentReplicas: 3, UpdatedReplicas: 3 });
        Assert.Equal(ready.Status.CurrentRevision, ready.Status.UpdateRevision);
        Assert.Equal(ready.Metadata.Generation, ready.Status.ObservedGeneration);
        var revision = Assert.Single((await Client.AppsV1.ListNamespacedControllerRevisionAsync(ns)).Items);
        Assert.Equal((ready.Status.UpdateRevision, 1L), (revision.Metadata.Name, revision.Revision));

        var pods = (await Client.CoreV1.ListNamespacedPodAsync(ns)).Items.OrderBy(p => p.Metadata.Name, StringComparer.Ordinal).ToList();
        for (var i = 0; i < 3; i++)
        {
            var pod = pods[i];
            Assert.Equal(($"web-{i}", "web"), (pod.Spec.Hostname, pod.Spec.Subdomain));
            Assert.Equal((pod.Metadata.Name, i.ToString(CultureInfo.InvariantCulture), revision.Metadata.Name), (pod.Metadata.Labels["statefulset.kubernetes.io/pod-name"], pod.Metadata.Labels["apps.kubernetes.io/pod-index"], pod.Metadata.Labels["controller-revision-hash"]));
            Assert.Equal($"data-web-{i}", pod.Spec.Volumes.Single(v => v.Name == "data").PersistentVolumeClaim.ClaimName);
            Assert.Equal(("StatefulSet", set.Metadata.Uid), (pod.Metadata.OwnerReferences[0].Kind, pod.Metadata.OwnerReferences[0].Uid));
        }

        var claims = (await Client.CoreV1.ListNamespacedPersistentVolumeClaimAsync(ns)).Items;
        Assert.Equal(["data-web-0", "data-web-1", "data-web-2"], claims.Select(c => c.Metadata.Name).Order(StringComparer.Ordinal));
        Assert.All(claims, c => Assert.Equal("web", c.Metadata.Labels["app"]));
        var events = await WorkloadClusterFixture.WaitForAsync("the create events", async () => (await Client.CoreV1.ListNamespacedEventAsync(ns)).Items.Where(e => e.Reason == "SuccessfulCreate").Select(e => e.Message).ToList(), e => e.Count == 6);
        Assert.Contains("create Pod web-0 in StatefulSet web successful", events);
        Assert.Contains("create Claim data-web-0 Pod web-0 in StatefulSet web success", events);

        // Scale to 1: web-2 goes first, then web-1; the claims stay (Retain).
        await using var deletions = new DeletionRecorder(cluster.NewClient(), ns);
        await deletions.StartAsync();
        await Client.AppsV1.PatchNamespacedStatefulSetAsync(new V1Patch("""{"spec":{"replicas":1}}""", V1Patch.PatchType.MergePatch), "web", ns);
        await WorkloadClusterFixture.WaitForAsync("only web-0 left", () => PodNamesAsync(ns), names => names.SequenceEqual(["web-0"]));
        await WorkloadClusterFixture.WaitForAsync("the watch to see both deletions", () => Task.FromResult(deletions.Deleted), d => d.Count == 2);
        Assert.Equal(["web-2", "web-1"], deletions.Deleted);
        Assert.Equal(3, (await Client.CoreV1.ListNamespacedPersistentVolumeClaimAsync(ns)).Items.Count);
        await WorkloadClusterFixture.WaitForAsync("status.replicas 1", () => Client.AppsV1.ReadNamespacedStatefulSetAsync("web", ns), s => s.Status is { Replicas: 1, ReadyReplicas: 1 });
    }

    [SkippableFact]
    public async Task A_rolling_update_with_partition_two_replaces_only_web_2()
    {
        var ns = await cluster.NewNamespaceAsync("sts-part");
        await using var kubelet = new FakeKubelet(cluster.NewClient(), ns);
        await Client.AppsV1.CreateNamespacedStatefulSetAsync(StatefulSet(3, "nginx:1"), ns);
        var before = await WorkloadClusterFixture.WaitForAsync("3 ready replicas", () => Client.AppsV1.ReadNamespacedStatefulSetAsync("web", ns), s => s.Status is { ReadyReplicas: 3, UpdatedReplicas: 3 });
        var oldRevision = before.Status.CurrentRevision;
        var oldPods = (await Client.CoreV1.ListNamespacedPodAsync(ns)).Items.ToDictionary(p => p.Metadata.Name, p => p.Metadata.Uid);

        await Client.AppsV1.PatchNamespacedStatefulSetAsync(
            new V1Patch("""{"spec":{"updateStrategy":{"type":"RollingUpdate","rollingUpdate":{"partition":2}},"template":{"spec":{"containers":[{"name":"c","image":"nginx:2"}]}}}}""", V1Patch.PatchType.StrategicMergePatch),
            "web",
            ns);
        var rollout = await cluster.KubectlAsync("rollout", "status", "statefulset/web", "-n", ns, "--timeout=60s");
        Assert.True(rollout.ExitCode == 0, $"rollout status failed: {rollout.Stdout} {rollout.Stderr}");
        Assert.Contains("partitioned roll out complete: 1 new pods have been updated", rollout.Stdout, StringComparison.Ordinal);

        var after = await WorkloadClusterFixture.WaitForAsync("web-2 updated and ready", () => Client.AppsV1.ReadNamespacedStatefulSetAsync("web", ns), s => s.Status is { UpdatedReplicas: 1, ReadyReplicas: 3, CurrentReplicas: 2 });
        Assert.Equal(oldRevision, after.Status.CurrentRevision);
        Assert.NotEqual(oldRevision, after.Status.UpdateRevision);
        var pods = (await Client.CoreV1.ListNamespacedPodAsync(ns)).Items.ToDictionary(p => p.Metadata.Name);
        Assert.Equal((oldRevision, "nginx:1", oldPods["web-0"]), (pods["web-0"].Metadata.Labels["controller-revision-hash"], pods["web-0"].Spec.Containers[0].Image, pods["web-0"].Metadata.Uid));
        Assert.Equal((oldRevision, "nginx:1", oldPods["web-1"]), (pods["web-1"].Metadata.Labels["controller-revision-hash"], pods["web-1"].Spec.Containers[0].Image, pods["web-1"].Metadata.Uid));
        Assert.Equal((after.Status.UpdateRevision, "nginx:2"), (pods["web-2"].Metadata.Labels["controller-revision-hash"], pods["web-2"].Spec.Containers[0].Image));
        Assert.NotEqual(oldPods["web-2"], pods["web-2"].Metadata.Uid);
        var revisions = (await Client.AppsV1.ListNamespacedControllerRevisionAsync(ns)).Items.OrderBy(r => r.Revision).ToList();
        Assert.Equal([(oldRevision, 1L), (after.Status.UpdateRevision, 2L)], revisions.Select(r => (r.Metadata.Name, r.Revision ?? 0)));

        // Partition 0 finishes the rollout: web-1, then web-0; the update revision becomes current.
        await Client.AppsV1.PatchNamespacedStatefulSetAsync(new V1Patch("""{"spec":{"updateStrategy":{"rollingUpdate":{"partition":0}}}}""", V1Patch.PatchType.StrategicMergePatch), "web", ns);
        var done = await WorkloadClusterFixture.WaitForAsync("the rollout complete", () => Client.AppsV1.ReadNamespacedStatefulSetAsync("web", ns), s => s.Status is { UpdatedReplicas: 3, ReadyReplicas: 3 } && s.Status.CurrentRevision == s.Status.UpdateRevision);
        Assert.Equal(3, done.Status.CurrentReplicas);
    }

    /// <summary>Records the names of the namespace's pods as the watch sees them deleted, in order.</summary>
    private sealed class DeletionRecorder(Kubernetes client, string ns) : IAsyncDisposable
    {
        private readonly SharedInformerFactory _informers = new(new KubernetesListWatchFactory(client), TimeProvider.System, NullLoggerFactory.Instance);
        private readonly CancellationTokenSource _stop = new();
        private readonly Lock _lock = new();
        private readonly List<string> _deleted = [];

        public List<string> Deleted
        {
            get
            {
                lock (_lock)
                {
                    return [.. _deleted];
                }
            }
        }

        public async Task StartAsync()
        {
            var informer = _informers.GetInformer<V1Pod>(ns);
            informer.AddEventHandler(new ResourceEventHandlerFuncs<V1Pod>
            {
                DeleteFunc = (p, _) =>
                {
                    lock (_lock)
                    {
                        _deleted.Add(p.Metadata.Name);
                    }
                },
            });
            _informers.Start(_stop.Token);
            using var sync = new CancellationTokenSource(WorkloadClusterFixture.Bound);
            Assert.True(await _informers.WaitForCacheSyncAsync(sync.Token), "the pod watch did not sync");
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _informers.DisposeAsync();
            _stop.Dispose();
            client.Dispose();
        }
    }
}
