using k8s.Models;
using Kubesharp.Controllers.DaemonSet;
using Kubesharp.Controllers.Tests.Fakes;

namespace Kubesharp.Controllers.Tests.DaemonSet;

public sealed class DaemonSetControllerTests : IDisposable
{
    private readonly DaemonSetHarness _h = new();

    public void Dispose() => _h.Dispose();

    private DateTime LongAgo => _h.Clock.GetUtcNow().UtcDateTime.AddMinutes(-10);

    [Fact]
    public async Task One_pod_per_eligible_node_pinned_by_affinity_with_a_revision_and_expectations()
    {
        _h.AddNode("n1");
        _h.AddNode("n2");
        _h.AddNode("n3", new V1Taint { Key = "dedicated", Effect = "NoSchedule" });
        var ds = _h.AddDaemonSet();

        await _h.SyncAsync();

        var pods = _h.Cluster.List<V1Pod>();
        Assert.Equal(["n1", "n2"], pods.Select(DaemonPods.TargetNodeName).Order());
        var revision = Assert.Single(_h.Cluster.List<V1ControllerRevision>());
        var hash = revision.Metadata.Labels["controller-revision-hash"];
        Assert.Equal(("agent-" + hash, 1L, ds.Metadata.Uid), (revision.Metadata.Name, revision.Revision ?? 0, revision.Metadata.OwnerReferences[0].Uid));
        Assert.All(pods, p =>
        {
            Assert.Null(p.Spec.NodeName);
            Assert.Equal((hash, "1"), (p.Metadata.Labels["controller-revision-hash"], p.Metadata.Labels["pod-template-generation"]));
            Assert.Equal("agent-", p.Metadata.GenerateName);
        });
        Assert.Equal(2, _h.Events.Events.Count(e => e.StartsWith("Normal SuccessfulCreate Created pod: agent-", StringComparison.Ordinal)));
        Assert.Equal((2, 0), _h.Controller.Expectations.Pending("default/agent"));

        // The status counts the pods once the cache has them: scheduled, not ready.
        await _h.SyncAsync();
        var status = _h.Cluster.Get<V1DaemonSet>("default/agent")!.Status;
        Assert.Equal((2, 2, 0, 0, 2, 0, 2), (status.DesiredNumberScheduled, status.CurrentNumberScheduled, status.NumberMisscheduled, status.NumberReady, status.UpdatedNumberScheduled ?? 0, status.NumberAvailable ?? 0, status.NumberUnavailable ?? 0));
        Assert.Equal(1, status.ObservedGeneration);
        Assert.Equal(2, _h.Count("create pod"));
    }

    [Fact]
    public async Task Nothing_is_created_twice_before_the_creates_are_observed()
    {
        _h.AddNode("n1");
        _h.AddDaemonSet();
        await _h.SyncAsync();

        // The pod cache has not caught up: status only.
        await _h.Controller.SyncAsync("default/agent", CancellationToken.None);

        Assert.Equal(1, _h.Count("create pod"));
    }

    [Fact]
    public async Task Surplus_pods_go_the_oldest_stays_and_pods_on_ineligible_nodes_go()
    {
        _h.AddNode("n1");
        var ds = _h.AddDaemonSet();
        await _h.SyncAsync();
        var first = Assert.Single(_h.Cluster.List<V1Pod>());
        _h.Clock.Advance(TimeSpan.FromMinutes(1));
        var owner = new V1OwnerReference { ApiVersion = "apps/v1", Kind = "DaemonSet", Name = "agent", Uid = ds.Metadata.Uid, Controller = true };
        var duplicate = TestObjects.Pod("agent-dup", new Dictionary<string, string> { ["app"] = "agent" }, owner);
        duplicate.Spec.Affinity = DaemonPods.ReplaceNodeNameAffinity(null, "n1");
        _h.Cluster.Add(duplicate);
        var stray = TestObjects.Pod("agent-gone", new Dictionary<string, string> { ["app"] = "agent" }, owner);
        stray.Spec.Affinity = DaemonPods.ReplaceNodeNameAffinity(null, "n9");
        _h.Cluster.Add(stray);

        await _h.SyncAsync();

        Assert.Equal([first.Metadata.Name], _h.Cluster.List<V1Pod>().Select(p => p.Metadata.Name));
        Assert.Contains("Normal SuccessfulDelete Deleted pod: agent-dup", _h.Events.Events);
        Assert.Contains("Normal SuccessfulDelete Deleted pod: agent-gone", _h.Events.Events);
    }

