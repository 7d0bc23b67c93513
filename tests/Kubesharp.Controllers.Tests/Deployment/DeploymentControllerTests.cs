using k8s.Models;
using Kubesharp.Client.Controllers;
using Kubesharp.Controllers.Deployment;
using Kubesharp.Controllers.Tests.Fakes;

namespace Kubesharp.Controllers.Tests.Deployment;

public sealed class DeploymentControllerTests : IDisposable
{
    private readonly DeploymentHarness _h = new();

    public void Dispose() => _h.Dispose();

    private static string Hash(V1ReplicaSet rs) => rs.Metadata.Labels[PodTemplateHash.Label];

    private static V1DeploymentCondition Condition(V1Deployment d, string type) => Assert.Single(d.Status.Conditions, c => c.Type == type);

    /// <summary>Runs syncs, settling the ReplicaSets (all available unless told) after each, until nothing changes.</summary>
    private async Task RollAsync(Func<V1ReplicaSet, int>? available = null, int maxSyncs = 30)
    {
        for (var i = 0; i < maxSyncs; i++)
        {
            _h.Cluster.ClearCalls();
            await _h.SyncAsync();
            _h.Settle(available);
            if (!_h.Cluster.Calls.Any(c => !c.StartsWith("get ", StringComparison.Ordinal)))
            {
                return;
            }
        }

        Assert.Fail($"the rollout did not settle in {maxSyncs} syncs; last calls: {string.Join("; ", _h.Cluster.Calls)}");
    }

    private void SetImage(string image) => _h.Cluster.Mutate<V1Deployment>("default/web", d => d.Spec.Template.Spec.Containers[0].Image = image);

    [Fact]
    public async Task A_new_deployment_gets_a_replica_set_named_after_its_template_hash()
    {
        var d = _h.Cluster.Add(DeploymentHarness.NewDeployment(replicas: 10));

        await _h.SyncAsync();

        var rs = Assert.Single(_h.Cluster.List<V1ReplicaSet>());
        var hash = Hash(rs);
        Assert.Equal(PodTemplateHash.Compute(d.Spec.Template, null), hash);
        Assert.Equal("web-" + hash, rs.Metadata.Name);
        Assert.Equal(hash, rs.Spec.Selector.MatchLabels[PodTemplateHash.Label]);
        Assert.Equal(hash, rs.Spec.Template.Metadata.Labels[PodTemplateHash.Label]);
        Assert.Equal("web", rs.Spec.Selector.MatchLabels["app"]);
        var owner = Assert.Single(rs.Metadata.OwnerReferences);
        Assert.Equal(("apps/v1", "Deployment", "web", d.Metadata.Uid, true, true), (owner.ApiVersion, owner.Kind, owner.Name, owner.Uid, owner.Controller, owner.BlockOwnerDeletion));
        Assert.Equal(("1", "10", "13"), (rs.Metadata.Annotations[DeploymentAnnotations.Revision], rs.Metadata.Annotations[DeploymentAnnotations.DesiredReplicas], rs.Metadata.Annotations[DeploymentAnnotations.MaxReplicas]));
        Assert.Equal(10, rs.Spec.Replicas);
        Assert.Equal([$"Normal ScalingReplicaSet Scaled up replica set web-{hash} to 10"], _h.Events.Events);

        var status = _h.Deployment();
        Assert.Equal("1", status.Metadata.Annotations[DeploymentAnnotations.Revision]);
        Assert.Equal(1, status.Status.ObservedGeneration);
        var progressing = Condition(status, "Progressing");
        Assert.Equal(("True", "NewReplicaSetCreated", $"Created new replica set \"web-{hash}\""), (progressing.Status, progressing.Reason, progressing.Message));
        var available = Condition(status, "Available");
        Assert.Equal(("False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability."), (available.Status, available.Reason, available.Message));
    }

