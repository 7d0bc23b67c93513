using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Xunit.Abstractions;

namespace Kubesharp.Tests.Cluster;

/// <summary>
/// Issue 9, node failure: the agent of node 2 of the <see cref="MultiNodeCluster"/> is killed (SIGKILL: its pods'
/// containers keep running, as after a kubelet crash). The node lifecycle controller (the cluster's server runs with
/// <see cref="MultiNodeCluster.ServerArgs"/>: 20 s grace) marks the node's Ready condition Unknown and taints it
/// unreachable; the pods of a Deployment that tolerate that taint for 2 s are evicted and replaced on node 1, while
/// a pod with the default 300 s toleration stays. Then the agent is started again (<c>cluster.sh up</c>): the node is
/// Ready and untainted, the evicted pods are finished and gone, and the pod that stayed was adopted, not restarted.
/// The cluster is left as found: every node Ready, no taints, this test's objects deleted. Needs root: skipped visibly
/// otherwise.
/// </summary>
[Collection(MultiNodeClusterCollection.Name)]
public sealed class NodeFailureTests(MultiNodeCluster cluster, ITestOutputHelper output)
{
    private const string App = "failover";
    private const string Pinned = "failover-pinned";
    private const int Replicas = 4;
    private const int FailedNode = 2;
    private const string Unreachable = "node.kubernetes.io/unreachable";
    private const string NotReady = "node.kubernetes.io/not-ready";

    /// <summary>Upper bound of every wait: the grace period (20 s) is the longest step.</summary>
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(120);