    [Fact]
    public async Task A_node_whose_new_taint_is_NoExecute_loses_its_pod_and_NoSchedule_keeps_it_as_misscheduled()
    {
        _h.AddNode("n1");
        _h.AddNode("n2");
        _h.AddDaemonSet();
        await _h.SyncAsync();
        _h.Cluster.Mutate<V1Node>("/n1", n => n.Spec.Taints = [new V1Taint { Key = "k", Effect = "NoExecute" }]);
        _h.Cluster.Mutate<V1Node>("/n2", n => n.Spec.Taints = [new V1Taint { Key = "k", Effect = "NoSchedule" }]);

        await _h.SyncAsync();
        await _h.SyncAsync();

        Assert.Empty(_h.PodsOn("n1"));
        Assert.Single(_h.PodsOn("n2"));
        var status = _h.Cluster.Get<V1DaemonSet>("default/agent")!.Status;
        Assert.Equal((0, 0, 1), (status.DesiredNumberScheduled, status.CurrentNumberScheduled, status.NumberMisscheduled));
    }

    [Fact]
    public async Task A_failed_pod_is_deleted_with_an_event_and_its_replacement_waits_on_a_back_off()
    {
        _h.AddNode("n1");
        _h.AddDaemonSet();
        await _h.SyncAsync();
        var pod = Assert.Single(_h.Cluster.List<V1Pod>());
        _h.Cluster.Mutate<V1Pod>("default/" + pod.Metadata.Name, p => p.Status = new V1PodStatus { Phase = "Failed" });

        await _h.SyncAsync();
        Assert.Contains($"Warning FailedDaemonPod Found failed daemon pod default/{pod.Metadata.Name} on node n1, will try to kill it", _h.Events.Events);
        await _h.SyncAsync();
        var replacement = Assert.Single(_h.Cluster.List<V1Pod>());
        Assert.NotEqual(pod.Metadata.Name, replacement.Metadata.Name);

        // It fails too, at once: within the back-off it stays.
        _h.Cluster.Mutate<V1Pod>("default/" + replacement.Metadata.Name, p => p.Status = new V1PodStatus { Phase = "Failed" });
        await _h.SyncAsync();
        Assert.Equal(replacement.Metadata.Name, Assert.Single(_h.Cluster.List<V1Pod>()).Metadata.Name);

        _h.Clock.Advance(TimeSpan.FromSeconds(2));
        await _h.SyncAsync();
        Assert.Empty(_h.Cluster.List<V1Pod>());
    }

    [Theory]
    [InlineData("1", 1)]
    [InlineData("2", 2)]
    [InlineData("50%", 2)]
    public async Task A_rolling_update_deletes_at_most_max_unavailable_old_pods_at_a_time(string maxUnavailable, int expectedDeletes)
    {
        foreach (var n in new[] { "n1", "n2", "n3", "n4" })
        {
            _h.AddNode(n);
        }

        _h.AddDaemonSet(maxUnavailable: maxUnavailable);
        await _h.SyncAsync();
        _h.MakeAllReady(LongAgo);
        await _h.SyncAsync();
        _h.Cluster.ClearCalls();

        _h.ChangeImage("agent:2");
        await _h.SyncAsync();

        Assert.Equal(expectedDeletes, _h.Count("delete pod"));
        Assert.Equal(0, _h.Count("create pod"));
        Assert.Equal(2, _h.Cluster.List<V1ControllerRevision>().Count);

        // The deletes observed, the manage pass makes their replacements from the new template.
        await _h.SyncAsync();
        var fresh = _h.Cluster.List<V1Pod>().Where(p => p.Spec.Containers[0].Image == "agent:2").ToList();
        Assert.Equal(expectedDeletes, fresh.Count);
        Assert.All(fresh, p => Assert.Equal("2", p.Metadata.Labels["pod-template-generation"]));
        // They are not ready yet: no more old pods go.
        Assert.Equal(expectedDeletes, _h.Count("delete pod"));
    }

