using k8s.Models;
using Kubesharp.Controllers.Common;
using Kubesharp.Controllers.Tests.Fakes;

namespace Kubesharp.Controllers.Tests.Common;

public sealed class PodDeletionOrderTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 2, 12, 0, 0, TimeSpan.Zero);

    private static DateTime Ago(TimeSpan t) => (Now - t).UtcDateTime;

    private static V1Pod P(string name, string? node = "n1", string phase = "Running", bool ready = true, TimeSpan? readyFor = null, int restarts = 0, TimeSpan? age = null, string? cost = null, string? uid = null)
    {
        var pod = TestObjects.Pod(name, node: node, phase: phase, ready: ready, readySince: ready ? Ago(readyFor ?? TimeSpan.FromHours(1)) : null);
        pod.Metadata.Uid = uid ?? "uid-" + name;
        pod.Metadata.CreationTimestamp = age is null ? Ago(TimeSpan.FromDays(1)) : age == TimeSpan.MaxValue ? null : Ago(age.Value);
        if (cost is not null)
        {
            pod.Metadata.Annotations = new Dictionary<string, string> { [PodDeletionOrder.DeletionCostAnnotation] = cost };
        }

        if (restarts > 0)
        {
            pod.Status.ContainerStatuses = [new V1ContainerStatus { Name = "c", RestartCount = restarts, Image = "x", ImageID = "x", Ready = ready }];
        }

        return pod;
    }

    /// <summary>Each case: the pod deleted first, the pod kept, and their ranks; the order must hold both ways round.</summary>
    public static TheoryData<string> Cases => [.. Table.Keys];

    private static readonly Dictionary<string, (V1Pod First, int FirstRank, V1Pod Second, int SecondRank)> Table = new()
    {
        ["unassigned before assigned, whatever else"] = (P("a", node: null, phase: "Running", ready: true), 0, P("b", node: "n1", phase: "Pending", ready: false), 5),
        ["pending before running"] = (P("a", phase: "Pending", ready: false), 0, P("b", phase: "Running", ready: false), 0),
        ["pending before unknown"] = (P("a", phase: "Pending", ready: false), 0, P("b", phase: "Unknown", ready: false), 0),
        ["unknown before running"] = (P("a", phase: "Unknown", ready: false), 0, P("b", phase: "Running", ready: false), 0),
        ["not ready before ready"] = (P("a", ready: false), 0, P("b", ready: true), 0),
        ["lower deletion cost before higher"] = (P("a", cost: "-5"), 0, P("b", cost: "10"), 9),
        ["no cost counts as zero"] = (P("a"), 0, P("b", cost: "1"), 0),
        ["more pods on the node (doubled up) first"] = (P("a"), 3, P("b"), 1),
        ["ready more recently first (different log2 buckets)"] = (P("a", readyFor: TimeSpan.FromMinutes(1)), 0, P("b", readyFor: TimeSpan.FromHours(3)), 0),
        ["ready times in one log2 bucket: by UID"] = (P("a", readyFor: TimeSpan.FromSeconds(70), uid: "uid-1"), 0, P("b", readyFor: TimeSpan.FromSeconds(80), uid: "uid-2"), 0),
        ["more restarts first"] = (P("a", restarts: 4), 0, P("b", restarts: 1), 0),
        ["newer first (different log2 buckets)"] = (P("a", ready: false, age: TimeSpan.FromMinutes(2)), 0, P("b", ready: false, age: TimeSpan.FromDays(2)), 0),
        ["creation times in one log2 bucket: by UID"] = (P("a", ready: false, age: TimeSpan.FromSeconds(70), uid: "uid-1"), 0, P("b", ready: false, age: TimeSpan.FromSeconds(80), uid: "uid-2"), 0),
        ["no creation time first"] = (P("a", ready: false, age: TimeSpan.MaxValue), 0, P("b", ready: false, age: TimeSpan.FromSeconds(1)), 0),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_first_pod_is_deleted_before_the_second(string name)
    {
        var (first, firstRank, second, secondRank) = Table[name];

        Assert.True(PodDeletionOrder.Less(first, firstRank, second, secondRank, Now), $"{name}: expected {first.Metadata.Name} before {second.Metadata.Name}");
        Assert.False(PodDeletionOrder.Less(second, secondRank, first, firstRank, Now), $"{name}: expected {second.Metadata.Name} not before {first.Metadata.Name}");
    }

    [Fact]
    public void Equal_pods_are_not_less_than_each_other()
    {
        var a = P("a");

        Assert.False(PodDeletionOrder.Less(a, 0, a, 0, Now));
    }

    [Fact]
    public void Pods_to_delete_takes_the_worst_first_and_ranks_by_active_related_pods_on_the_node()
    {
        var pending = P("pending", phase: "Pending", ready: false);
        var unassigned = P("unassigned", node: null, ready: false, phase: "Pending");
        var crowded = P("crowded", node: "busy");
        var alone = P("alone", node: "quiet");
        var notReady = P("not-ready", ready: false);
        var neighbours = new List<V1Pod> { P("x1", node: "busy"), P("x2", node: "busy"), P("x3", node: "busy") };
        var finished = P("done", node: "quiet", phase: "Succeeded");
        var pods = new List<V1Pod> { alone, crowded, notReady, pending, unassigned };

        var chosen = PodDeletionOrder.PodsToDelete(pods, [.. pods, .. neighbours, finished], 4, Now);

        Assert.Equal(["unassigned", "pending", "not-ready", "crowded"], chosen.Select(p => p.Metadata.Name));
    }

    [Fact]
    public void Deleting_all_skips_the_sort()
    {
        var pods = new List<V1Pod> { P("b"), P("a", ready: false) };

        var chosen = PodDeletionOrder.PodsToDelete(pods, [], 2, Now);

        Assert.Equal(["b", "a"], chosen.Select(p => p.Metadata.Name));
    }
}
