using System.Globalization;
using k8s;
using k8s.Models;

namespace Kubesharp.Controllers.Tests.Integration;

[Collection(WorkloadCollection.Name)]
public sealed class DaemonSetIntegrationTests(WorkloadClusterFixture cluster)
{
    private static readonly string[] DefaultTolerations =
    [
        "node.kubernetes.io/not-ready:NoExecute",
        "node.kubernetes.io/unreachable:NoExecute",
        "node.kubernetes.io/disk-pressure:NoSchedule",
        "node.kubernetes.io/memory-pressure:NoSchedule",
        "node.kubernetes.io/pid-pressure:NoSchedule",
        "node.kubernetes.io/unschedulable:NoSchedule",
    ];

    private Kubernetes Client => cluster.Client;

    private async Task<List<V1Pod>> PodsAsync(string ns) => [.. (await Client.CoreV1.ListNamespacedPodAsync(ns)).Items];

    private static string? TargetNode(V1Pod pod) =>
        pod.Spec.Affinity?.NodeAffinity?.RequiredDuringSchedulingIgnoredDuringExecution?.NodeSelectorTerms is [{ MatchFields: [{ Key: "metadata.name", OperatorProperty: "In", Values: [var node] }] }]
            ? node
            : null;

    private async Task<V1Node> NodeAsync(string name, string pool, V1Taint? taint = null) =>
        await Client.CoreV1.CreateNodeAsync(new V1Node
        {
            Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["kubesharp.test/pool"] = pool } },
            Spec = new V1NodeSpec { Taints = taint is null ? null : [taint] },
        });

    private static V1DaemonSet DaemonSet(string pool, string image) => new()
    {
        Metadata = new V1ObjectMeta { Name = "agent" },
        Spec = new V1DaemonSetSpec
        {
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "agent" } },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = "agent" } },
                Spec = new V1PodSpec
                {
                    NodeSelector = new Dictionary<string, string> { ["kubesharp.test/pool"] = pool },
                    Containers = [new V1Container { Name = "c", Image = image }],
                },
            },
            UpdateStrategy = new V1DaemonSetUpdateStrategy { Type = "RollingUpdate", RollingUpdate = new V1RollingUpdateDaemonSet { MaxUnavailable = 1 } },
        },
    };

    [SkippableFact]
    public async Task A_daemon_set_runs_one_pod_per_eligible_node_follows_new_nodes_and_rolls_one_node_at_a_time()
    {
        var ns = await cluster.NewNamespaceAsync("ds");
        var n1 = await NodeAsync(ns + "-n1", ns);
        var n2 = await NodeAsync(ns + "-n2", ns);
        await NodeAsync(ns + "-n3", ns, new V1Taint { Key = "dedicated", Value = "db", Effect = "NoSchedule" });
        try
        {
            var ds = await Client.AppsV1.CreateNamespacedDaemonSetAsync(DaemonSet(ns, "agent:1"), ns);

            // Two pods, for the two untainted nodes: not bound by the controller, but pinned to their node by affinity.
            var pods = await WorkloadClusterFixture.WaitForAsync("2 daemon pods", () => PodsAsync(ns), p => p.Count == 2);
            Assert.Equal([n1.Metadata.Name, n2.Metadata.Name], pods.Select(TargetNode).Order());
            var revisions = (await Client.AppsV1.ListNamespacedControllerRevisionAsync(ns)).Items;
            var revision = Assert.Single(revisions);
            var hash = revision.Metadata.Labels["controller-revision-hash"];
            Assert.Equal(("agent-" + hash, 1L), (revision.Metadata.Name, revision.Revision));
            Assert.Equal(ds.Metadata.Uid, Assert.Single(revision.Metadata.OwnerReferences).Uid);
            Assert.All(pods, p =>
            {
                Assert.True(string.IsNullOrEmpty(p.Spec.NodeName), $"{p.Metadata.Name} should wait for the scheduler, but is bound to {p.Spec.NodeName}");
                Assert.Equal((hash, "1"), (p.Metadata.Labels["controller-revision-hash"], p.Metadata.Labels["pod-template-generation"]));
                Assert.Subset(p.Spec.Tolerations.Select(t => $"{t.Key}:{t.Effect}").ToHashSet(), DefaultTolerations.ToHashSet());
                Assert.Equal(("DaemonSet", ds.Metadata.Uid), (p.Metadata.OwnerReferences[0].Kind, p.Metadata.OwnerReferences[0].Uid));
            });

            await using var agents = new NodeAgents(cluster.NewClient(), ns);
            var status = await WorkloadClusterFixture.WaitForAsync(
                "the status of 2 ready daemon pods",
                () => Client.AppsV1.ReadNamespacedDaemonSetAsync("agent", ns),
                d => d.Status is { DesiredNumberScheduled: 2, CurrentNumberScheduled: 2, NumberReady: 2, NumberAvailable: 2, UpdatedNumberScheduled: 2, NumberMisscheduled: 0 } && d.Status.ObservedGeneration == d.Metadata.Generation);
            Assert.Equal(0, status.Status.NumberUnavailable ?? 0);
            Assert.All(await PodsAsync(ns), p => Assert.Equal(TargetNode(p), p.Spec.NodeName));

            // A new eligible node gets its pod.
            var n4 = await NodeAsync(ns + "-n4", ns);
            pods = await WorkloadClusterFixture.WaitForAsync("a third daemon pod, for the new node", () => PodsAsync(ns), p => p.Count == 3 && p.All(Workloads.IsReady));
            Assert.Contains(n4.Metadata.Name, pods.Select(p => p.Spec.NodeName));

            // A template change rolls the pods with maxUnavailable 1.
            agents.StartMeasuring();
            await Client.AppsV1.PatchNamespacedDaemonSetAsync(new V1Patch("""{"spec":{"template":{"spec":{"containers":[{"name":"c","image":"agent:2"}]}}}}""", V1Patch.PatchType.StrategicMergePatch), "agent", ns);
            var rollout = await cluster.KubectlAsync("rollout", "status", "daemonset/agent", "-n", ns, "--timeout=60s");
            Assert.True(rollout.ExitCode == 0, $"rollout status failed: {rollout.Stdout} {rollout.Stderr}");
            Assert.Contains("daemon set \"agent\" successfully rolled out", rollout.Stdout, StringComparison.Ordinal);
            pods = await WorkloadClusterFixture.WaitForAsync("3 ready pods on agent:2", () => PodsAsync(ns), p => p.Count == 3 && p.All(x => x.Spec.Containers[0].Image == "agent:2" && Workloads.IsReady(x)));
            Assert.All(pods, p => Assert.Equal("2", p.Metadata.Labels["pod-template-generation"]));
            Assert.DoesNotContain(pods, p => p.Metadata.Labels["controller-revision-hash"] == hash);
            Assert.True(agents.MinReady >= 2, $"at most maxUnavailable = 1 of 3 nodes without a ready pod at any time; saw {agents.MinReady} ready");
            var history = (await Client.AppsV1.ListNamespacedControllerRevisionAsync(ns)).Items.Select(r => r.Revision).Order();
            Assert.Equal([1L, 2L], history);
            var created = (await Client.CoreV1.ListNamespacedEventAsync(ns)).Items.Where(e => e.Reason == "SuccessfulCreate").ToList();
            Assert.All(created, e => Assert.Matches("^Created pod: agent-[a-z0-9]{5}$", e.Message));
            Assert.All(created, e => Assert.Equal(("DaemonSet", "daemonset-controller"), (e.InvolvedObject.Kind, e.Source.Component)));
        }
        finally
        {
            foreach (var suffix in new[] { "-n1", "-n2", "-n3", "-n4" })
            {
                try
                {
                    await Client.CoreV1.DeleteNodeAsync(ns + suffix);
                }
                catch (k8s.Autorest.HttpOperationException)
                {
                    // Not created.
                }
            }
        }
    }

    [Fact]
    public async Task A_node_that_stops_matching_loses_its_pod_and_a_failed_pod_is_replaced()
    {
        var ns = await cluster.NewNamespaceAsync("ds-move");
        await NodeAsync(ns + "-a", ns);
        await NodeAsync(ns + "-b", ns);
        try
        {
            await Client.AppsV1.CreateNamespacedDaemonSetAsync(DaemonSet(ns, "agent:1"), ns);
            var pods = await WorkloadClusterFixture.WaitForAsync("2 daemon pods", () => PodsAsync(ns), p => p.Count == 2);

            // The pods are not bound (no scheduler here), so the one of a node leaving the pool goes at once.
            await Client.CoreV1.PatchNodeAsync(new V1Patch("""{"metadata":{"labels":{"kubesharp.test/pool":"elsewhere"}}}""", V1Patch.PatchType.MergePatch), ns + "-a");
            pods = await WorkloadClusterFixture.WaitForAsync("only the pod of node b", () => PodsAsync(ns), p => p.Count == 1);
            Assert.Equal(ns + "-b", TargetNode(pods[0]));

            // A failed pod is deleted (with a FailedDaemonPod event) and replaced.
            var failed = pods[0];
            await Client.CoreV1.PatchNamespacedPodStatusAsync(new V1Patch("""{"status":{"phase":"Failed"}}""", V1Patch.PatchType.MergePatch), failed.Metadata.Name, ns);
            pods = await WorkloadClusterFixture.WaitForAsync("a new pod for node b", () => PodsAsync(ns), p => p.Count == 1 && p[0].Metadata.Name != failed.Metadata.Name);
            Assert.Equal(ns + "-b", TargetNode(pods[0]));
            var events = await WorkloadClusterFixture.WaitForAsync("the FailedDaemonPod event", async () => (await Client.CoreV1.ListNamespacedEventAsync(ns)).Items.Where(e => e.Reason == "FailedDaemonPod").ToList(), e => e.Count == 1);
            Assert.Equal($"Found failed daemon pod {ns}/{failed.Metadata.Name} on node {ns}-b, will try to kill it", events[0].Message);
            var status = await WorkloadClusterFixture.WaitForAsync("desired 1", () => Client.AppsV1.ReadNamespacedDaemonSetAsync("agent", ns), d => d.Status?.DesiredNumberScheduled == 1 && d.Status.CurrentNumberScheduled == 1);
            Assert.Equal(0, status.Status.NumberMisscheduled);
        }
        finally
        {
            await Client.CoreV1.DeleteNodeAsync(ns + "-a");
            await Client.CoreV1.DeleteNodeAsync(ns + "-b");
        }
    }

    /// <summary>
    /// Stands in for the scheduler and the kubelets of one namespace, by polling: binds each unbound pod to the node
    /// its affinity names (the binding subresource), makes bound pods Running and Ready, and finishes graceful
    /// deletions. Once measuring, it keeps the fewest ready pods (not being deleted) it saw.
    /// </summary>
    private sealed class NodeAgents : IAsyncDisposable
    {
        private readonly Kubernetes _client;
        private readonly string _ns;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;
        private volatile bool _measuring;
        private int _minReady = int.MaxValue;

        public NodeAgents(Kubernetes client, string ns)
        {
            _client = client;
            _ns = ns;
            _loop = Task.Run(RunAsync);
        }

        public int MinReady => Volatile.Read(ref _minReady);

        public void StartMeasuring() => _measuring = true;

        private async Task RunAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    await StepAsync(_stop.Token);
                    await Task.Delay(50, _stop.Token);
                }
                catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                {
                    return;
                }
                catch (k8s.Autorest.HttpOperationException)
                {
                    // A pod changed or went meanwhile: next round.
                }
            }
        }

        private async Task StepAsync(CancellationToken cancellationToken)
        {
            var pods = (await _client.CoreV1.ListNamespacedPodAsync(_ns, cancellationToken: cancellationToken)).Items;
            if (_measuring)
            {
                var ready = pods.Count(p => p.Metadata.DeletionTimestamp is null && Workloads.IsReady(p));
                InterlockedMin(ready);
            }

            foreach (var pod in pods)
            {
                var name = pod.Metadata.Name;
                if (pod.Metadata.DeletionTimestamp is not null)
                {
                    await _client.CoreV1.DeleteNamespacedPodAsync(name, _ns, gracePeriodSeconds: 0, cancellationToken: cancellationToken);
                }
                else if (string.IsNullOrEmpty(pod.Spec.NodeName) && TargetNode(pod) is { } node)
                {
                    var binding = new V1Binding { Metadata = new V1ObjectMeta { Name = name }, Target = new V1ObjectReference { Kind = "Node", ApiVersion = "v1", Name = node } };
                    await _client.CoreV1.CreateNamespacedPodBindingAsync(binding, name, _ns, cancellationToken: cancellationToken);
                }
                else if (!string.IsNullOrEmpty(pod.Spec.NodeName) && !Workloads.IsReady(pod) && pod.Status?.Phase is not ("Failed" or "Succeeded"))
                {
                    var now = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
                    var patch = $$$"""{"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True","lastTransitionTime":"{{{now}}}"}]}}""";
                    await _client.CoreV1.PatchNamespacedPodStatusAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), name, _ns, cancellationToken: cancellationToken);
                }
            }
        }

        private void InterlockedMin(int value)
        {
            int current;
            while (value < (current = Volatile.Read(ref _minReady)) && Interlocked.CompareExchange(ref _minReady, value, current) != current)
            {
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _loop;
            _stop.Dispose();
            _client.Dispose();
        }
    }
}
