using System.Text;
using k8s;
using k8s.Models;
using Kubesharp.Testing.Runtime;

namespace Kubesharp.Kubelet.Tests.EndToEnd;

/// <summary>Real pods with probes, environment from ConfigMaps and Secrets, and volumes that appear late.</summary>
[Collection("containerd")]
public sealed class ProbeAndInputTests(KubeletFixture f)
{
    private const string Busybox = ContainerRuntimeEnvironment.BusyboxImage;

    [SkippableFact]
    public async Task A_failing_liveness_probe_restarts_the_container_and_counts_the_restarts()
    {
        Skip.If(f.SkipReason is not null, f.SkipReason);
        var ns = await f.NamespaceAsync();
        var container = new V1Container
        {
            Name = "c",
            Image = Busybox,
            Command = ["sh", "-c", "touch /tmp/alive; sleep 2; rm /tmp/alive; sleep 3600"],
            LivenessProbe = new V1Probe { Exec = new V1ExecAction { Command = ["cat", "/tmp/alive"] }, PeriodSeconds = 1, FailureThreshold = 1 },
        };
        await f.CreatePodAsync(ns, new V1Pod { Metadata = new V1ObjectMeta { Name = "liveness" }, Spec = new V1PodSpec { Containers = [container] } });

        var pod = await f.WaitAsync(ns, "liveness", p => p.Status?.ContainerStatuses?.Single().RestartCount >= 1, "a liveness restart");
        Assert.Equal("Running", pod.Status.Phase);
        var events = await f.EventsAsync(ns, "liveness");
        Assert.Contains(events, e => e.Reason == "Unhealthy" && e.Message.StartsWith("Liveness probe failed:", StringComparison.Ordinal));
        Assert.Contains(events, e => e.Reason == "Killing" && e.Message == "Container c failed liveness probe, will be restarted");
    }

    [SkippableFact]
    public async Task A_failing_readiness_probe_keeps_the_pod_not_ready_until_it_passes()
    {
        Skip.If(f.SkipReason is not null, f.SkipReason);
        var ns = await f.NamespaceAsync();
        var container = new V1Container
        {
            Name = "c",
            Image = Busybox,
            Command = ["sh", "-c", "mkdir -p /www; httpd -f -p 8080 -h /www"],
            ReadinessProbe = new V1Probe { HttpGet = new V1HTTPGetAction { Path = "/ready", Port = 8080 }, PeriodSeconds = 1 },
        };
        await f.CreatePodAsync(ns, new V1Pod { Metadata = new V1ObjectMeta { Name = "readiness" }, Spec = new V1PodSpec { Containers = [container] } });

        var unready = await f.WaitAsync(ns, "readiness", p => p.Status?.ContainerStatuses?.Single().State?.Running is not null, "running");
        await Task.Delay(TimeSpan.FromSeconds(3));
        unready = await f.Client.CoreV1.ReadNamespacedPodAsync("readiness", ns);
        Assert.False(unready.Status.ContainerStatuses.Single().Ready);
        Assert.Contains(unready.Status.Conditions, c => c.Type == "Ready" && c.Status == "False" && c.Reason == "ContainersNotReady");
        Assert.Contains(await f.EventsAsync(ns, "readiness"), e => e.Reason == "Unhealthy" && e.Message.Contains("Readiness probe failed: HTTP probe failed with statuscode: 404", StringComparison.Ordinal));

        // Make /ready exist inside the container: the probe passes and the pod turns Ready.
        var location = f.Kubelet.Workers!.Find(ns, "readiness", "c", previous: false)!;
        var exec = await f.Kubelet.Cri!.ExecSyncAsync(location.ContainerId, ["sh", "-c", "echo ok > /www/ready"], TimeSpan.FromSeconds(10));
        Assert.Equal(0, exec.ExitCode);
        var ready = await f.WaitAsync(ns, "readiness", p => p.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true, "ready");
        Assert.Equal(0, ready.Status.ContainerStatuses.Single().RestartCount);
    }

