using k8s;
using k8s.Models;

namespace Kubesharp.Controllers.Tests.Integration;

/// <summary>
/// A real API server with a controller manager running only the node controllers, on short periods: a node is
/// monitored every 0.5 s and marked Unknown after 3 s without a heartbeat. No kubelet: the tests renew Leases and
/// post node status themselves.
/// </summary>
public sealed class NodeClusterFixture : ClusterFixture
{
    private ControllerManager? _manager;

    public static readonly TimeSpan GracePeriod = TimeSpan.FromSeconds(3);

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var fast = FastOptions();
        _manager = NewManager(fast with
        {
            Controllers = ["node-lifecycle-controller", "node-ipam-controller"],
            Core = fast.Core with
            {
                NodeMonitorPeriod = TimeSpan.FromMilliseconds(500),
                NodeMonitorGracePeriod = GracePeriod,
                NodeStartupGracePeriod = GracePeriod,
            },
        });
        await _manager.StartAsync(CancellationToken.None);
    }

    public override async Task DisposeAsync()
    {
        if (_manager is not null)
        {
            await _manager.DisposeAsync();
        }

        await base.DisposeAsync();
    }

    /// <summary>Registers a node as a kubelet would: the Node, its Ready condition, its Lease.</summary>
    public static async Task RegisterAsync(Kubernetes client, string name)
    {
        await client.CoreV1.CreateNodeAsync(new V1Node { Metadata = new V1ObjectMeta { Name = name } });
        await PostReadyAsync(client, name);
        var now = DateTime.UtcNow;
        await client.CoordinationV1.CreateNamespacedLeaseAsync(
            new V1Lease
            {
                Metadata = new V1ObjectMeta { Name = name },
                Spec = new V1LeaseSpec { HolderIdentity = name, LeaseDurationSeconds = 40, RenewTime = now },
            },
            "kube-node-lease");
    }

    /// <summary>
    /// The kubelet's status update: Ready=True with a fresh heartbeat, read-modify-write retried on a conflict with
    /// the controllers' own writes to the node (the kubelet retries its status update five times).
    /// </summary>
    public static async Task PostReadyAsync(Kubernetes client, string name)
    {
        for (var attempt = 1; ; attempt++)
        {
            var now = DateTime.UtcNow;
            var node = await client.CoreV1.ReadNodeAsync(name);
            node.Status ??= new V1NodeStatus();
            node.Status.Conditions = [.. (node.Status.Conditions ?? []).Where(c => c.Type != "Ready"), new V1NodeCondition { Type = "Ready", Status = "True", Reason = "KubeletReady", Message = "kubelet is posting ready status", LastHeartbeatTime = now, LastTransitionTime = now }];
            try
            {
                await client.CoreV1.ReplaceNodeStatusAsync(node, name);
                return;
            }
            catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict && attempt < 5)
            {
                // A controller wrote the node between our read and write: read it again.
            }
        }
    }

    public static Task RenewAsync(Kubernetes client, string name) =>
        client.CoordinationV1.PatchNamespacedLeaseAsync(
            new V1Patch(KubernetesJson.Serialize(new V1Lease { Spec = new V1LeaseSpec { RenewTime = DateTime.UtcNow } }), V1Patch.PatchType.MergePatch),
            name,
            "kube-node-lease");
}

public sealed class NodeLifecycleIntegrationTests(NodeClusterFixture cluster) : IClassFixture<NodeClusterFixture>
{
    private const string Ns = "lifecycle";
    private const string Unreachable = "node.kubernetes.io/unreachable";