    [Fact]
    public async Task An_unavailable_old_pod_is_replaced_whatever_the_budget()
    {
        _h.AddNode("n1");
        _h.AddNode("n2");
        _h.AddDaemonSet(maxUnavailable: "1");
        await _h.SyncAsync();
        // Only the pod on n2 is ready.
        var onN1 = _h.PodsOn("n1").Single();
        var onN2 = _h.PodsOn("n2").Single();
        _h.Cluster.Mutate<V1Pod>("default/" + onN2.Metadata.Name, p => TestObjects.MakeReady(p, LongAgo));
        await _h.SyncAsync();
        _h.Cluster.ClearCalls();

        _h.ChangeImage("agent:2");
        await _h.SyncAsync();

        // The unready old pod of n1 counts against the budget of 1: it is replaced, the ready one of n2 waits.
        var deleted = _h.Cluster.Calls.Where(c => c.StartsWith("delete pod", StringComparison.Ordinal)).ToList();
        Assert.Equal(["delete pod default/" + onN1.Metadata.Name], deleted);
        Assert.Single(_h.PodsOn("n2"));
        Assert.Empty(_h.PodsOn("n1"));
    }

    [Fact]
    public async Task On_delete_leaves_old_pods_until_someone_deletes_them()
    {
        _h.AddNode("n1");
        _h.AddDaemonSet(strategy: "OnDelete");
        await _h.SyncAsync();
        _h.MakeAllReady(LongAgo);
        await _h.SyncAsync();

        _h.ChangeImage("agent:2");
        await _h.SyncAsync();
        var old = Assert.Single(_h.Cluster.List<V1Pod>());
        Assert.Equal("agent:1", old.Spec.Containers[0].Image);
        var status = _h.Cluster.Get<V1DaemonSet>("default/agent")!.Status;
        Assert.Equal((1, 0), (status.DesiredNumberScheduled, status.UpdatedNumberScheduled ?? 0));

        _h.Cluster.Remove<V1Pod>("default/" + old.Metadata.Name);
        await _h.SyncAsync();
        Assert.Equal("agent:2", Assert.Single(_h.Cluster.List<V1Pod>()).Spec.Containers[0].Image);
    }

    [Fact]
    public async Task With_max_surge_the_new_pod_starts_beside_the_old_one_which_goes_once_it_is_available()
    {
        _h.AddNode("n1");
        _h.AddNode("n2");
        _h.AddDaemonSet(maxUnavailable: "0", maxSurge: "1");
        await _h.SyncAsync();
        _h.MakeAllReady(LongAgo);
        await _h.SyncAsync();

        _h.ChangeImage("agent:2");
        await _h.SyncAsync();
        Assert.Equal(3, _h.Cluster.List<V1Pod>().Count);
        var surged = _h.Cluster.List<V1Pod>().Single(p => p.Spec.Containers[0].Image == "agent:2");
        var node = DaemonPods.TargetNodeName(surged)!;
        Assert.Equal(2, _h.PodsOn(node).Count);

        // The new pod becomes available: the old one on its node goes, and the other node surges.
        _h.Cluster.Mutate<V1Pod>("default/" + surged.Metadata.Name, p => TestObjects.MakeReady(p, LongAgo));
        await _h.SyncAsync();
        await _h.SyncAsync();
        Assert.Equal(["agent:2"], _h.PodsOn(node).Select(p => p.Spec.Containers[0].Image));
        var other = node == "n1" ? "n2" : "n1";
        Assert.Equal(["agent:1", "agent:2"], _h.PodsOn(other).Select(p => p.Spec.Containers[0].Image).Order());
    }