    [SkippableFact]
    public async Task Environment_comes_from_a_ConfigMap_a_Secret_the_downward_API_and_resources()
    {
        Skip.If(f.SkipReason is not null, f.SkipReason);
        var ns = await f.NamespaceAsync();
        await f.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "settings" }, Data = new Dictionary<string, string> { ["color"] = "blue", ["size"] = "xl" } }, ns);
        await f.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "creds" }, Data = new Dictionary<string, byte[]> { ["password"] = Encoding.UTF8.GetBytes("s3cret") } }, ns);
        var container = new V1Container
        {
            Name = "c",
            Image = Busybox,
            Command = ["sh", "-c", "echo color=$COLOR size=$CFG_size password=$PASSWORD pod=$POD_NAME mem=$MEM_LIMIT greeting=$GREETING; sleep 3600"],
            Resources = new V1ResourceRequirements { Limits = new Dictionary<string, ResourceQuantity> { ["memory"] = new("64Mi") } },
            EnvFrom = [new V1EnvFromSource { Prefix = "CFG_", ConfigMapRef = new V1ConfigMapEnvSource { Name = "settings" } }],
            Env =
            [
                new V1EnvVar { Name = "COLOR", ValueFrom = new V1EnvVarSource { ConfigMapKeyRef = new V1ConfigMapKeySelector { Name = "settings", Key = "color" } } },
                new V1EnvVar { Name = "PASSWORD", ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Name = "creds", Key = "password" } } },
                new V1EnvVar { Name = "POD_NAME", ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { FieldPath = "metadata.name" } } },
                new V1EnvVar { Name = "MEM_LIMIT", ValueFrom = new V1EnvVarSource { ResourceFieldRef = new V1ResourceFieldSelector { Resource = "limits.memory", Divisor = new ResourceQuantity("1Mi") } } },
                new V1EnvVar { Name = "GREETING", Value = "hello-$(POD_NAME)" },
            ],
        };
        await f.CreatePodAsync(ns, new V1Pod { Metadata = new V1ObjectMeta { Name = "env" }, Spec = new V1PodSpec { Containers = [container] } });

        await f.WaitAsync(ns, "env", p => p.Status?.Phase == "Running", "running");
        await f.WaitLogAsync(ns, "env", "c", "color=blue size=xl password=s3cret pod=env mem=64 greeting=hello-env");
    }

    [SkippableFact]
    public async Task A_missing_ConfigMap_for_env_is_CreateContainerConfigError_until_it_appears()
    {
        Skip.If(f.SkipReason is not null, f.SkipReason);
        var ns = await f.NamespaceAsync();
        var container = new V1Container
        {
            Name = "c",
            Image = Busybox,
            Command = ["sh", "-c", "echo value=$V; sleep 3600"],
            Env = [new V1EnvVar { Name = "V", ValueFrom = new V1EnvVarSource { ConfigMapKeyRef = new V1ConfigMapKeySelector { Name = "late", Key = "k" } } }],
        };
        await f.CreatePodAsync(ns, new V1Pod { Metadata = new V1ObjectMeta { Name = "envlate" }, Spec = new V1PodSpec { Containers = [container] } });

        var waiting = await f.WaitAsync(ns, "envlate", p => p.Status?.ContainerStatuses?.Single().State?.Waiting?.Reason == "CreateContainerConfigError", "CreateContainerConfigError");
        Assert.Equal("configmap \"late\" not found", waiting.Status.ContainerStatuses.Single().State.Waiting.Message);
        await f.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "late" }, Data = new Dictionary<string, string> { ["k"] = "arrived" } }, ns);
        await f.WaitAsync(ns, "envlate", p => p.Status?.Phase == "Running", "running");
        await f.WaitLogAsync(ns, "envlate", "c", "value=arrived");
    }

    [SkippableFact]
    public async Task A_configMap_volume_naming_a_missing_ConfigMap_gives_FailedMount_events_until_it_appears_and_then_follows_its_updates()
    {
        Skip.If(f.SkipReason is not null, f.SkipReason);
        var ns = await f.NamespaceAsync();
        var container = new V1Container
        {
            Name = "c",
            Image = Busybox,
            Command = ["sh", "-c", "while true; do cat /cfg/greeting; echo; sleep 0.5; done"],
            VolumeMounts = [new V1VolumeMount { Name = "cfg", MountPath = "/cfg" }],
        };
        await f.CreatePodAsync(ns, new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "mountlate" },
            Spec = new V1PodSpec { Containers = [container], Volumes = [new V1Volume { Name = "cfg", ConfigMap = new V1ConfigMapVolumeSource { Name = "greetings" } }] },
        });

        var deadline = DateTime.UtcNow + KubeletFixture.Bound;
        while (!(await f.EventsAsync(ns, "mountlate")).Any(e => e.Reason == "FailedMount"))
        {
            Assert.True(DateTime.UtcNow < deadline, "no FailedMount event");
            await Task.Delay(200);
        }

        var events = await f.EventsAsync(ns, "mountlate");
        Assert.Contains(events, e => e.Reason == "FailedMount" && e.Type == "Warning" && e.Message == "MountVolume.SetUp failed for volume \"cfg\" : configmap \"greetings\" not found");
        Assert.Equal("Pending", (await f.Client.CoreV1.ReadNamespacedPodAsync("mountlate", ns)).Status.Phase);

        await f.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "greetings" }, Data = new Dictionary<string, string> { ["greeting"] = "hello" } }, ns);
        await f.WaitAsync(ns, "mountlate", p => p.Status?.Phase == "Running", "running");
        await f.WaitLogAsync(ns, "mountlate", "c", "hello");

        // An update reaches the running container (at the next sync of the pod).
        await f.Client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"data":{"greeting":"bonjour"}}""", V1Patch.PatchType.MergePatch), "greetings", ns);
        await f.WaitLogAsync(ns, "mountlate", "c", "bonjour", TimeSpan.FromSeconds(90));
    }
}
