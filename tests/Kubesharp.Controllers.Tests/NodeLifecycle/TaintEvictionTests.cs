using k8s.Models;
using Kubesharp.Controllers.NodeLifecycle;

namespace Kubesharp.Controllers.Tests.NodeLifecycle;

/// <summary>The taint eviction controller: who is deleted, when, and what cancels it (upstream's tainteviction package).</summary>
public sealed class TaintEvictionTests
{
    private const string Pod = "default/p";

    public static TheoryData<string, V1Toleration[], int?, string> Timings => new()
    {
        { "no toleration: at once", [], 0, "now" },
        { "tolerated for ever: never", [Tolerate(NodeTaints.Unreachable, null)], 0, "never" },
        { "300 s on a fresh taint", [Tolerate(NodeTaints.Unreachable, 300)], 0, "300" },
        { "300 s on a taint added 290 s ago", [Tolerate(NodeTaints.Unreachable, 300)], 290, "10" },
        { "300 s on a taint added 301 s ago: at once", [Tolerate(NodeTaints.Unreachable, 300)], 301, "now" },
        { "zero seconds: at once", [Tolerate(NodeTaints.Unreachable, 0)], 0, "now" },
        { "negative seconds count as zero", [Tolerate(NodeTaints.Unreachable, -5)], 0, "now" },
        { "a toleration of another value does not tolerate", [new V1Toleration { Key = NodeTaints.Unreachable, OperatorProperty = "Equal", Value = "x", Effect = "NoExecute", TolerationSeconds = 600 }], 0, "now" },
        { "a NoSchedule toleration does not tolerate NoExecute", [new V1Toleration { Key = NodeTaints.Unreachable, OperatorProperty = "Exists", Effect = "NoSchedule" }], 0, "now" },
        { "an empty key with Exists tolerates everything", [new V1Toleration { OperatorProperty = "Exists", TolerationSeconds = 60 }], 0, "60" },
        { "a taint without timeAdded counts from when it is first seen", [Tolerate(NodeTaints.Unreachable, 30)], null, "30" },
    };

    [Theory]
    [MemberData(nameof(Timings))]
    public async Task Pods_go_when_their_shortest_toleration_runs_out(string name, V1Toleration[] tolerations, int? taintAge, string expected)
    {
        Assert.NotEmpty(name);
        using var h = new NodeLifecycleHarness();
        DateTime? added = taintAge is { } age ? h.Cluster.Clock.GetUtcNow().UtcDateTime.AddSeconds(-age) : null;
        h.Cluster.AddNode("n1", "Unknown", null, new V1Taint { Key = NodeTaints.Unreachable, Effect = "NoExecute", TimeAdded = added });
        h.Cluster.AddPod("p", "n1", true, tolerations);

        var result = await h.Eviction.SyncAsync(Pod, CancellationToken.None);

        var deleted = h.Cluster.Calls.Contains("delete pod p");
        switch (expected)
        {
            case "now":
                Assert.True(deleted, "expected the pod deleted at once");
                Assert.Null(result.Requeue);
                break;
            case "never":
                Assert.False(deleted);
                Assert.Null(result.Requeue);
                Assert.Null(h.Eviction.ScheduledFor(Pod));
                break;
            default:
                Assert.False(deleted);
                Assert.Equal(TimeSpan.FromSeconds(int.Parse(expected, System.Globalization.CultureInfo.InvariantCulture)), result.Requeue);
                Assert.Equal(h.Cluster.Clock.GetUtcNow() + result.Requeue, h.Eviction.ScheduledFor(Pod));
                break;
        }
    }

    [Theory]
    [InlineData("the shortest of two finite tolerations", 100, 20, 20)]
    [InlineData("one for ever, one finite", null, 50, 50)]
    public async Task With_several_taints_the_shortest_toleration_wins(string name, int? unreachableSeconds, int? drainSeconds, int expected)
    {
        Assert.NotEmpty(name);
        using var h = new NodeLifecycleHarness();
        var now = h.Cluster.Clock.GetUtcNow().UtcDateTime;
        h.Cluster.AddNode(
            "n1",
            "Unknown",
            null,
            new V1Taint { Key = NodeTaints.Unreachable, Effect = "NoExecute", TimeAdded = now },
            new V1Taint { Key = "example.com/drain", Effect = "NoExecute", TimeAdded = now });
        h.Cluster.AddPod("p", "n1", true, Tolerate(NodeTaints.Unreachable, unreachableSeconds), Tolerate("example.com/drain", drainSeconds));

        var result = await h.Eviction.SyncAsync(Pod, CancellationToken.None);

        Assert.Equal(TimeSpan.FromSeconds(expected), result.Requeue);
    }