    [Fact]
    public async Task A_finished_rollout_reports_available_and_new_replica_set_available()
    {
        _h.Cluster.Add(DeploymentHarness.NewDeployment(replicas: 3));

        await RollAsync();

        var d = _h.Deployment();
        var rs = Assert.Single(_h.Cluster.List<V1ReplicaSet>());
        Assert.Equal((3, 3, 3, 3, 0), (d.Status.Replicas, d.Status.UpdatedReplicas, d.Status.ReadyReplicas, d.Status.AvailableReplicas, d.Status.UnavailableReplicas ?? 0));
        Assert.Equal(("True", "MinimumReplicasAvailable"), (Condition(d, "Available").Status, Condition(d, "Available").Reason));
        var progressing = Condition(d, "Progressing");
        Assert.Equal(("True", "NewReplicaSetAvailable", $"ReplicaSet \"{rs.Metadata.Name}\" has successfully progressed."), (progressing.Status, progressing.Reason, progressing.Message));
    }

    [Fact]
    public async Task A_rolling_update_surges_by_one_and_never_goes_below_the_available_minimum()
    {
        _h.Cluster.Add(DeploymentHarness.NewDeployment(replicas: 3, maxSurge: "1", maxUnavailable: "0"));
        await RollAsync();
        var v1 = Assert.Single(_h.Cluster.List<V1ReplicaSet>());
        _h.Events.Clear();
        SetImage("nginx:2");

        var maxPods = 0;
        var minAvailable = int.MaxValue;
        for (var i = 0; i < 20; i++)
        {
            await _h.SyncAsync();
            _h.Settle();
            var all = _h.Cluster.List<V1ReplicaSet>();
            maxPods = Math.Max(maxPods, all.Sum(rs => rs.Spec.Replicas ?? 0));
            minAvailable = Math.Min(minAvailable, all.Sum(rs => rs.Status?.AvailableReplicas ?? 0));
        }

        var v2 = Assert.Single(_h.Cluster.List<V1ReplicaSet>(), rs => rs.Metadata.Name != v1.Metadata.Name);
        Assert.Equal((4, 3), (maxPods, minAvailable));
        Assert.Equal(
            [
                $"Normal ScalingReplicaSet Scaled up replica set {v2.Metadata.Name} to 1",
                $"Normal ScalingReplicaSet Scaled down replica set {v1.Metadata.Name} to 2 from 3",
                $"Normal ScalingReplicaSet Scaled up replica set {v2.Metadata.Name} to 2 from 1",
                $"Normal ScalingReplicaSet Scaled down replica set {v1.Metadata.Name} to 1 from 2",
                $"Normal ScalingReplicaSet Scaled up replica set {v2.Metadata.Name} to 3 from 2",
                $"Normal ScalingReplicaSet Scaled down replica set {v1.Metadata.Name} to 0 from 1",
            ],
            _h.Events.Events);
        Assert.Equal(("2", 3, 0), (v2.Metadata.Annotations[DeploymentAnnotations.Revision], v2.Spec.Replicas, _h.Cluster.Get<V1ReplicaSet>("default/" + v1.Metadata.Name)!.Spec.Replicas));
        Assert.Equal("2", _h.Deployment().Metadata.Annotations[DeploymentAnnotations.Revision]);
        Assert.Equal("NewReplicaSetAvailable", Condition(_h.Deployment(), "Progressing").Reason);
    }

    [Fact]
    public async Task Unavailable_old_pods_are_scaled_away_first()
    {
        _h.Cluster.Add(DeploymentHarness.NewDeployment(replicas: 4, maxSurge: "0", maxUnavailable: "1"));
        await RollAsync();
        var v1 = Assert.Single(_h.Cluster.List<V1ReplicaSet>());
        // Two of the old pods break.
        _h.Settle(rs => 2);
        SetImage("nginx:2");
        _h.Events.Clear();

        await _h.SyncAsync();

        // 4 pods, 2 of them unavailable, minAvailable 3: one pod may go, and it is taken from the unhealthy
        // ones (the ReplicaSet deletes not-ready pods first); the new ReplicaSet cannot surge.
        Assert.Equal([$"Normal ScalingReplicaSet Scaled down replica set {v1.Metadata.Name} to 3 from 4"], _h.Events.Events);
        Assert.Equal(0, Assert.Single(_h.Cluster.List<V1ReplicaSet>(), rs => rs.Metadata.Name != v1.Metadata.Name).Spec.Replicas);
    }