    [SkippableFact]
    public async Task A_node_whose_agent_stops_goes_unknown_and_its_pods_are_replaced_on_the_other_node()
    {
        Skip.IfNot(cluster.Available, cluster.SkipReason);
        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(cluster.Kubeconfig));
        var failedNode = MultiNodeCluster.NodeName(FailedNode);
        try
        {
            await cluster.RunPodAsync(Pinned, FailedNode, "exec sleep 3600");
            var pinnedBefore = await ContainerAsync(client, Pinned);
            await DeployAsync();
            var before = await PodsAsync(client);
            var onFailed = before.Where(p => p.Spec.NodeName == failedNode).Select(p => p.Metadata.Name).ToHashSet(StringComparer.Ordinal);
            Assert.True(onFailed.Count > 0, $"the spread Deployment put no pod on {failedNode}: {Describe(before)}");

            var stopped = Stopwatch.StartNew();
            KillAgent(FailedNode);

            var ready = await WaitForAsync($"{failedNode}'s Ready condition to become Unknown", async () =>
                (await client.CoreV1.ReadNodeAsync(failedNode)).Status.Conditions.FirstOrDefault(c => c.Type == "Ready") is { Status: "Unknown" } c ? c : null);
            output.WriteLine($"{failedNode} Ready=Unknown after {stopped.Elapsed.TotalSeconds:F1} s: {ready.Reason}: {ready.Message}");
            Assert.Equal("NodeStatusUnknown", ready.Reason);
            Assert.Equal("Kubelet stopped posting node status.", ready.Message);

            var taint = await WaitForAsync($"the {Unreachable}:NoExecute taint on {failedNode}", async () =>
                (await client.CoreV1.ReadNodeAsync(failedNode)).Spec.Taints?.FirstOrDefault(t => t.Key == Unreachable && t.Effect == "NoExecute"));
            output.WriteLine($"{Unreachable}:NoExecute after {stopped.Elapsed.TotalSeconds:F1} s (added {taint.TimeAdded:O})");

            var replaced = await WaitForAsync($"{Replicas} Ready pods of {App} on node 1 and {failedNode}'s pods deleted", async () =>
            {
                var pods = await PodsAsync(client);
                var evicted = pods.Where(p => onFailed.Contains(p.Metadata.Name)).ToList();
                var live = pods.Where(p => p.Metadata.DeletionTimestamp is null).ToList();
                return evicted.All(p => p.Metadata.DeletionTimestamp is not null)
                    && live.Count == Replicas
                    && live.All(p => p.Spec.NodeName == MultiNodeCluster.NodeName(1) && IsReady(p))
                    ? pods
                    : null;
            });
            output.WriteLine($"replaced after {stopped.Elapsed.TotalSeconds:F1} s: {Describe(replaced)}");
            var pinnedDuring = await client.CoreV1.ReadNamespacedPodAsync(Pinned, "default");
            Assert.True(pinnedDuring.Metadata.DeletionTimestamp is null, $"{Pinned} (default 300 s toleration) was evicted after {stopped.Elapsed.TotalSeconds:F1} s");

            await cluster.UpAgainAsync();
            var back = await WaitForAsync($"{failedNode} Ready with no taint", async () =>
            {
                var node = await client.CoreV1.ReadNodeAsync(failedNode);
                return node.Status.Conditions.Any(c => c is { Type: "Ready", Status: "True" }) && (node.Spec.Taints ?? []).Count == 0 ? node : null;
            });
            output.WriteLine($"{failedNode} Ready again and untainted after {stopped.Elapsed.TotalSeconds:F1} s");

            // The restarted kubelet finishes the pods that were deleted while it was away, and keeps the one that stayed.
            await WaitForAsync($"the evicted pods {string.Join(", ", onFailed)} to be gone", async () =>
                (await PodsAsync(client)).Any(p => onFailed.Contains(p.Metadata.Name)) ? null : "gone");
            var pinnedAfter = await WaitForAsync($"{Pinned} Ready again", async () =>
                await client.CoreV1.ReadNamespacedPodAsync(Pinned, "default") is var p && IsReady(p) ? p : null);
            var container = pinnedAfter.Status.ContainerStatuses.Single();
            Assert.True(container.ContainerID == pinnedBefore.ContainerID && container.RestartCount == 0,
                $"{Pinned} was restarted: container {pinnedBefore.ContainerID} (restarts {pinnedBefore.RestartCount}) before, {container.ContainerID} (restarts {container.RestartCount}) after");
        }
        finally
        {
            await RestoreAsync(client);
        }
    }

    /// <summary>The Deployment: spread one-by-one over the nodes it may schedule on, tolerating a failed node for 2 s.</summary>
    private async Task DeployAsync()
    {
        var labels = new JsonObject { ["app"] = App };
        JsonObject Toleration(string key) => new() { ["key"] = key, ["operator"] = "Exists", ["effect"] = "NoExecute", ["tolerationSeconds"] = 2 };
        await cluster.ApplyAsync(new JsonObject
        {
            ["apiVersion"] = "apps/v1",
            ["kind"] = "Deployment",
            ["metadata"] = new JsonObject { ["name"] = App, ["namespace"] = "default" },
            ["spec"] = new JsonObject
            {
                ["replicas"] = Replicas,
                ["selector"] = new JsonObject { ["matchLabels"] = labels.DeepClone() },
                ["template"] = new JsonObject
                {
                    ["metadata"] = new JsonObject { ["labels"] = labels.DeepClone() },
                    ["spec"] = new JsonObject
                    {
                        ["terminationGracePeriodSeconds"] = 1,
                        // As a user shortens eviction: gone 2 s after the node is found not ready or unreachable (default 300 s).
                        ["tolerations"] = new JsonArray(Toleration(Unreachable), Toleration(NotReady)),
                        // Honor: a node tainted NoSchedule (the failed one) is no spreading domain, so the replacements
                        // may all go to node 1.
                        ["topologySpreadConstraints"] = new JsonArray(new JsonObject
                        {
                            ["maxSkew"] = 1,
                            ["topologyKey"] = "kubernetes.io/hostname",
                            ["whenUnsatisfiable"] = "DoNotSchedule",
                            ["nodeTaintsPolicy"] = "Honor",
                            ["labelSelector"] = new JsonObject { ["matchLabels"] = labels.DeepClone() },
                        }),
                        ["containers"] = new JsonArray(new JsonObject
                        {
                            ["name"] = "main",
                            ["image"] = MultiNodeCluster.Busybox,
                            ["command"] = new JsonArray("sh", "-c", "exec sleep 3600"),
                        }),
                    },
                },
            },
        });
        await cluster.KubectlAsync("rollout", "status", "deployment/" + App, "--timeout=90s");
    }

    /// <summary>SIGKILL to node <paramref name="node"/>'s agent, by the PID <c>cluster.sh</c> recorded; returns once it is gone.</summary>
    private void KillAgent(int node)
    {
        var pidFile = Path.Combine(cluster.Dir, $"node{node}", "agent.pid");
        var pid = int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture);
        var cmdline = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        Assert.True(cmdline.Contains($"--node-name {MultiNodeCluster.NodeName(node)} ", StringComparison.Ordinal), $"pid {pid} from {pidFile} is not the agent of {MultiNodeCluster.NodeName(node)}: {cmdline}");
        using var agent = Process.GetProcessById(pid);
        agent.Kill();
        Assert.True(agent.WaitForExit(TimeSpan.FromSeconds(30)), $"the agent (pid {pid}) did not exit after SIGKILL");
        output.WriteLine($"killed the agent of {MultiNodeCluster.NodeName(node)} (pid {pid})");
    }

    /// <summary>Leaves the cluster as found: the agent running, every node Ready and untainted, this test's objects gone.</summary>
    private async Task RestoreAsync(Kubernetes client)
    {
        await cluster.UpAgainAsync();
        await cluster.TryKubectlAsync("delete", "deployment", App, "--ignore-not-found", "--wait=false");
        await cluster.TryKubectlAsync("delete", "pod", Pinned, "--ignore-not-found", "--wait=false");
        await WaitForAsync("every node Ready and untainted", async () =>
        {
            var nodes = await client.CoreV1.ListNodeAsync();
            return nodes.Items.All(n => n.Status.Conditions.Any(c => c is { Type: "Ready", Status: "True" }) && (n.Spec.Taints ?? []).Count == 0) ? nodes : null;
        });
        await WaitForAsync($"the pods of {App} and {Pinned} to be gone", async () =>
            (await PodsAsync(client)).Count == 0 && !(await client.CoreV1.ListNamespacedPodAsync("default", fieldSelector: "metadata.name=" + Pinned)).Items.Any() ? "gone" : null);
    }

    private static async Task<List<V1Pod>> PodsAsync(Kubernetes client) =>
        [.. (await client.CoreV1.ListNamespacedPodAsync("default", labelSelector: "app=" + App)).Items];

    private static async Task<V1ContainerStatus> ContainerAsync(Kubernetes client, string pod) =>
        (await client.CoreV1.ReadNamespacedPodAsync(pod, "default")).Status.ContainerStatuses.Single();

    private static bool IsReady(V1Pod pod) => pod.Status?.Conditions?.Any(c => c is { Type: "Ready", Status: "True" }) == true;

    private static string Describe(IEnumerable<V1Pod> pods) =>
        string.Join(", ", pods.Select(p => $"{p.Metadata.Name}@{p.Spec.NodeName}{(p.Metadata.DeletionTimestamp is null ? "" : " (terminating)")}{(IsReady(p) ? " ready" : "")}"));

    /// <summary>Polls <paramref name="probe"/> every 500 ms until it returns a value; fails after <see cref="StepTimeout"/>.</summary>
    private static async Task<T> WaitForAsync<T>(string what, Func<Task<T?>> probe)
        where T : class
    {
        var wait = Stopwatch.StartNew();
        while (true)
        {
            if (await probe() is { } value)
            {
                return value;
            }

            if (wait.Elapsed > StepTimeout)
            {
                throw new TimeoutException($"gave up after {StepTimeout.TotalSeconds} s waiting for {what}");
            }

            await Task.Delay(500);
        }
    }
}