    [Fact]
    public async Task A_scheduled_eviction_marks_the_pod_as_a_disruption_target_then_deletes_it()
    {
        using var h = new NodeLifecycleHarness();
        h.Cluster.AddNode("n1", "Unknown", null, new V1Taint { Key = NodeTaints.Unreachable, Effect = "NoExecute", TimeAdded = h.Cluster.Clock.GetUtcNow().UtcDateTime });
        h.Cluster.AddPod("p", "n1", true, Tolerate(NodeTaints.Unreachable, 30));
        await h.Eviction.SyncAsync(Pod, CancellationToken.None);
        h.Advance(29);
        Assert.Equal(TimeSpan.FromSeconds(1), (await h.Eviction.SyncAsync(Pod, CancellationToken.None)).Requeue);
        Assert.Empty(h.Cluster.Calls);

        h.Advance(1);
        await h.Eviction.SyncAsync(Pod, CancellationToken.None);

        Assert.Equal(["condition pod p: DisruptionTarget=True DeletionByTaintManager", "delete pod p"], h.Cluster.Calls);
        Assert.Equal(["Normal TaintManagerEviction Marking for deletion Pod default/p"], h.EvictionEvents.On("p"));
        Assert.Null(h.Eviction.ScheduledFor(Pod));
    }

    [Fact]
    public async Task Removing_the_taint_cancels_the_eviction_with_an_event()
    {
        using var h = new NodeLifecycleHarness();
        var node = h.Cluster.AddNode("n1", "Unknown", null, new V1Taint { Key = NodeTaints.Unreachable, Effect = "NoExecute", TimeAdded = h.Cluster.Clock.GetUtcNow().UtcDateTime });
        h.Cluster.AddPod("p", "n1", true, Tolerate(NodeTaints.Unreachable, 30));
        await h.Eviction.SyncAsync(Pod, CancellationToken.None);

        node = h.Cluster.Node("n1");
        node.Spec.Taints = null;
        h.Cluster.Update(node);
        h.Advance(10);
        await h.Eviction.SyncAsync(Pod, CancellationToken.None);
        h.Advance(60);
        await h.Eviction.SyncAsync(Pod, CancellationToken.None);

        Assert.Empty(h.Cluster.Calls);
        Assert.Equal(["Normal TaintManagerEviction Cancelling deletion of Pod default/p"], h.EvictionEvents.On("p"));
    }

    [Fact]
    public async Task A_toleration_changed_to_for_ever_cancels_the_eviction()
    {
        using var h = new NodeLifecycleHarness();
        h.Cluster.AddNode("n1", "Unknown", null, new V1Taint { Key = NodeTaints.Unreachable, Effect = "NoExecute", TimeAdded = h.Cluster.Clock.GetUtcNow().UtcDateTime });
        h.Cluster.AddPod("p", "n1", true, Tolerate(NodeTaints.Unreachable, 30));
        await h.Eviction.SyncAsync(Pod, CancellationToken.None);

        h.Cluster.AddPod("p", "n1", true, Tolerate(NodeTaints.Unreachable, null));
        h.Advance(40);
        await h.Eviction.SyncAsync(Pod, CancellationToken.None);

        Assert.Empty(h.Cluster.Calls);
        Assert.Equal(["Normal TaintManagerEviction Cancelling deletion of Pod default/p"], h.EvictionEvents.On("p"));
    }

    [Fact]
    public void Only_a_change_of_the_nodes_NoExecute_taints_or_of_a_pods_binding_or_tolerations_is_looked_at()
    {
        using var h = new NodeLifecycleHarness();
        var plain = h.Cluster.AddNode("n1");
        var pod = h.Cluster.AddPod("p", "n1");
        h.Cluster.AddPod("q", "n1");
        var noSchedule = Copy(plain);
        noSchedule.Spec.Taints = [new V1Taint { Key = "k", Effect = "NoSchedule" }];
        var noExecute = Copy(plain);
        noExecute.Spec.Taints = [new V1Taint { Key = "k", Effect = "NoExecute" }];

        h.Eviction.OnNodeChanged(plain, noSchedule);
        h.Eviction.OnPodChanged(pod, Copy(pod));
        Assert.Equal(0, h.Eviction.Queue.Count);

        h.Eviction.OnNodeChanged(noSchedule, noExecute);
        Assert.Equal(2, h.Eviction.Queue.Count);

        var tolerant = Copy(pod);
        tolerant.Spec.Tolerations = [Tolerate("k", null)];
        var other = h.Cluster.AddPod("r", "n1");
        h.Eviction.OnPodChanged(pod, tolerant);
        h.Eviction.OnPodChanged(null, other);
        Assert.Equal(3, h.Eviction.Queue.Count);
    }

    private static V1Toleration Tolerate(string key, long? seconds) => new() { Key = key, OperatorProperty = "Exists", Effect = "NoExecute", TolerationSeconds = seconds };

    private static T Copy<T>(T obj) => k8s.KubernetesJson.Deserialize<T>(k8s.KubernetesJson.Serialize(obj));
}
