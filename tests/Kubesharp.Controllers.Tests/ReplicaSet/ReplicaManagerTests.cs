using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Client.Controllers;
using Kubesharp.Controllers.Common;
using Kubesharp.Controllers.ReplicaSet;
using Kubesharp.Controllers.ReplicationController;
using Kubesharp.Controllers.Tests.Fakes;

namespace Kubesharp.Controllers.Tests.ReplicaSet;

public sealed class ReplicaManagerTests : IDisposable
{
    private readonly ReplicaHarness<V1ReplicaSet> _h = new(ReplicaSetKind.Instance);

    public void Dispose() => _h.Dispose();

    private V1ReplicaSet AddReplicaSet(int replicas, int minReadySeconds = 0)
    {
        var rs = _h.Cluster.Add(TestObjects.ReplicaSet("web", replicas, minReadySeconds: minReadySeconds));
        _h.Deliver();
        return rs;
    }

    private static string Ready(V1Pod p) => $"{p.Metadata.Name}";

    [Fact]
    public async Task Missing_pods_are_created_in_slow_start_batches_owned_by_the_replica_set()
    {
        var rs = AddReplicaSet(10);

        await _h.SyncAsync("web");

        var pods = _h.PodsOwnedBy(rs.Metadata.Uid);
        Assert.Equal(10, pods.Count);
        Assert.All(pods, p =>
        {
            Assert.Matches("^web-[bcdfghjklmnpqrstvwxz2456789]{5}$", p.Metadata.Name);
            Assert.Equal("web-", p.Metadata.GenerateName);
            Assert.Equal("web", p.Metadata.Labels["app"]);
            var owner = Assert.Single(p.Metadata.OwnerReferences);
            Assert.Equal(("apps/v1", "ReplicaSet", "web", rs.Metadata.Uid, true, true), (owner.ApiVersion, owner.Kind, owner.Name, owner.Uid, owner.Controller, owner.BlockOwnerDeletion));
            Assert.Equal("nginx:1", p.Spec.Containers[0].Image);
        });
        Assert.Equal(10, _h.Events.Events.Count(e => e.StartsWith("Normal SuccessfulCreate Created pod: web-", StringComparison.Ordinal)));
        Assert.Equal((10, 0), _h.Controller.Expectations.Pending("default/web"));
    }

    [Fact]
    public async Task Nothing_is_created_twice_while_creates_are_not_yet_observed()
    {
        AddReplicaSet(3);
        await _h.SyncAsync("web");
        _h.Cluster.ClearCalls();

        // The pod cache has not caught up: the controller must not trust it.
        await _h.SyncAsync("web");
        var createsBeforeDelivery = _h.Cluster.Calls.Count(c => c.StartsWith("create pod", StringComparison.Ordinal));
        _h.Deliver();
        await _h.SyncAsync("web");

        Assert.Equal(0, createsBeforeDelivery);
        Assert.DoesNotContain(_h.Cluster.Calls, c => c.StartsWith("create pod", StringComparison.Ordinal));
        Assert.Equal(3, _h.Cluster.List<V1Pod>().Count);
        Assert.True(_h.Controller.Expectations.Satisfied("default/web"));
        Assert.Equal(3, _h.Cluster.Get<V1ReplicaSet>("default/web")!.Status.Replicas);
    }