    [Fact]
    public async Task Old_revisions_beyond_the_limit_that_no_pod_uses_are_deleted_oldest_first()
    {
        _h.AddNode("n1");
        _h.AddDaemonSet(strategy: "OnDelete");
        _h.Cluster.Mutate<V1DaemonSet>("default/agent", d => d.Spec.RevisionHistoryLimit = 1);
        await _h.SyncAsync();
        var first = Assert.Single(_h.Cluster.List<V1ControllerRevision>());

        foreach (var image in new[] { "agent:2", "agent:3", "agent:4" })
        {
            _h.ChangeImage(image);
            await _h.SyncAsync();
            await _h.SyncAsync();
        }

        // The pod still runs the first template (OnDelete): its revision stays and fills the one old place.
        var left = _h.Cluster.List<V1ControllerRevision>().OrderBy(r => r.Revision).Select(r => (r.Metadata.Name, r.Revision ?? 0)).ToList();
        Assert.Equal(2, left.Count);
        Assert.Equal((first.Metadata.Name, 1L), left[0]);
        Assert.Equal(4L, left[1].Item2);
    }

    [Fact]
    public async Task A_roll_back_renumbers_the_old_revision_instead_of_making_a_new_one()
    {
        _h.AddNode("n1");
        _h.AddDaemonSet();
        await _h.SyncAsync();
        _h.ChangeImage("agent:2");
        await _h.SyncAsync();
        _h.ChangeImage("agent:1");
        await _h.SyncAsync();

        var revisions = _h.Cluster.List<V1ControllerRevision>().OrderBy(r => r.Revision).ToList();
        Assert.Equal(2, revisions.Count);
        Assert.Equal((2L, 3L), (revisions[0].Revision ?? 0, revisions[1].Revision ?? 0));
        Assert.Contains("agent:1", Kubesharp.Controllers.History.ControllerRevisions.Canonical(revisions[1].Data), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_daemon_set_selecting_everything_gets_a_warning_and_nothing_else()
    {
        _h.AddNode("n1");
        _h.AddDaemonSet();
        _h.Cluster.Mutate<V1DaemonSet>("default/agent", d => d.Spec.Selector = new V1LabelSelector());

        await _h.SyncAsync();

        Assert.Empty(_h.Cluster.List<V1Pod>());
        Assert.Equal(["Warning SelectingAll This daemon set is selecting all pods. A non-empty selector is required."], _h.Events.Events);
    }

    [Fact]
    public void Node_heartbeats_are_ignored_label_and_taint_changes_are_not()
    {
        var node = new V1Node
        {
            Metadata = new V1ObjectMeta { Name = "n1", ResourceVersion = "1", Labels = new Dictionary<string, string> { ["a"] = "b" } },
            Status = new V1NodeStatus { Conditions = [new V1NodeCondition { Type = "Ready", Status = "True", LastHeartbeatTime = LongAgo }] },
        };
        var heartbeat = Objects(node, n =>
        {
            n.Metadata.ResourceVersion = "2";
            n.Status.Conditions[0].LastHeartbeatTime = LongAgo.AddSeconds(10);
        });

        Assert.True(DaemonSetController.ShouldIgnoreNodeUpdate(node, heartbeat));
        Assert.False(DaemonSetController.ShouldIgnoreNodeUpdate(node, Objects(node, n => n.Status.Conditions[0].Status = "False")));
        Assert.False(DaemonSetController.ShouldIgnoreNodeUpdate(node, Objects(node, n => n.Metadata.Labels["a"] = "c")));
        Assert.False(DaemonSetController.ShouldIgnoreNodeUpdate(node, Objects(node, n => n.Spec = new V1NodeSpec { Taints = [new V1Taint { Key = "k", Effect = "NoSchedule" }] })));
    }

    private static V1Node Objects(V1Node node, Action<V1Node> change)
    {
        var copy = Kubesharp.Controllers.Common.Objects.DeepCopy(node);
        change(copy);
        return copy;
    }
}
