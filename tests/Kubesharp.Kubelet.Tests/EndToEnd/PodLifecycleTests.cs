using k8s;
using k8s.Models;
using Kubesharp.Testing.Runtime;

namespace Kubesharp.Kubelet.Tests.EndToEnd;

/// <summary>Real pods in containerd: start, init order, restarts, limits, deletion, adoption, and the bad inputs.</summary>
[Collection("containerd")]
public sealed class PodLifecycleTests(KubeletFixture f)
{
    private const string Busybox = ContainerRuntimeEnvironment.BusyboxImage;

    private static V1Container Sh(string name, string script) => new() { Name = name, Image = Busybox, Command = ["sh", "-c", script] };

    private static V1Pod Pod(string name, params V1Container[] containers) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1PodSpec { Containers = containers },
    };

    private static bool Running(V1Pod p) => p.Status?.Phase == "Running" && p.Status.ContainerStatuses?.All(c => c.State?.Running is not null) == true;

    [SkippableFact]
    public async Task Two_containers_of_a_pod_talk_over_localhost_and_the_pod_reports_running_and_ready()
    {
        Skip.If(f.SkipReason is not null, f.SkipReason);
        var ns = await f.NamespaceAsync();
        await f.CreatePodAsync(ns, Pod(
            "pair",
            Sh("server", "mkdir -p /www && echo hello-from-server > /www/index.html && httpd -f -p 8080 -h /www"),
            Sh("client", "until wget -q -O- http://127.0.0.1:8080/; do sleep 0.2; done; sleep 3600")));

        var pod = await f.WaitAsync(ns, "pair", p => Running(p) && p.Status.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true, "running and ready");
        Assert.Equal("BestEffort", pod.Status.QosClass);
        Assert.StartsWith("10.42.250.", pod.Status.PodIP, StringComparison.Ordinal);
        Assert.NotNull(pod.Status.StartTime);
        Assert.All(pod.Status.ContainerStatuses, c =>
        {
            Assert.StartsWith("containerd://", c.ContainerID, StringComparison.Ordinal);
            Assert.True(c.Ready);
            Assert.Equal(0, c.RestartCount);
        });
        await f.WaitLogAsync(ns, "pair", "client", "hello-from-server");
    }

    [SkippableFact]
    public async Task Two_containers_share_an_emptyDir_on_disk_and_one_in_memory()
    {
        Skip.If(f.SkipReason is not null, f.SkipReason);
        var ns = await f.NamespaceAsync();
        var mounts = new List<V1VolumeMount> { new() { Name = "disk", MountPath = "/disk" }, new() { Name = "mem", MountPath = "/mem" } };
        var writer = Sh("writer", "echo on-disk > /disk/f; echo in-memory > /mem/f; sleep 3600");
        writer.VolumeMounts = mounts;
        var reader = Sh("reader", "until [ -f /disk/f ] && [ -f /mem/f ]; do sleep 0.2; done; cat /disk/f /mem/f; grep ' /mem ' /proc/mounts | cut -d' ' -f3; sleep 3600");
        reader.VolumeMounts = mounts;
        var pod = Pod("shared", writer, reader);
        pod.Spec.Volumes =
        [
            new V1Volume { Name = "disk", EmptyDir = new V1EmptyDirVolumeSource() },
            new V1Volume { Name = "mem", EmptyDir = new V1EmptyDirVolumeSource { Medium = "Memory", SizeLimit = new ResourceQuantity("8Mi") } },
        ];
        await f.CreatePodAsync(ns, pod);

        await f.WaitAsync(ns, "shared", Running, "running");
        await f.WaitLogAsync(ns, "shared", "reader", "on-disk\nin-memory\ntmpfs\n");
    }

    [SkippableFact]
    public async Task Init_containers_run_one_at_a_time_in_order_before_the_app_containers()
    {
        Skip.If(f.SkipReason is not null, f.SkipReason);
        var ns = await f.NamespaceAsync();
        var mount = new List<V1VolumeMount> { new() { Name = "work", MountPath = "/work" } };
        var pod = Pod("init", Sh("app", "cat /work/order; sleep 3600"));
        pod.Spec.InitContainers =
        [
            new V1Container { Name = "first", Image = Busybox, Command = ["sh", "-c", "sleep 1; echo first >> /work/order"], VolumeMounts = mount },
            new V1Container { Name = "second", Image = Busybox, Command = ["sh", "-c", "echo second >> /work/order"], VolumeMounts = mount },
        ];
        pod.Spec.Containers[0].VolumeMounts = mount;
        pod.Spec.Volumes = [new V1Volume { Name = "work", EmptyDir = new V1EmptyDirVolumeSource() }];
        await f.CreatePodAsync(ns, pod);

        var pending = await f.WaitAsync(ns, "init", p => p.Status?.InitContainerStatuses?.FirstOrDefault()?.State?.Running is not null, "first init container running");
        Assert.Equal("Pending", pending.Status.Phase);
        Assert.Contains(pending.Status.Conditions, c => c.Type == "Initialized" && c.Status == "False" && c.Reason == "ContainersNotInitialized");
        Assert.Equal("PodInitializing", pending.Status.ContainerStatuses.Single().State.Waiting?.Reason);

        var running = await f.WaitAsync(ns, "init", Running, "app running");
        Assert.All(running.Status.InitContainerStatuses, s => Assert.Equal("Completed", s.State.Terminated?.Reason));
        await f.WaitLogAsync(ns, "init", "app", "first\nsecond\n");
    }

    [SkippableFact]
    public async Task A_container_that_fails_is_restarted_on_failure_and_the_pod_succeeds()
    {
        Skip.If(f.SkipReason is not null, f.SkipReason);
        var ns = await f.NamespaceAsync();
        var pod = Pod("onfailure", Sh("c", "if [ -f /d/once ]; then exit 0; fi; touch /d/once; exit 3"));
        pod.Spec.RestartPolicy = "OnFailure";
        pod.Spec.Containers[0].VolumeMounts = [new V1VolumeMount { Name = "d", MountPath = "/d" }];
        pod.Spec.Volumes = [new V1Volume { Name = "d", EmptyDir = new V1EmptyDirVolumeSource() }];
        await f.CreatePodAsync(ns, pod);

        var done = await f.WaitAsync(ns, "onfailure", p => p.Status?.Phase == "Succeeded", "succeeded");
        var status = done.Status.ContainerStatuses.Single();
        Assert.Equal(1, status.RestartCount);
        Assert.Equal(0, status.State.Terminated?.ExitCode);
        Assert.Equal(3, status.LastState.Terminated?.ExitCode);
        Assert.Equal("Error", status.LastState.Terminated?.Reason);
        Assert.Contains(done.Status.Conditions, c => c.Type == "Ready" && c.Status == "False" && c.Reason == "PodCompleted");
    }

    [SkippableFact]
    public async Task A_container_that_keeps_exiting_goes_into_CrashLoopBackOff_with_restarts_counted()
    {
        Skip.If(f.SkipReason is not null, f.SkipReason);
        var ns = await f.NamespaceAsync();
        await f.CreatePodAsync(ns, Pod("crash", Sh("c", "echo dying; exit 1")));

        var pod = await f.WaitAsync(ns, "crash", p => p.Status?.ContainerStatuses?.Single() is { RestartCount: >= 2, State.Waiting.Reason: "CrashLoopBackOff" }, "CrashLoopBackOff after two restarts");
        var status = pod.Status.ContainerStatuses.Single();
        Assert.Equal("Running", pod.Status.Phase);
        Assert.StartsWith("back-off ", status.State.Waiting.Message, StringComparison.Ordinal);
        Assert.Contains("restarting failed container=c pod=crash_" + ns, status.State.Waiting.Message, StringComparison.Ordinal);
        Assert.Equal(1, status.LastState.Terminated?.ExitCode);
        Assert.Contains(await f.EventsAsync(ns, "crash"), e => e.Reason == "BackOff" && e.Type == "Warning");
    }

    [SkippableFact]
    public async Task An_image_that_does_not_exist_is_ErrImagePull_then_ImagePullBackOff()
    {
        Skip.If(f.SkipReason is not null, f.SkipReason);
        var ns = await f.NamespaceAsync();
        await f.CreatePodAsync(ns, Pod("noimage", new V1Container { Name = "c", Image = ContainerRuntimeEnvironment.Registry + "/library/does-not-exist:1" }));

        await f.WaitAsync(ns, "noimage", p => p.Status?.ContainerStatuses?.Single().State?.Waiting?.Reason == "ErrImagePull", "ErrImagePull");
        var pod = await f.WaitAsync(ns, "noimage", p => p.Status?.ContainerStatuses?.Single().State?.Waiting?.Reason == "ImagePullBackOff", "ImagePullBackOff");
        Assert.Equal("Pending", pod.Status.Phase);
        var events = await f.EventsAsync(ns, "noimage");
        Assert.Contains(events, e => e.Reason == "Pulling");
        Assert.Contains(events, e => e.Reason == "Failed" && e.Message.StartsWith("Failed to pull image", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task A_command_that_does_not_exist_fails_the_container_with_StartError()
    {
        Skip.If(f.SkipReason is not null, f.SkipReason);
        var ns = await f.NamespaceAsync();
        var pod = Pod("nocommand", new V1Container { Name = "c", Image = Busybox, Command = ["/no/such/command"] });
        pod.Spec.RestartPolicy = "Never";
        await f.CreatePodAsync(ns, pod);

        var failed = await f.WaitAsync(ns, "nocommand", p => p.Status?.Phase == "Failed", "failed");
        var terminated = failed.Status.ContainerStatuses.Single().State.Terminated;
        Assert.Equal(128, terminated?.ExitCode);
        Assert.Equal("StartError", terminated?.Reason);
        Assert.Contains("/no/such/command", terminated?.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task A_container_over_its_memory_limit_is_OOMKilled()
    {
        Skip.If(f.SkipReason is not null, f.SkipReason);
        var ns = await f.NamespaceAsync();
        var hog = Sh("hog", "x=$(head -c 134217728 /dev/zero | tr '\\0' a); echo survived; sleep 3600");
        hog.Resources = new V1ResourceRequirements { Limits = new Dictionary<string, ResourceQuantity> { ["memory"] = new("32Mi"), ["cpu"] = new("500m") } };
        var pod = Pod("oom", hog);
        pod.Spec.RestartPolicy = "Never";
        await f.CreatePodAsync(ns, pod);

        var failed = await f.WaitAsync(ns, "oom", p => p.Status?.Phase == "Failed", "failed");
        Assert.Equal("Guaranteed", failed.Status.QosClass);
        var terminated = failed.Status.ContainerStatuses.Single().State.Terminated;
        Assert.Equal("OOMKilled", terminated?.Reason);
        Assert.Equal(137, terminated?.ExitCode);
    }

    [SkippableFact]
    public async Task Deletion_sends_SIGTERM_and_waits_out_the_grace_period_then_the_kubelet_removes_the_pod()
    {
        Skip.If(f.SkipReason is not null, f.SkipReason);
        var ns = await f.NamespaceAsync();
        var pod = Pod("graceful", Sh("c", "trap 'echo got-TERM; exit 0' TERM; while true; do sleep 0.1; done"));
        pod.Spec.TerminationGracePeriodSeconds = 30;
        await f.CreatePodAsync(ns, pod);
        await f.WaitAsync(ns, "graceful", Running, "running");
        var location = f.Kubelet.Workers!.Find(ns, "graceful", "c", previous: false)!;

        var watch = System.Diagnostics.Stopwatch.StartNew();
        await f.Client.CoreV1.DeleteNamespacedPodAsync("graceful", ns);
        await f.WaitGoneAsync(ns, "graceful");
        // The container trapped SIGTERM and exited at once: the pod went long before its 30 s grace period.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(25), $"deletion took {watch.Elapsed}");
        var runtime = ContainerRuntimeEnvironment.Get();
        var left = await runtime.CtrAsync("k8s.io", "containers", "ls", "-q");
        Assert.DoesNotContain(location.ContainerId, left.Stdout, StringComparison.Ordinal);

        // A container that ignores SIGTERM is killed when the grace period runs out.
        var stubborn = Pod("stubborn", Sh("c", "trap '' TERM; while true; do sleep 0.1; done"));
        stubborn.Spec.TerminationGracePeriodSeconds = 2;
        await f.CreatePodAsync(ns, stubborn);
        await f.WaitAsync(ns, "stubborn", Running, "running");
        watch.Restart();
        await f.Client.CoreV1.DeleteNamespacedPodAsync("stubborn", ns);
        await f.WaitGoneAsync(ns, "stubborn");
        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(2), $"the grace period was not waited out: {watch.Elapsed}");
    }

    [SkippableFact]
    public async Task A_succeeded_pod_stays_succeeded_when_the_runtime_has_lost_its_containers()
    {
        Skip.If(f.SkipReason is not null, f.SkipReason);
        var ns = await f.NamespaceAsync();
        var pod = Pod("finished", Sh("c", "exit 0"));
        pod.Spec.RestartPolicy = "Never";
        await f.CreatePodAsync(ns, pod);
        var done = await f.WaitAsync(ns, "finished", p => p.Status?.Phase == "Succeeded", "succeeded");

        // containerd forgets the pod (as when its state directory is wiped), and a restarted kubelet syncs it again.
        await f.StopKubeletAsync();
        using (var cri = new Cri.CriClient(f.Options.ContainerRuntimeEndpoint))
        {
            foreach (var sandbox in await cri.ListPodSandboxesAsync())
            {
                if (sandbox.Metadata.Uid == done.Metadata.Uid)
                {
                    await cri.StopPodSandboxAsync(sandbox.Id);
                    await cri.RemovePodSandboxAsync(sandbox.Id);
                }
            }
        }

        await f.StartKubeletAsync();
        var deadline = DateTime.UtcNow + KubeletFixture.Bound;
        while (!(f.Kubelet.Workers?.Known.Contains(done.Metadata.Uid) == true && f.Kubelet.Workers.Syncs > 0) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.True(f.Kubelet.Workers?.Known.Contains(done.Metadata.Uid), "the restarted kubelet did not take the pod");

        // The status a sync would write lands within moments of it: watch it for a few seconds.
        var after = done;
        for (var i = 0; i < 20; i++)
        {
            await Task.Delay(200);
            after = await f.Client.CoreV1.ReadNamespacedPodAsync("finished", ns);
            Assert.Equal("Succeeded", after.Status.Phase);
        }

        Assert.Equal(0, after.Status.ContainerStatuses.Single().State.Terminated?.ExitCode);
        Assert.Equal(done.Status.ContainerStatuses.Single().ContainerID, after.Status.ContainerStatuses.Single().ContainerID);
    }

    [SkippableFact]
    public async Task A_restarted_kubelet_adopts_the_running_pods_instead_of_recreating_them()
    {
        Skip.If(f.SkipReason is not null, f.SkipReason);
        var ns = await f.NamespaceAsync();
        await f.CreatePodAsync(ns, Pod("adopted", Sh("c", "sleep 3600")));
        var before = await f.WaitAsync(ns, "adopted", Running, "running");

        await f.StopKubeletAsync();
        await f.StartKubeletAsync();
        // The new kubelet has synced the pod once it knows its container.
        var deadline = DateTime.UtcNow + KubeletFixture.Bound;
        while (f.Kubelet.Workers!.Find(ns, "adopted", "c", previous: false) is null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        var after = await f.WaitAsync(ns, "adopted", Running, "running");
        Assert.Equal(before.Status.ContainerStatuses.Single().ContainerID, after.Status.ContainerStatuses.Single().ContainerID);
        Assert.Equal(0, after.Status.ContainerStatuses.Single().RestartCount);
        Assert.Equal(before.Status.PodIP, after.Status.PodIP);
        Assert.Equal(before.Status.ContainerStatuses.Single().ContainerID, f.Kubelet.Workers.Find(ns, "adopted", "c", previous: false)!.ContainerId.Insert(0, "containerd://"));
    }
}