    [Fact]
    public async Task A_scale_during_a_rollout_is_shared_in_proportion()
    {
        _h.Cluster.Add(DeploymentHarness.NewDeployment(replicas: 10, maxSurge: "3", maxUnavailable: "2"));
        await RollAsync();
        var v1 = Assert.Single(_h.Cluster.List<V1ReplicaSet>());
        SetImage("nginx:2");
        // The new pods never become available: the rollout stalls at old 8, new 5.
        await RollAsync(rs => rs.Metadata.Name == v1.Metadata.Name ? int.MaxValue : 0);
        var v2 = Assert.Single(_h.Cluster.List<V1ReplicaSet>(), rs => rs.Metadata.Name != v1.Metadata.Name);
        Assert.Equal((8, 5), (_h.Cluster.Get<V1ReplicaSet>("default/" + v1.Metadata.Name)!.Spec.Replicas, v2.Spec.Replicas));
        _h.Events.Clear();

        _h.Cluster.Mutate<V1Deployment>("default/web", d => d.Spec.Replicas = 20);
        await _h.SyncAsync();

        // 13 pods sized for a maximum of 13 may now be 23 (20 + surge 3): old 8 * 23 / 13 = 14.2 -> 14,
        // new 5 * 23 / 13 = 8.8 -> 9; the largest first.
        Assert.Equal(
            [
                $"Normal ScalingReplicaSet Scaled up replica set {v1.Metadata.Name} to 14 from 8",
                $"Normal ScalingReplicaSet Scaled up replica set {v2.Metadata.Name} to 9 from 5",
            ],
            _h.Events.Events);
        Assert.All(_h.Cluster.List<V1ReplicaSet>(), rs => Assert.Equal(("20", "23"), (rs.Metadata.Annotations[DeploymentAnnotations.DesiredReplicas], rs.Metadata.Annotations[DeploymentAnnotations.MaxReplicas])));
    }

    [Fact]
    public async Task A_paused_deployment_does_not_roll_but_still_scales_and_says_it_is_paused()
    {
        _h.Cluster.Add(DeploymentHarness.NewDeployment(replicas: 2));
        await RollAsync();
        _h.Cluster.Mutate<V1Deployment>("default/web", d =>
        {
            d.Spec.Paused = true;
            d.Spec.Template.Spec.Containers[0].Image = "nginx:2";
        });

        await RollAsync();
        var rs = Assert.Single(_h.Cluster.List<V1ReplicaSet>());
        var paused = Condition(_h.Deployment(), "Progressing");
        Assert.Equal(("Unknown", "DeploymentPaused", "Deployment is paused"), (paused.Status, paused.Reason, paused.Message));

        _h.Cluster.Mutate<V1Deployment>("default/web", d => d.Spec.Replicas = 5);
        await RollAsync();
        Assert.Equal(5, Assert.Single(_h.Cluster.List<V1ReplicaSet>()).Spec.Replicas);
        Assert.Equal(rs.Metadata.Name, Assert.Single(_h.Cluster.List<V1ReplicaSet>()).Metadata.Name);

        _h.Cluster.Mutate<V1Deployment>("default/web", d => d.Spec.Paused = false);
        await _h.SyncAsync();
        Assert.Equal(2, _h.Cluster.List<V1ReplicaSet>().Count);
        Assert.Equal("NewReplicaSetCreated", Condition(_h.Deployment(), "Progressing").Reason);
    }

