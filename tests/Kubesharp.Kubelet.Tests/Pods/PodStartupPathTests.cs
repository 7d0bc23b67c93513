using System.Text;
using k8s.Models;
using Kubesharp.Kubelet.Cri;
using Kubesharp.Kubelet.Cri.V1;
using Kubesharp.Kubelet.Pods;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Kubesharp.Kubelet.Tests.Pods;

/// <summary>
/// What keeps a pod's start to one sync: updates of the status alone do not cause syncs, a relist that finds the pod as
/// its last sync left it does not either, and the start trace that measures each step.
/// </summary>
public sealed class PodStartupPathTests
{
    private static V1Pod Pod() => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = "p",
            NamespaceProperty = "ns",
            Uid = "u1",
            ResourceVersion = "1",
            Labels = new Dictionary<string, string> { ["app"] = "a" },
        },
        Spec = new V1PodSpec { NodeName = "n", Containers = [new V1Container { Name = "c", Image = "busybox:1.35" }] },
        Status = new V1PodStatus { Phase = "Pending" },
    };

    private static V1PodStatus RunningReady() => new()
    {
        Phase = "Running",
        Conditions = [new V1PodCondition { Type = "Ready", Status = "True" }, new V1PodCondition { Type = "ContainersReady", Status = "True" }],
        ContainerStatuses = [new V1ContainerStatus { Name = "c", Ready = true, State = new V1ContainerState { Running = new V1ContainerStateRunning() } }],
    };

    [Fact]
    public void An_update_of_the_status_alone_needs_no_sync()
    {
        var old = Pod();
        var updated = Pod();
        updated.Metadata.ResourceVersion = "2";
        updated.Status = RunningReady();
        updated.Status.PodIP = "10.42.0.5";

        Assert.False(PodWorkers.NeedsSync(old, updated));
    }

    public static TheoryData<string> Changes => ["image", "deletion", "label", "annotation", "gate", "phase"];

    [Theory]
    [MemberData(nameof(Changes))]
    public void An_update_of_the_spec_metadata_a_readiness_gate_or_to_a_terminal_phase_needs_a_sync(string change)
    {
        var old = Pod();
        var updated = Pod();
        updated.Metadata.ResourceVersion = "2";
        switch (change)
        {
            case "image":
                updated.Spec.Containers[0].Image = "busybox:1.36";
                break;
            case "deletion":
                updated.Metadata.DeletionTimestamp = DateTime.UtcNow;
                updated.Metadata.DeletionGracePeriodSeconds = 30;
                break;
            case "label":
                updated.Metadata.Labels["app"] = "b";
                break;
            case "annotation":
                updated.Metadata.Annotations = new Dictionary<string, string> { ["k"] = "v" };
                break;
            case "gate":
                updated.Status.Conditions = [new V1PodCondition { Type = "example.com/gate", Status = "True" }];
                break;
            case "phase":
                updated.Status.Phase = "Failed";
                break;
        }

        Assert.True(PodWorkers.NeedsSync(old, updated));
    }

    private static PodSandboxStatus Sandbox(string id, PodSandboxState state) => new() { Id = id, State = state, Metadata = new PodSandboxMetadata { Name = "p", Uid = "u1" } };

    private static ContainerInstance Container(string id, ContainerState state) =>
        new(new ContainerStatus { Id = id, State = state, Metadata = new ContainerMetadata { Name = "c" } });

    [Fact]
    public void The_relist_fingerprint_of_a_pod_is_the_one_its_runtime_view_has()
    {
        using var cri = new CriClient("/nonexistent/kubesharp-test.sock");
        var relister = new Relister(cri, TimeProvider.System, NullLogger.Instance);
        var view = new PodRuntimeStatus("u1", [Sandbox("s1", PodSandboxState.SandboxReady)], [Container("c2", ContainerState.ContainerRunning), Container("c1", ContainerState.ContainerExited)]);

        var changed = relister.Observe(
            [("u1", "s1", nameof(PodSandboxState.SandboxReady)), ("u2", "s9", nameof(PodSandboxState.SandboxReady)), (null, "sx", nameof(PodSandboxState.SandboxReady))],
            [("u1", "c1", nameof(ContainerState.ContainerExited)), ("u1", "c2", nameof(ContainerState.ContainerRunning))]);

        Assert.Equal(["u1", "u2"], changed.Order(StringComparer.Ordinal));
        Assert.Equal(view.Fingerprint, relister.Fingerprint("u1"));
        Assert.NotEqual(view.Fingerprint, relister.Fingerprint("u2"));
        Assert.Equal("", relister.Fingerprint("gone"));

        // The same lists again: nothing changed; one container exits: only its pod, with a new fingerprint.
        Assert.Empty(relister.Observe([("u1", "s1", nameof(PodSandboxState.SandboxReady)), ("u2", "s9", nameof(PodSandboxState.SandboxReady))], [("u1", "c1", nameof(ContainerState.ContainerExited)), ("u1", "c2", nameof(ContainerState.ContainerRunning))]));
        Assert.Equal(["u1"], relister.Observe([("u1", "s1", nameof(PodSandboxState.SandboxReady)), ("u2", "s9", nameof(PodSandboxState.SandboxReady))], [("u1", "c1", nameof(ContainerState.ContainerExited)), ("u1", "c2", nameof(ContainerState.ContainerExited))]));
        Assert.NotEqual(view.Fingerprint, relister.Fingerprint("u1"));
    }

    [Fact]
    public void A_sync_that_started_what_it_meant_to_leaves_the_pod_settled()
    {
        var before = new PodRuntimeStatus("u1", [Sandbox("s1", PodSandboxState.SandboxReady)], [Container("c1", ContainerState.ContainerExited)]);
        var after = new PodRuntimeStatus("u1", [Sandbox("s1", PodSandboxState.SandboxReady)], [Container("c2", ContainerState.ContainerRunning), Container("c1", ContainerState.ContainerExited)]);

        Assert.True(after.SettledSince(before));
        Assert.True(before.SettledSince(before));
    }

    public static TheoryData<string> Surprises => ["new container exited", "new container only created", "old container exited", "sandbox stopped", "new sandbox not ready"];

    [Theory]
    [MemberData(nameof(Surprises))]
    public void A_change_the_sync_did_not_act_on_leaves_the_pod_unsettled(string surprise)
    {
        var before = new PodRuntimeStatus("u1", [Sandbox("s1", PodSandboxState.SandboxReady)], [Container("c1", ContainerState.ContainerRunning)]);
        var after = surprise switch
        {
            "new container exited" => before with { Containers = [Container("c2", ContainerState.ContainerExited), .. before.Containers] },
            "new container only created" => before with { Containers = [Container("c2", ContainerState.ContainerCreated), .. before.Containers] },
            "old container exited" => before with { Containers = [Container("c1", ContainerState.ContainerExited)] },
            "sandbox stopped" => before with { Sandboxes = [Sandbox("s1", PodSandboxState.SandboxNotready)] },
            _ => before with { Sandboxes = [Sandbox("s2", PodSandboxState.SandboxNotready), .. before.Sandboxes] },
        };

        Assert.False(after.SettledSince(before));
    }

    [Fact]
    public async Task A_traced_start_records_each_step_from_when_the_pod_was_seen()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddDays(1));
        var tracker = new PodStartTracker(time, NullLogger.Instance);
        var pod = Pod();

        tracker.Seen(pod);
        time.Advance(TimeSpan.FromMilliseconds(10));
        tracker.Mark("u1", PodStartStep.FirstSync);
        time.Advance(TimeSpan.FromMilliseconds(290));
        tracker.Mark("u1", PodStartStep.SandboxCreated);
        time.Advance(TimeSpan.FromMilliseconds(100));
        tracker.Mark("u1", PodStartStep.SandboxCreated);
        tracker.Mark("u1", PodStartStep.ContainerStarted);
        tracker.StatusWritten(pod, new V1PodStatus { Phase = "Pending" });
        Assert.Equal(1, tracker.Tracing);
        time.Advance(TimeSpan.FromMilliseconds(100));
        tracker.StatusWritten(pod, RunningReady());

        Assert.Equal(0, tracker.Tracing);
        var metrics = await Export(tracker);
        Assert.Contains("kubelet_pod_start_duration_seconds_sum 0.5\n", metrics, StringComparison.Ordinal);
        Assert.Contains("kubelet_pod_start_duration_seconds_count 1\n", metrics, StringComparison.Ordinal);
        Assert.Contains("kubesharp_kubelet_pod_start_step_seconds_sum{step=\"first_sync\"} 0.01\n", metrics, StringComparison.Ordinal);
        // A step counts the first time it happens only.
        Assert.Contains("kubesharp_kubelet_pod_start_step_seconds_sum{step=\"sandbox_created\"} 0.3\n", metrics, StringComparison.Ordinal);
        Assert.Contains("kubesharp_kubelet_pod_start_step_seconds_sum{step=\"container_started\"} 0.4\n", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("step=\"image_ready\"", metrics, StringComparison.Ordinal);

        // Written again, the start is not counted twice.
        tracker.StatusWritten(pod, RunningReady());
        Assert.Contains("kubelet_pod_start_duration_seconds_count 1\n", await Export(tracker), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pod_seen_already_running_or_deleted_is_not_traced()
    {
        var tracker = new PodStartTracker(TimeProvider.System, NullLogger.Instance);
        var adopted = Pod();
        adopted.Status = RunningReady();
        var deleted = Pod();
        deleted.Metadata.Uid = "u2";
        deleted.Metadata.DeletionTimestamp = DateTime.UtcNow;

        tracker.Seen(adopted);
        tracker.Seen(deleted);
        tracker.StatusWritten(adopted, RunningReady());

        Assert.Equal(0, tracker.Tracing);
        Assert.Contains("kubelet_pod_start_duration_seconds_count 0\n", await Export(tracker), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Syncs_and_runtime_calls_are_timed_by_operation()
    {
        var tracker = new PodStartTracker(TimeProvider.System, NullLogger.Instance);

        tracker.SyncDone("create", TimeSpan.FromMilliseconds(20));
        tracker.RuntimeOperation("RunPodSandbox", TimeSpan.FromMilliseconds(200));

        var metrics = await Export(tracker);
        Assert.Contains("kubelet_pod_worker_duration_seconds_sum{operation=\"create\"} 0.02\n", metrics, StringComparison.Ordinal);
        Assert.Contains("kubelet_runtime_operations_duration_seconds_sum{operation_type=\"run_pod_sandbox\"} 0.2\n", metrics, StringComparison.Ordinal);
    }

    private static async Task<string> Export(PodStartTracker tracker)
    {
        using var stream = new MemoryStream();
        await tracker.Registry.CollectAndExportAsTextAsync(stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
