using k8s.Models;
using Kubesharp.Controllers.Tests.Fakes;

namespace Kubesharp.Controllers.Tests.StatefulSet;

public sealed class StatefulSetControllerTests : IDisposable
{
    private readonly StatefulSetHarness _h = new();

    public void Dispose() => _h.Dispose();

    private int Count(string prefix) => _h.Cluster.Calls.Count(c => c.StartsWith(prefix, StringComparison.Ordinal));

    [Fact]
    public async Task Ordered_ready_makes_one_pod_at_a_time_claims_first()
    {
        _h.AddSet(3);

        await _h.SyncAsync();
        Assert.Equal(["web-0"], _h.PodNames());
        var calls = _h.Cluster.Calls.Where(c => c.StartsWith("create", StringComparison.Ordinal)).ToList();
        Assert.Equal(["create controllerrevision", "create persistentvolumeclaim default/data-web-0", "create pod default/web-0"], calls.Select(c => c.StartsWith("create controllerrevision", StringComparison.Ordinal) ? "create controllerrevision" : c));

        // web-0 is Pending: nothing more.
        await _h.SyncAsync();
        await _h.SyncAsync();
        Assert.Equal(["web-0"], _h.PodNames());
        Assert.Equal((1, 0), (_h.Status.Replicas, _h.Status.ReadyReplicas ?? 0));

        _h.MakeReady("web-0");
        await _h.SyncAsync();
        Assert.Equal(["web-0", "web-1"], _h.PodNames());
        Assert.Equal(
            [
                "Normal SuccessfulCreate create Claim data-web-0 Pod web-0 in StatefulSet web success",
                "Normal SuccessfulCreate create Pod web-0 in StatefulSet web successful",
                "Normal SuccessfulCreate create Claim data-web-1 Pod web-1 in StatefulSet web success",
                "Normal SuccessfulCreate create Pod web-1 in StatefulSet web successful",
            ],
            _h.Events.Events);
    }

    [Fact]
    public async Task Parallel_makes_every_pod_at_once()
    {
        _h.AddSet(3, policy: "Parallel");

        await _h.SyncAsync();

        Assert.Equal(["web-0", "web-1", "web-2"], _h.PodNames());
        Assert.Equal(3, _h.Cluster.List<V1PersistentVolumeClaim>().Count);
    }

    [Fact]
    public async Task The_start_ordinal_shifts_the_names()
    {
        _h.AddSet(2, policy: "Parallel", start: 5);

        await _h.SyncAsync();

        Assert.Equal(["web-5", "web-6"], _h.PodNames());
    }

    [Fact]
    public async Task Scale_down_goes_from_the_highest_ordinal_one_at_a_time()
    {
        _h.AddSet(3);
        await _h.SettleAsync();
        Assert.Equal(3, _h.Status.ReadyReplicas);
        _h.Cluster.Mutate<V1StatefulSet>("default/web", s => s.Spec.Replicas = 1);
        _h.Cluster.ClearCalls();

        await _h.SyncAsync();
        Assert.Equal(["delete pod default/web-2"], _h.Cluster.Calls.Where(c => c.StartsWith("delete", StringComparison.Ordinal)));
        await _h.SyncAsync();
        Assert.Equal(["web-0"], _h.PodNames());
        Assert.Contains("Normal SuccessfulDelete delete Pod web-1 in StatefulSet web successful", _h.Events.Events);
        // Claims are retained.
        Assert.Equal(3, _h.Cluster.List<V1PersistentVolumeClaim>().Count);
    }

    [Fact]
    public async Task Ordered_scale_down_waits_while_a_lower_pod_is_unhealthy()
    {
        _h.AddSet(3);
        await _h.SettleAsync();
        _h.Cluster.Mutate<V1Pod>("default/web-0", p => p.Status.Conditions = null);
        _h.Cluster.Mutate<V1StatefulSet>("default/web", s => s.Spec.Replicas = 1);
        _h.Cluster.ClearCalls();

        await _h.SyncAsync();

        Assert.Equal(0, Count("delete pod"));
    }

    [Fact]
    public async Task A_rolling_update_with_a_partition_replaces_from_the_highest_ordinal_down_to_it()
    {
        _h.AddSet(3, partition: 1);
        await _h.SettleAsync();
        var oldRevision = _h.Status.CurrentRevision;
        _h.Cluster.Mutate<V1StatefulSet>("default/web", s => s.Spec.Template.Spec.Containers[0].Image = "nginx:2");
        _h.Cluster.ClearCalls();

        await _h.SyncAsync();
        Assert.Equal(["delete pod default/web-2"], _h.Cluster.Calls.Where(c => c.StartsWith("delete", StringComparison.Ordinal)));

        await _h.SettleAsync();
        var pods = _h.Cluster.List<V1Pod>().ToDictionary(p => p.Metadata.Name);
        Assert.Equal(["nginx:1", "nginx:2", "nginx:2"], new[] { "web-0", "web-1", "web-2" }.Select(n => pods[n].Spec.Containers[0].Image));
        Assert.Equal(["delete pod default/web-2", "delete pod default/web-1"], _h.Cluster.Calls.Where(c => c.StartsWith("delete", StringComparison.Ordinal)));
        var status = _h.Status;
        Assert.Equal((oldRevision, 1, 2, 3), (status.CurrentRevision, status.CurrentReplicas ?? 0, status.UpdatedReplicas ?? 0, status.ReadyReplicas ?? 0));
        Assert.NotEqual(oldRevision, status.UpdateRevision);
        Assert.Equal(pods["web-2"].Metadata.Labels["controller-revision-hash"], status.UpdateRevision);

        // Partition 0: web-0 too, and the update revision becomes current.
        _h.Cluster.Mutate<V1StatefulSet>("default/web", s => s.Spec.UpdateStrategy.RollingUpdate.Partition = 0);
        await _h.SettleAsync();
        status = _h.Status;
        Assert.Equal((status.UpdateRevision, 3, 3), (status.CurrentRevision, status.CurrentReplicas ?? 0, status.UpdatedReplicas ?? 0));
    }