    [Fact]
    public async Task Resuming_is_recorded_in_the_progressing_condition()
    {
        _h.Cluster.Add(DeploymentHarness.NewDeployment(replicas: 1));
        await RollAsync();
        _h.Cluster.Mutate<V1Deployment>("default/web", d => d.Spec.Paused = true);
        await RollAsync();
        _h.Cluster.Mutate<V1Deployment>("default/web", d => d.Spec.Paused = false);
        var reasons = new List<string>();
        _h.Cluster.Written = o =>
        {
            if (o is V1Deployment d)
            {
                reasons.Add(d.Status.Conditions.Single(c => c.Type == "Progressing").Reason);
            }
        };

        await _h.SyncAsync();

        // Resumed first, so that the pause is not counted against the deadline; then complete again.
        Assert.Equal(["DeploymentResumed", "NewReplicaSetAvailable"], reasons);
    }

    [Fact]
    public async Task Recreate_scales_old_pods_to_zero_before_making_new_ones()
    {
        _h.Cluster.Add(DeploymentHarness.NewDeployment(replicas: 3, strategy: "Recreate"));
        await RollAsync();
        var v1 = Assert.Single(_h.Cluster.List<V1ReplicaSet>());
        var oldPod = _h.Cluster.Add(TestObjects.Pod("old-pod", owner: TestObjects.OwnerRef(v1), node: "n", phase: "Running"));
        SetImage("nginx:2");
        _h.Events.Clear();

        await _h.SyncAsync();
        // The old ReplicaSet's status still shows pods: nothing new yet.
        _h.Settle(rs => 0);
        _h.Cluster.Mutate<V1ReplicaSet>("default/" + v1.Metadata.Name, r => r.Status.Replicas = 0);
        await _h.SyncAsync();
        var whileOldPodRuns = _h.Cluster.List<V1ReplicaSet>().Count;
        _h.Cluster.Remove<V1Pod>("default/" + oldPod.Metadata.Name);
        await _h.SyncAsync();

        Assert.Equal(1, whileOldPodRuns);
        var v2 = Assert.Single(_h.Cluster.List<V1ReplicaSet>(), rs => rs.Metadata.Name != v1.Metadata.Name);
        Assert.Equal(
            [
                $"Normal ScalingReplicaSet Scaled down replica set {v1.Metadata.Name} to 0 from 3",
                $"Normal ScalingReplicaSet Scaled up replica set {v2.Metadata.Name} to 3",
            ],
            _h.Events.Events);
    }

    [Fact]
    public async Task A_rollback_reuses_the_old_replica_set_and_moves_its_revision()
    {
        _h.Cluster.Add(DeploymentHarness.NewDeployment(replicas: 2, maxSurge: "1", maxUnavailable: "0"));
        await RollAsync();
        var v1 = Assert.Single(_h.Cluster.List<V1ReplicaSet>());
        SetImage("nginx:2");
        await RollAsync();

        // What kubectl rollout undo does: the old ReplicaSet's template, without the hash label, back on the Deployment.
        _h.Cluster.Mutate<V1Deployment>("default/web", d =>
        {
            var template = v1.Spec.Template;
            template.Metadata.Labels.Remove(PodTemplateHash.Label);
            d.Spec.Template = template;
        });
        await RollAsync();

        Assert.Equal(2, _h.Cluster.List<V1ReplicaSet>().Count);
        var back = _h.Cluster.Get<V1ReplicaSet>("default/" + v1.Metadata.Name)!;
        Assert.Equal(("3", "1", 2), (back.Metadata.Annotations[DeploymentAnnotations.Revision], back.Metadata.Annotations[DeploymentAnnotations.RevisionHistory], back.Spec.Replicas));
        Assert.Equal("3", _h.Deployment().Metadata.Annotations[DeploymentAnnotations.Revision]);
    }

    [Fact]
    public async Task Old_replica_sets_beyond_the_history_limit_are_deleted_oldest_revision_first()
    {
        _h.Cluster.Add(DeploymentHarness.NewDeployment(replicas: 1, maxSurge: "1", maxUnavailable: "0", revisionHistoryLimit: 1));
        await RollAsync();
        var first = Assert.Single(_h.Cluster.List<V1ReplicaSet>());
        SetImage("nginx:2");
        await RollAsync();
        SetImage("nginx:3");
        await RollAsync();

        var left = _h.ReplicaSetsByRevision();
        Assert.Equal(["2", "3"], left.Select(rs => rs.Metadata.Annotations[DeploymentAnnotations.Revision]));
        Assert.DoesNotContain(left, rs => rs.Metadata.Name == first.Metadata.Name);
    }