    [Fact]
    public async Task Unobserved_creates_expire_after_five_minutes_and_the_controller_acts_again()
    {
        AddReplicaSet(2);
        await _h.SyncAsync("web");
        // The creates were lost: no pod ever shows up.
        foreach (var pod in _h.Cluster.List<V1Pod>())
        {
            _h.Cluster.Remove<V1Pod>(ObjectKeys.For(pod));
        }

        await _h.SyncAsync("web");
        var before = _h.Cluster.List<V1Pod>().Count;
        _h.Clock.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));
        await _h.SyncAsync("web");

        Assert.Equal((0, 2), (before, _h.Cluster.List<V1Pod>().Count));
    }

    [Fact]
    public async Task A_failing_create_stops_the_slow_start_records_events_and_the_replica_failure_condition()
    {
        AddReplicaSet(10);
        var creates = 0;
        _h.Cluster.Fail = call => call.StartsWith("create pod", StringComparison.Ordinal) && ++creates > 1
            ? ApiErrors.Status(403, "Forbidden", "pods \"web-\" is forbidden: exceeded quota: q, requested: pods=1, used: pods=1, limited: pods=1")
            : null;

        var error = await Assert.ThrowsAsync<ApiStatusException>(() => _h.SyncAsync("web"));

        Assert.Equal(403, error.Code);
        // Batch 1 (1 create) succeeded, batch 2 (2 creates) failed, batch 3 never started.
        Assert.Equal(3, creates);
        Assert.Single(_h.Cluster.List<V1Pod>());
        Assert.Equal(2, _h.Events.Events.Count(e => e == "Warning FailedCreate Error creating: pods \"web-\" is forbidden: exceeded quota: q, requested: pods=1, used: pods=1, limited: pods=1"));
        Assert.Equal((1, 0), _h.Controller.Expectations.Pending("default/web"));
        var condition = Assert.Single(_h.Cluster.Get<V1ReplicaSet>("default/web")!.Status.Conditions);
        Assert.Equal(("ReplicaFailure", "True", "FailedCreate"), (condition.Type, condition.Status, condition.Reason));
        Assert.Contains("exceeded quota", condition.Message, StringComparison.Ordinal);

        // Once the quota allows it, the condition goes away.
        _h.Cluster.Fail = null;
        _h.Deliver();
        await _h.SyncAsync("web");
        Assert.Null(_h.Cluster.Get<V1ReplicaSet>("default/web")!.Status.Conditions);
        Assert.Equal(10, _h.Cluster.List<V1Pod>().Count);
    }

    [Fact]
    public async Task Surplus_pods_are_deleted_worst_first_and_each_deletion_is_expected_once()
    {
        var rs = AddReplicaSet(2);
        var owner = TestObjects.OwnerRef(rs);
        var since = _h.Clock.GetUtcNow().UtcDateTime.AddMinutes(-10);
        _h.Cluster.Add(TestObjects.Pod("ready-1", owner: owner, node: "n1", phase: "Running", ready: true, readySince: since));
        _h.Cluster.Add(TestObjects.Pod("unassigned", owner: owner, node: null));
        _h.Cluster.Add(TestObjects.Pod("ready-2", owner: owner, node: "n2", phase: "Running", ready: true, readySince: since));
        _h.Cluster.Add(TestObjects.Pod("not-ready", owner: owner, node: "n2", phase: "Running"));
        _h.Deliver();

        await _h.SyncAsync("web");

        Assert.Equal(["delete pod default/not-ready", "delete pod default/unassigned"], _h.Cluster.Calls.Where(c => c.StartsWith("delete", StringComparison.Ordinal)).Order());
        Assert.Equal(["Normal SuccessfulDelete Deleted pod: not-ready", "Normal SuccessfulDelete Deleted pod: unassigned"], _h.Events.Events.Order());
        Assert.Equal((0, 2), _h.Controller.Expectations.Pending("default/web"));

        _h.Deliver();
        Assert.True(_h.Controller.Expectations.Satisfied("default/web"));
    }

    [Fact]
    public async Task A_pod_marked_for_deletion_is_replaced_at_once_and_finished_pods_do_not_count()
    {
        var rs = AddReplicaSet(2);
        var owner = TestObjects.OwnerRef(rs);
        _h.Cluster.Add(TestObjects.Pod("a", owner: owner, node: "n1", phase: "Running"));
        _h.Cluster.Add(TestObjects.Pod("done", owner: owner, node: "n1", phase: "Succeeded"));
        var leaving = TestObjects.Pod("leaving", owner: owner, node: "n1", phase: "Running");
        leaving.Metadata.DeletionTimestamp = _h.Clock.GetUtcNow().UtcDateTime;
        _h.Cluster.Add(leaving);
        _h.Deliver();

        await _h.SyncAsync("web");

        Assert.Equal(1, _h.Cluster.Calls.Count(c => c.StartsWith("create pod", StringComparison.Ordinal)));
        Assert.Equal(1, _h.Cluster.Get<V1ReplicaSet>("default/web")!.Status.Replicas);
    }

    [Fact]
    public async Task Matching_orphans_are_adopted_and_owned_pods_that_stop_matching_are_released()
    {
        var rs = AddReplicaSet(2);
        _h.Cluster.Add(TestObjects.Pod("orphan"));
        var foreign = new V1OwnerReference { ApiVersion = "apps/v1", Kind = "ReplicaSet", Name = "other", Uid = "uid-other", Controller = true };
        _h.Cluster.Add(TestObjects.Pod("foreign", owner: foreign));
        _h.Cluster.Add(TestObjects.Pod("moved-away", labels: new Dictionary<string, string> { ["app"] = "other" }, owner: TestObjects.OwnerRef(rs)));
        var terminating = TestObjects.Pod("terminating-orphan");
        terminating.Metadata.DeletionTimestamp = _h.Clock.GetUtcNow().UtcDateTime;
        _h.Cluster.Add(terminating);
        _h.Deliver();

        await _h.SyncAsync("web");

        var orphan = _h.Cluster.Get<V1Pod>("default/orphan")!;
        var adopted = Assert.Single(orphan.Metadata.OwnerReferences);
        Assert.Equal((rs.Metadata.Uid, true, true), (adopted.Uid, adopted.Controller, adopted.BlockOwnerDeletion));
        Assert.Null(_h.Cluster.Get<V1Pod>("default/moved-away")!.Metadata.OwnerReferences);
        Assert.Equal("uid-other", Assert.Single(_h.Cluster.Get<V1Pod>("default/foreign")!.Metadata.OwnerReferences).Uid);
        Assert.Null(_h.Cluster.Get<V1Pod>("default/terminating-orphan")!.Metadata.OwnerReferences);
        // Adoption is checked against a fresh read of the ReplicaSet first.
        Assert.Contains("get replicaset default/web", _h.Cluster.Calls);
        Assert.Equal(1, _h.Cluster.Calls.Count(c => c.StartsWith("create pod", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_replica_set_being_deleted_adopts_nothing_and_creates_nothing()
    {
        AddReplicaSet(2);
        _h.Cluster.Mutate<V1ReplicaSet>("default/web", r => r.Metadata.DeletionTimestamp = DateTime.UtcNow);
        _h.Cluster.Add(TestObjects.Pod("orphan"));
        _h.Deliver();

        await _h.SyncAsync("web");

        Assert.Null(_h.Cluster.Get<V1Pod>("default/orphan")!.Metadata.OwnerReferences);
        Assert.DoesNotContain(_h.Cluster.Calls, c => c.StartsWith("create pod", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Status_counts_ready_available_and_fully_labeled_pods_with_min_ready_seconds()
    {
        var rs = AddReplicaSet(3, minReadySeconds: 10);
        var owner = TestObjects.OwnerRef(rs);
        var now = _h.Clock.GetUtcNow().UtcDateTime;
        _h.Cluster.Add(TestObjects.Pod("long-ready", owner: owner, node: "n", phase: "Running", ready: true, readySince: now.AddSeconds(-20)));
        _h.Cluster.Add(TestObjects.Pod("just-ready", owner: owner, node: "n", phase: "Running", ready: true, readySince: now.AddSeconds(-5)));
        var extraLabel = TestObjects.Pod("extra", owner: owner, node: "n", phase: "Running", ready: true, readySince: now.AddSeconds(-5));
        _h.Cluster.Add(extraLabel);
        _h.Cluster.Mutate<V1ReplicaSet>("default/web", r => r.Spec.Template.Metadata.Labels["tier"] = "front");
        _h.Cluster.Mutate<V1Pod>("default/extra", p => p.Metadata.Labels["tier"] = "front");
        _h.Deliver();

        var result = await _h.SyncAsync("web");

        var status = _h.Cluster.Get<V1ReplicaSet>("default/web")!.Status;
        Assert.Equal((3, 1, 3, 1, 2L), (status.Replicas, status.FullyLabeledReplicas, status.ReadyReplicas, status.AvailableReplicas, status.ObservedGeneration));
        // All ready, not all available: look again after minReadySeconds.
        Assert.Equal(ReconcileResult.RequeueAfter(TimeSpan.FromSeconds(10)), result);
    }

    [Fact]
    public async Task An_unchanged_status_is_not_written_again()
    {
        AddReplicaSet(1);
        await _h.SyncAsync("web");
        _h.Deliver();
        await _h.SyncAsync("web");
        _h.Deliver();
        _h.Cluster.ClearCalls();

        await _h.SyncAsync("web");

        Assert.Empty(_h.Cluster.Calls);
    }

    [Fact]
    public async Task At_most_the_burst_is_created_per_sync()
    {
        using var h = new ReplicaHarness<V1ReplicaSet>(ReplicaSetKind.Instance, burstReplicas: 5);
        h.Cluster.Add(TestObjects.ReplicaSet("web", 8));
        h.Deliver();

        await h.SyncAsync("web");
        var first = h.Cluster.List<V1Pod>().Count;
        h.Deliver();
        await h.SyncAsync("web");

        Assert.Equal((5, 8), (first, h.Cluster.List<V1Pod>().Count));
    }

    [Fact]
    public async Task A_deleted_replica_set_forgets_its_expectations()
    {
        AddReplicaSet(2);
        await _h.SyncAsync("web");
        _h.Cluster.Remove<V1ReplicaSet>("default/web");
        _h.Deliver();

        var result = await _h.SyncAsync("web");

        Assert.Equal(ReconcileResult.Done, result);
        Assert.Null(_h.Controller.Expectations.Pending("default/web"));
    }

    [Fact]
    public async Task Pod_events_wake_the_owner_and_an_orphan_wakes_every_selecting_owner()
    {
        var rs = AddReplicaSet(1);
        _h.Cluster.Add(TestObjects.ReplicaSet("other", 1, selector: new Dictionary<string, string> { ["app"] = "other" }));
        _h.Deliver();
        while (_h.Controller.Queue.Count > 0)
        {
            var (key, _) = await _h.Controller.Queue.GetAsync(CancellationToken.None);
            _h.Controller.Queue.Done(key);
        }

        _h.Controller.OnPodAdded(TestObjects.Pod("orphan"));
        var (woken, _) = await _h.Controller.Queue.GetAsync(CancellationToken.None);
        _h.Controller.Queue.Done(woken);
        _h.Controller.OnPodAdded(TestObjects.Pod("owned-by-gone", owner: new V1OwnerReference { Kind = "ReplicaSet", Name = "web", Uid = "not-" + rs.Metadata.Uid, Controller = true }));

        Assert.Equal("default/web", woken);
        Assert.Equal(0, _h.Controller.Queue.Count);
    }
}

public sealed class ReplicationManagerTests : IDisposable
{
    private readonly ReplicaHarness<V1ReplicationController> _h = new(ReplicationControllerKind.Instance);

    public void Dispose() => _h.Dispose();

    [Fact]
    public async Task A_replication_controller_runs_through_the_same_core()
    {
        var rc = _h.Cluster.Add(new V1ReplicationController
        {
            ApiVersion = "v1",
            Kind = "ReplicationController",
            Metadata = new V1ObjectMeta { Name = "legacy", NamespaceProperty = TestObjects.Ns },
            Spec = new V1ReplicationControllerSpec
            {
                Replicas = 2,
                Selector = new Dictionary<string, string> { ["app"] = "web" },
                Template = TestObjects.Template(),
            },
        });
        _h.Cluster.Add(TestObjects.Pod("orphan"));
        _h.Deliver();

        await _h.SyncAsync("legacy");
        _h.Deliver();
        await _h.SyncAsync("legacy");

        var pods = _h.PodsOwnedBy(rc.Metadata.Uid);
        Assert.Equal(2, pods.Count);
        Assert.Contains(pods, p => p.Metadata.Name == "orphan");
        Assert.All(pods, p => Assert.Equal(("v1", "ReplicationController", "legacy"), (p.Metadata.OwnerReferences[0].ApiVersion, p.Metadata.OwnerReferences[0].Kind, p.Metadata.OwnerReferences[0].Name)));
        Assert.Matches("^legacy-[bcdfghjklmnpqrstvwxz2456789]{5}$", pods.Single(p => p.Metadata.Name != "orphan").Metadata.Name);
        Assert.Contains("get replicationcontroller default/legacy", _h.Cluster.Calls);
        var status = _h.Cluster.Get<V1ReplicationController>("default/legacy")!.Status;
        Assert.Equal((2, 1L), (status.Replicas, status.ObservedGeneration));
    }
}