    [Fact]
    public async Task A_node_that_stops_heartbeating_is_marked_unknown_tainted_and_its_intolerant_pods_evicted_until_it_comes_back()
    {
        using var client = cluster.Client();
        await TestCluster.CreateNamespaceAsync(client, Ns);
        await NodeClusterFixture.RegisterAsync(client, "steady");
        await NodeClusterFixture.RegisterAsync(client, "lost");
        using var stopAll = new CancellationTokenSource();
        var lostBeats = new CancellationTokenSource();
        var steady = Task.Run(() => HeartbeatAsync(client, "steady", stopAll.Token));
        var lost = Task.Run(() => HeartbeatAsync(client, "lost", lostBeats.Token));
        try
        {
            // Does not tolerate unreachable (the value differs); tolerates it for 4 s; tolerates it for 300 s (admission's default).
            await CreatePodAsync(client, "intolerant", new V1Toleration { Key = Unreachable, OperatorProperty = "Equal", Value = "other", Effect = "NoExecute" });
            await CreatePodAsync(client, "patient", new V1Toleration { Key = Unreachable, OperatorProperty = "Exists", Effect = "NoExecute", TolerationSeconds = 4 });
            await CreatePodAsync(client, "stays", null);

            await lostBeats.CancelAsync();
            await lost;

            var unknown = await Eventually.HoldsAsync(
                () => client.CoreV1.ReadNodeAsync("lost"),
                n => Ready(n)?.Status == "Unknown",
                "the silent node to become Ready=Unknown");
            Assert.Equal(("NodeStatusUnknown", "Kubelet stopped posting node status."), (Ready(unknown)!.Reason, Ready(unknown)!.Message));

            var tainted = await Eventually.HoldsAsync(
                () => client.CoreV1.ReadNodeAsync("lost"),
                n => n.Spec?.Taints?.Any(t => t.Key == Unreachable && t.Effect == "NoExecute") == true,
                "the unreachable NoExecute taint");
            var taintAdded = tainted.Spec.Taints.Single(t => t.Key == Unreachable && t.Effect == "NoExecute").TimeAdded!.Value.ToUniversalTime();

            await Eventually.HoldsAsync(() => PodNamesAsync(client), names => !names.Contains("intolerant"), "the pod that does not tolerate the taint to be deleted");
            await Eventually.HoldsAsync(() => PodNamesAsync(client), names => !names.Contains("patient"), "the pod tolerating it for 4 s to be deleted");
            var evictions = await Eventually.HoldsAsync(
                () => EventsAsync(client, "TaintManagerEviction"),
                list => list.Any(e => e.InvolvedObject.Name == "patient"),
                "the eviction events");
            var patientEviction = evictions.First(e => e.InvolvedObject.Name == "patient");
            Assert.Equal($"Marking for deletion Pod {Ns}/patient", patientEviction.Message);
            Assert.True(
                patientEviction.FirstTimestamp!.Value.ToUniversalTime() >= taintAdded.AddSeconds(4),
                $"the tolerating pod was evicted at {patientEviction.FirstTimestamp:O}, before its 4 s from the taint at {taintAdded:O}");
            Assert.Contains(evictions, e => e.InvolvedObject.Name == "intolerant");

            // The pod that stays was marked not ready when its node was lost.
            var stays = await Eventually.HoldsAsync(
                () => client.CoreV1.ReadNamespacedPodAsync("stays", Ns),
                p => p.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "False") == true,
                "the remaining pod to be marked not ready");
            Assert.Null(stays.Metadata.DeletionTimestamp);

            // Back: heartbeats and a Ready status again. The taint goes, and with it the pending eviction.
            var back = new CancellationTokenSource();
            lost = Task.Run(() => HeartbeatAsync(client, "lost", back.Token));
            await NodeClusterFixture.PostReadyAsync(client, "lost");
            await Eventually.HoldsAsync(
                () => client.CoreV1.ReadNodeAsync("lost"),
                n => n.Spec?.Taints?.Any(t => t.Effect == "NoExecute") != true && Ready(n)?.Status == "True",
                "the taint to be removed once the node is back");
            await Eventually.HoldsAsync(
                () => EventsAsync(client, "TaintManagerEviction"),
                list => list.Any(e => e.InvolvedObject.Name == "stays" && e.Message == $"Cancelling deletion of Pod {Ns}/stays"),
                "the pending eviction of the tolerating pod to be cancelled");
            Assert.Contains("stays", await PodNamesAsync(client));
            await back.CancelAsync();
            await lost;
            back.Dispose();

            // The node that kept heartbeating never faltered.
            var steadyNode = await client.CoreV1.ReadNodeAsync("steady");
            Assert.Equal("True", Ready(steadyNode)!.Status);
            Assert.Null(steadyNode.Spec?.Taints);
            var nodeEvents = await client.CoreV1.ListNamespacedEventAsync("default");
            Assert.DoesNotContain(nodeEvents.Items, e => e.InvolvedObject.Name == "steady" && e.Reason == "NodeNotReady");
            Assert.Contains(nodeEvents.Items, e => e.InvolvedObject.Name == "lost" && e.Reason == "NodeNotReady" && e.Message == "Node lost status is now: NodeNotReady");
        }
        finally
        {
            await stopAll.CancelAsync();
            await steady;
            lostBeats.Dispose();
        }
    }

    private static async Task HeartbeatAsync(Kubernetes client, string node, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await NodeClusterFixture.RenewAsync(client, node);
                await Task.Delay(TimeSpan.FromMilliseconds(300), cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static async Task CreatePodAsync(Kubernetes client, string name, V1Toleration? toleration)
    {
        var pod = TestCluster.Pod(name, nodeName: "lost");
        pod.Spec.TerminationGracePeriodSeconds = 0;
        pod.Spec.Tolerations = toleration is null ? null : [toleration];
        await client.CoreV1.CreateNamespacedPodAsync(pod, Ns);
        var now = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var status = $$$"""{"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True","lastTransitionTime":"{{{now}}}"}]}}""";
        await client.CoreV1.PatchNamespacedPodStatusAsync(new V1Patch(status, V1Patch.PatchType.MergePatch), name, Ns);
    }

    private static async Task<List<string>> PodNamesAsync(Kubernetes client) =>
        [.. (await client.CoreV1.ListNamespacedPodAsync(Ns)).Items.Select(p => p.Metadata.Name)];

    private static async Task<List<Corev1Event>> EventsAsync(Kubernetes client, string reason) =>
        [.. (await client.CoreV1.ListNamespacedEventAsync(Ns)).Items.Where(e => e.Reason == reason)];

    private static V1NodeCondition? Ready(V1Node node) => node.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready");
}