    [Fact]
    public async Task A_rolling_update_waits_for_each_replacement_to_be_healthy()
    {
        _h.AddSet(3);
        await _h.SettleAsync();
        _h.Cluster.Mutate<V1StatefulSet>("default/web", s => s.Spec.Template.Spec.Containers[0].Image = "nginx:2");
        _h.Cluster.ClearCalls();

        await _h.SyncAsync();
        await _h.SyncAsync();
        await _h.SyncAsync();

        // web-2 was replaced, but the new web-2 is Pending: web-1 stays.
        Assert.Equal(["delete pod default/web-2"], _h.Cluster.Calls.Where(c => c.StartsWith("delete", StringComparison.Ordinal)));
        Assert.Equal(["create pod default/web-2"], _h.Cluster.Calls.Where(c => c.StartsWith("create pod", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task On_delete_replaces_a_pod_only_when_someone_deletes_it()
    {
        _h.AddSet(2, strategy: "OnDelete");
        await _h.SettleAsync();
        _h.Cluster.Mutate<V1StatefulSet>("default/web", s => s.Spec.Template.Spec.Containers[0].Image = "nginx:2");

        await _h.SettleAsync();
        Assert.All(_h.Cluster.List<V1Pod>(), p => Assert.Equal("nginx:1", p.Spec.Containers[0].Image));

        _h.Cluster.Remove<V1Pod>("default/web-1");
        await _h.SettleAsync();
        Assert.Equal("nginx:2", _h.Cluster.Get<V1Pod>("default/web-1")!.Spec.Containers[0].Image);
        Assert.Equal("nginx:1", _h.Cluster.Get<V1Pod>("default/web-0")!.Spec.Containers[0].Image);
    }

    [Fact]
    public async Task A_failed_pod_is_deleted_and_made_again()
    {
        _h.AddSet(1);
        await _h.SettleAsync();
        var uid = _h.Cluster.Get<V1Pod>("default/web-0")!.Metadata.Uid;
        _h.Cluster.Mutate<V1Pod>("default/web-0", p => p.Status.Phase = "Failed");

        await _h.SyncAsync();
        Assert.Empty(_h.PodNames());
        await _h.SyncAsync();

        var again = _h.Cluster.Get<V1Pod>("default/web-0")!;
        Assert.NotEqual(uid, again.Metadata.Uid);
    }

    [Fact]
    public async Task A_pod_whose_identity_label_was_removed_is_repaired_in_place()
    {
        _h.AddSet(1);
        await _h.SettleAsync();
        _h.Cluster.Mutate<V1Pod>("default/web-0", p => p.Metadata.Labels.Remove("statefulset.kubernetes.io/pod-name"));
        _h.Cluster.ClearCalls();

        await _h.SyncAsync();

        Assert.Equal(["update pod default/web-0"], _h.Cluster.Calls.Where(c => c.StartsWith("update pod", StringComparison.Ordinal)));
        Assert.Equal("web-0", _h.Cluster.Get<V1Pod>("default/web-0")!.Metadata.Labels["statefulset.kubernetes.io/pod-name"]);
    }

    [Fact]
    public async Task An_orphan_member_pod_is_adopted_repaired_and_rolled_and_a_pod_of_another_name_is_left_alone()
    {
        _h.AddSet(1, claims: false);
        var orphan = TestObjects.Pod("web-0");
        TestObjects.MakeReady(orphan, _h.Clock.GetUtcNow().UtcDateTime.AddMinutes(-1));
        _h.Cluster.Add(orphan);
        _h.Cluster.Add(TestObjects.Pod("other-0"));

        await _h.SyncAsync();

        // Adopted (a patch adding the set as controller), its identity label restored in place (rereading
        // through the conflict its adoption causes), then replaced: it carries no revision of the set.
        var calls = _h.Cluster.Calls.Where(c => c.Contains("pod default/web-0", StringComparison.Ordinal)).Select(c => c.Split(' ')[0]).ToList();
        Assert.Equal(["patch", "update", "get", "update", "delete"], calls);
        Assert.DoesNotContain(_h.Cluster.Calls, c => c.Contains("other-0", StringComparison.Ordinal));
        Assert.Null(_h.Cluster.Get<V1Pod>("default/other-0")!.Metadata.OwnerReferences);

        await _h.SyncAsync();
        var made = _h.Cluster.Get<V1Pod>("default/web-0")!;
        Assert.Equal(_h.Status.UpdateRevision, made.Metadata.Labels["controller-revision-hash"]);
    }

    [Fact]
    public async Task Revisions_beyond_the_history_limit_are_deleted_oldest_first()
    {
        _h.AddSet(1);
        _h.Cluster.Mutate<V1StatefulSet>("default/web", s => s.Spec.RevisionHistoryLimit = 1);
        await _h.SettleAsync();
        foreach (var image in new[] { "nginx:2", "nginx:3", "nginx:4" })
        {
            _h.Cluster.Mutate<V1StatefulSet>("default/web", s => s.Spec.Template.Spec.Containers[0].Image = image);
            await _h.SettleAsync();
        }

        Assert.Equal([3L, 4L], _h.Cluster.List<V1ControllerRevision>().Select(r => r.Revision ?? 0).Order());
    }
}