    [Fact]
    public async Task No_progress_past_the_deadline_is_reported_and_the_check_is_requeued_until_then()
    {
        _h.Cluster.Add(DeploymentHarness.NewDeployment(replicas: 2, progressDeadlineSeconds: 60));
        await _h.SyncAsync();
        _h.Settle(rs => 0);
        // The pods showing up is progress (written); the sync after it finds nothing new and waits for the deadline.
        await _h.SyncAsync();

        var result = await _h.SyncAsync();
        Assert.Equal(ReconcileResult.RequeueAfter(TimeSpan.FromSeconds(61)), result);

        _h.Clock.Advance(TimeSpan.FromSeconds(61));
        await _h.SyncAsync();

        var progressing = Condition(_h.Deployment(), "Progressing");
        var rs = Assert.Single(_h.Cluster.List<V1ReplicaSet>());
        Assert.Equal(("False", "ProgressDeadlineExceeded", $"ReplicaSet \"{rs.Metadata.Name}\" has timed out progressing."), (progressing.Status, progressing.Reason, progressing.Message));
    }

    [Fact]
    public async Task Replica_set_failures_show_on_the_deployment()
    {
        _h.Cluster.Add(DeploymentHarness.NewDeployment(replicas: 2));
        await _h.SyncAsync();
        var rs = Assert.Single(_h.Cluster.List<V1ReplicaSet>());
        _h.Cluster.Mutate<V1ReplicaSet>("default/" + rs.Metadata.Name, r => r.Status = new V1ReplicaSetStatus
        {
            Conditions = [new V1ReplicaSetCondition { Type = "ReplicaFailure", Status = "True", Reason = "FailedCreate", Message = "quota", LastTransitionTime = DateTime.UtcNow }],
        });

        await _h.SyncAsync();

        var failure = Condition(_h.Deployment(), "ReplicaFailure");
        Assert.Equal(("True", "FailedCreate", "quota"), (failure.Status, failure.Reason, failure.Message));
    }

    [Fact]
    public async Task Orphan_replica_sets_are_adopted_and_a_hash_collision_bumps_the_collision_count()
    {
        var d = DeploymentHarness.NewDeployment(replicas: 1);
        var hash = PodTemplateHash.Compute(d.Spec.Template, null);
        // An orphan with our labels and a template of our selector, under the name our new ReplicaSet would take.
        var squatter = new V1ReplicaSet
        {
            ApiVersion = "apps/v1",
            Kind = "ReplicaSet",
            Metadata = new V1ObjectMeta { Name = "web-" + hash, NamespaceProperty = TestObjects.Ns, Labels = new Dictionary<string, string> { ["app"] = "web" } },
            Spec = new V1ReplicaSetSpec
            {
                Replicas = 0,
                Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "web" } },
                Template = TestObjects.Template("busybox"),
            },
        };
        _h.Cluster.Add(squatter);
        var created = _h.Cluster.Add(d);

        await Assert.ThrowsAnyAsync<Exception>(() => _h.SyncAsync());
        var adopted = _h.Cluster.Get<V1ReplicaSet>("default/web-" + hash)!;
        Assert.Equal(created.Metadata.Uid, Assert.Single(adopted.Metadata.OwnerReferences).Uid);
        Assert.Equal(1, _h.Deployment().Status.CollisionCount);

        await _h.SyncAsync();
        var fresh = Assert.Single(_h.Cluster.List<V1ReplicaSet>(), rs => rs.Metadata.Name != "web-" + hash);
        Assert.Equal("web-" + PodTemplateHash.Compute(d.Spec.Template, 1), fresh.Metadata.Name);
    }
}
