using System.Text;
using k8s.Models;
using Kubesharp.Kubelet.Cri.V1;
using Kubesharp.Kubelet.Node;
using Kubesharp.Kubelet.Pods;
using Microsoft.Extensions.Time.Testing;

namespace Kubesharp.Kubelet.Tests.Pods;

public sealed class PodLogicTests
{
    private static V1ContainerStatus Running() => new() { Name = "c", State = new V1ContainerState { Running = new V1ContainerStateRunning() } };

    private static V1ContainerStatus Exited(int code) => new() { Name = "c", State = new V1ContainerState { Terminated = new V1ContainerStateTerminated { ExitCode = code } } };

    private static V1ContainerStatus Waiting(int? lastExit = null) => new()
    {
        Name = "c",
        State = new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = "x" } },
        LastState = lastExit is { } code ? new V1ContainerState { Terminated = new V1ContainerStateTerminated { ExitCode = code } } : null,
    };

    private static V1Pod PodWith(string policy) => new() { Metadata = new V1ObjectMeta { Name = "p", Uid = "u" }, Spec = new V1PodSpec { RestartPolicy = policy, Containers = [] } };

    public static TheoryData<string, V1ContainerStatus[], V1ContainerStatus[], string> Phases => new()
    {
        { "Always", [], [Waiting()], "Pending" },
        { "Always", [], [Running(), Waiting()], "Pending" },
        { "Always", [], [Running(), Running()], "Running" },
        { "Always", [], [Exited(0)], "Running" },
        { "Always", [], [Waiting(1)], "Running" },
        { "OnFailure", [], [Exited(0), Exited(0)], "Succeeded" },
        { "OnFailure", [], [Exited(0), Waiting(1)], "Running" },
        { "Never", [], [Exited(0), Exited(2)], "Failed" },
        { "Never", [], [Exited(0)], "Succeeded" },
        { "Never", [], [Running(), Exited(2)], "Running" },
        { "Always", [Running()], [Waiting()], "Pending" },
        { "Always", [Exited(0)], [Running()], "Running" },
        { "Never", [Exited(1)], [Waiting()], "Failed" },
        { "Always", [Exited(1)], [Waiting()], "Pending" },
        { "Always", [Waiting(1)], [Waiting()], "Pending" },
    };

    [Theory]
    [MemberData(nameof(Phases))]
    public void Phase_follows_upstreams_getPhase(string policy, V1ContainerStatus[] init, V1ContainerStatus[] containers, string phase) =>
        Assert.Equal(phase, PodStatusBuilder.Phase(PodWith(policy), init, containers));

    [Theory]
    [InlineData("Never", "StartError")]
    [InlineData("Always", "RunContainerError")]
    public void A_start_failure_shows_as_waiting_only_when_the_container_will_run_again(string policy, string shown)
    {
        var pod = new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "p", NamespaceProperty = "ns", Uid = "u" },
            Spec = new V1PodSpec { RestartPolicy = policy, Containers = [new V1Container { Name = "c", Image = "img" }] },
        };
        var exited = new ContainerStatus { Id = "id1", Metadata = new ContainerMetadata { Name = "c" }, State = ContainerState.ContainerExited, ExitCode = 128, Reason = "StartError" };
        var runtime = new PodRuntimeStatus("u", [], [new ContainerInstance(exited)]);
        var waiting = new Dictionary<string, ContainerWaiting> { ["c"] = new("RunContainerError", "exec failed") };

        var status = PodStatusBuilder.Build(pod, runtime, waiting, (_, _) => false, (_, _) => false, "10.0.0.1", DateTimeOffset.UnixEpoch, terminating: false);

        var state = status.ContainerStatuses.Single().State;
        Assert.Equal(shown, state.Waiting?.Reason ?? state.Terminated?.Reason);
        Assert.Equal(policy == "Never" ? "Failed" : "Running", status.Phase);
    }

    [Fact]
    public void Backoff_doubles_from_the_initial_delay_to_the_maximum_and_starts_over_after_twice_the_maximum()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-28T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var backoff = new Backoff(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(40), time);
        Assert.False(backoff.IsInBackOffSince("k", time.GetUtcNow()));
        var delays = new List<TimeSpan>();
        for (var i = 0; i < 5; i++)
        {
            backoff.Next("k");
            delays.Add(backoff.Get("k"));
            time.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal([10, 20, 40, 40, 40], delays.Select(d => (int)d.TotalSeconds));
        var exited = time.GetUtcNow();
        Assert.True(backoff.IsInBackOffSince("k", exited));
        time.Advance(TimeSpan.FromSeconds(41));
        Assert.False(backoff.IsInBackOffSince("k", exited));

        // Untouched for more than twice the maximum (a container that ran that long): back to the initial delay.
        time.Advance(TimeSpan.FromSeconds(81));
        backoff.Next("k");
        Assert.Equal(TimeSpan.FromSeconds(10), backoff.Get("k"));
    }

    [Theory]
    [InlineData(null, null, null, null, "BestEffort")]
    [InlineData("100m", "64Mi", null, null, "Burstable")]
    [InlineData(null, null, "100m", "64Mi", "Guaranteed")]
    [InlineData("100m", "64Mi", "100m", "64Mi", "Guaranteed")]
    [InlineData("50m", "64Mi", "100m", "64Mi", "Burstable")]
    [InlineData(null, null, "100m", null, "Burstable")]
    public void Qos_class_by_upstreams_rules(string? cpuRequest, string? memRequest, string? cpuLimit, string? memLimit, string expected)
    {
        static Dictionary<string, ResourceQuantity>? Map(string? cpu, string? mem)
        {
            var map = new Dictionary<string, ResourceQuantity>();
            if (cpu is not null)
            {
                map["cpu"] = new ResourceQuantity(cpu);
            }

            if (mem is not null)
            {
                map["memory"] = new ResourceQuantity(mem);
            }

            return map.Count == 0 ? null : map;
        }

        var pod = new V1Pod
        {
            Metadata = new V1ObjectMeta { Uid = "u" },
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Resources = new V1ResourceRequirements { Requests = Map(cpuRequest, memRequest), Limits = Map(cpuLimit, memLimit) } }] },
        };
        Assert.Equal(expected, QosClass.Of(pod));
        Assert.EndsWith("podu", SandboxConfigBuilder.CgroupParent(pod), StringComparison.Ordinal);
    }

    [Fact]
    public void Resources_become_cpu_shares_quota_and_a_memory_limit_as_upstream()
    {
        var container = new V1Container
        {
            Name = "c",
            Resources = new V1ResourceRequirements
            {
                Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("250m"), ["memory"] = new("1Gi") },
                Limits = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("500m"), ["memory"] = new("2Gi") },
            },
        };
        var pod = new V1Pod { Metadata = new V1ObjectMeta { Uid = "u" }, Spec = new V1PodSpec { Containers = [container] } };
        var r = ContainerConfigBuilder.Resources(pod, container, 8L * 1024 * 1024 * 1024);
        Assert.Equal(256, r.CpuShares);
        Assert.Equal(100_000, r.CpuPeriod);
        Assert.Equal(50_000, r.CpuQuota);
        Assert.Equal(2L * 1024 * 1024 * 1024, r.MemoryLimitInBytes);
        Assert.Equal(875, r.OomScoreAdj);

        var bestEffort = new V1Container { Name = "b" };
        var r2 = ContainerConfigBuilder.Resources(new V1Pod { Metadata = new V1ObjectMeta { Uid = "u" }, Spec = new V1PodSpec { Containers = [bestEffort] } }, bestEffort, 1);
        Assert.Equal(2, r2.CpuShares);
        Assert.Equal(0, r2.CpuQuota);
        Assert.Equal(1000, r2.OomScoreAdj);
    }

    [Fact]
    public void Container_config_carries_the_labels_and_annotations_a_restarted_kubelet_reads_back()
    {
        var container = new V1Container { Name = "app", Image = "img:1", Command = ["echo", "$(GREETING)"], Args = ["$$(GREETING)"] };
        var pod = new V1Pod { Metadata = new V1ObjectMeta { Name = "p", NamespaceProperty = "ns", Uid = "u" }, Spec = new V1PodSpec { Containers = [container] } };
        var config = ContainerConfigBuilder.Build(pod, container, 3, [new KeyValue { Key = "GREETING", Value = "hi" }], [], "/tmp/t", 1);
        Assert.Equal(["echo", "hi"], config.Command);
        Assert.Equal(["$(GREETING)"], config.Args);
        Assert.Equal("app/3.log", config.LogPath);
        Assert.Equal("u", config.Labels[RuntimeLabels.PodUid]);
        Assert.Equal("3", config.Annotations[RuntimeLabels.RestartCount]);
        Assert.Equal(ContainerConfigBuilder.Hash(container), config.Annotations[RuntimeLabels.ContainerHash]);
        Assert.Contains(config.Mounts, m => m.ContainerPath == "/dev/termination-log" && m.HostPath == "/tmp/t");
        Assert.Contains("/proc/kcore", config.Linux.SecurityContext.MaskedPaths);
    }

    [Theory]
    [InlineData("busybox", true)]
    [InlineData("busybox:latest", true)]
    [InlineData("127.0.0.1:5000/library/busybox", true)]
    [InlineData("127.0.0.1:5000/library/busybox:1.35", false)]
    [InlineData("busybox@sha256:abcd", false)]
    public void Images_without_a_tag_or_tagged_latest_are_pulled_always(string image, bool latest) =>
        Assert.Equal(latest, ImagePuller.HasLatestTag(image));

    [Theory]
    [InlineData("busybox", "docker.io")]
    [InlineData("library/busybox:1", "docker.io")]
    [InlineData("127.0.0.1:5000/library/busybox:1", "127.0.0.1:5000")]
    [InlineData("localhost/x", "localhost")]
    [InlineData("registry.example.com/team/app:2", "registry.example.com")]
    public void Registry_host_of_an_image(string image, string host) => Assert.Equal(host, ImagePuller.RegistryHost(image));

    [Fact]
    public void Pull_credentials_come_from_a_dockerconfigjson_secret_for_the_images_registry()
    {
        var json = """{"auths":{"127.0.0.1:5000":{"auth":"dXNlcjpwYXNz"},"https://index.docker.io/v1/":{"username":"hub","password":"secret"}}}""";
        var secret = new V1Secret { Type = "kubernetes.io/dockerconfigjson", Data = new Dictionary<string, byte[]> { [".dockerconfigjson"] = Encoding.UTF8.GetBytes(json) } };
        var local = ImagePuller.FindAuth(secret, "127.0.0.1:5000");
        Assert.Equal(("user", "pass"), (local?.Username, local?.Password));
        Assert.Equal("hub", ImagePuller.FindAuth(secret, "docker.io")?.Username);
        Assert.Null(ImagePuller.FindAuth(secret, "quay.io"));
    }

    [Fact]
    public void Dns_for_ClusterFirst_uses_the_cluster_server_and_search_path_and_falls_back_to_the_host_without_one()
    {
        var resolv = Path.GetTempFileName();
        File.WriteAllText(resolv, "nameserver 192.0.2.53\nsearch example.org\noptions edns0\n");
        try
        {
            var pod = new V1Pod { Metadata = new V1ObjectMeta { Name = "p", NamespaceProperty = "team", Uid = "u" }, Spec = new V1PodSpec { Containers = [] } };
            var paths = new KubeletPaths("/tmp/k");
            var withDns = new SandboxConfigBuilder(new KubeletOptions { NodeName = "n", RootDir = "/tmp/k", ClusterDns = ["10.43.0.10"] }, paths, resolv);
            var dns = withDns.Dns(pod, out var warning);
            Assert.Null(warning);
            Assert.Equal(["10.43.0.10"], dns.Servers);
            Assert.Equal(["team.svc.cluster.local", "svc.cluster.local", "cluster.local", "example.org"], dns.Searches);
            Assert.Equal(["ndots:5"], dns.Options);

            var without = new SandboxConfigBuilder(new KubeletOptions { NodeName = "n", RootDir = "/tmp/k" }, paths, resolv);
            var fallback = without.Dns(pod, out warning);
            Assert.Contains("Falling back to \"Default\" policy", warning, StringComparison.Ordinal);
            Assert.Equal(["192.0.2.53"], fallback.Servers);
            Assert.Equal(["edns0"], fallback.Options);

            pod.Spec.DnsPolicy = "None";
            pod.Spec.DnsConfig = new V1PodDNSConfig { Nameservers = ["1.1.1.1"], Options = [new V1PodDNSConfigOption { Name = "ndots", Value = "2" }] };
            var none = withDns.Dns(pod, out _);
            Assert.Equal(["1.1.1.1"], none.Servers);
            Assert.Equal(["ndots:2"], none.Options);
        }
        finally
        {
            File.Delete(resolv);
        }
    }

    [Fact]
    public void The_node_is_not_ready_with_upstreams_message_while_the_runtime_or_its_network_is_not()
    {
        var status = new RuntimeStatus();
        status.Conditions.Add(new RuntimeCondition { Type = "RuntimeReady", Status = true });
        status.Conditions.Add(new RuntimeCondition { Type = "NetworkReady", Status = false, Reason = "NetworkPluginNotReady", Message = "cni plugin not initialized" });
        Assert.Equal("container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:cni plugin not initialized", NodeStatusManager.RuntimeConditionsProblem(status));
        status.Conditions[1].Status = true;
        Assert.Null(NodeStatusManager.RuntimeConditionsProblem(status));
    }

    [Fact]
    public void The_node_is_not_ready_before_its_own_CNI_configuration_is_written()
    {
        Assert.Equal(
            "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:the kubelet has not written the CNI configuration for its pod CIDR yet",
            NodeStatusManager.OwnNetworkProblem(null));
        Assert.Null(NodeStatusManager.OwnNetworkProblem("10.42.0.0/24"));
    }

    [Fact]
    public void Cni_configuration_is_a_bridge_with_host_local_addresses_from_the_pod_cidr_and_portmap()
    {
        var dir = Directory.CreateTempSubdirectory("cni-").FullName;
        try
        {
            Assert.True(CniConfig.Write(dir, "10.42.3.0/24", "/tmp/ipam"));
            Assert.False(CniConfig.Write(dir, "10.42.3.0/24", "/tmp/ipam"));
            var text = File.ReadAllText(Path.Combine(dir, CniConfig.FileName));
            Assert.Contains("\"subnet\": \"10.42.3.0/24\"", text, StringComparison.Ordinal);
            Assert.Contains("\"type\": \"portmap\"", text, StringComparison.Ordinal);
            Assert.True(CniConfig.Write(dir, "10.42.4.0/24", "/tmp/ipam"));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
