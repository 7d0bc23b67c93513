using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using k8s;
using k8s.Models;
using Kubesharp.Kubelet.Cri.V1;

namespace Kubesharp.Kubelet.Pods;

/// <summary>
/// The CRI configuration of one container (upstream's <c>kuberuntime_container.go</c> and <c>_linux.go</c>): command and
/// args with <c>$(VAR)</c> expansion, environment, mounts, the log path, resources as CPU shares and quota and a memory
/// limit, the security context, and the labels and annotations by which the kubelet knows the container again.
/// </summary>
public static class ContainerConfigBuilder
{
    /// <summary>Upstream's default masked and read-only <c>/proc</c> and <c>/sys</c> paths for unprivileged containers.</summary>
    private static readonly string[] MaskedPaths =
    [
        "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
    ];

    private static readonly string[] ReadonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

    private const long QuotaPeriod = 100_000;
    private const long MinQuota = 1000;
    private const long MinShares = 2;

    public static ContainerConfig Build(
        V1Pod pod,
        V1Container container,
        int restartCount,
        IReadOnlyList<KeyValue> env,
        IEnumerable<Mount> mounts,
        string terminationMessageHostPath,
        long nodeMemoryCapacity)
    {
        var lookup = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var e in env)
        {
            lookup[e.Key] = e.Value;
        }

        var config = new ContainerConfig
        {
            Metadata = new ContainerMetadata { Name = container.Name, Attempt = (uint)restartCount },
            Image = new ImageSpec { Image = container.Image, UserSpecifiedImage = container.Image },
            WorkingDir = container.WorkingDir ?? "",
            LogPath = KubeletPaths.ContainerLogRelativePath(container.Name, restartCount),
            Stdin = container.Stdin == true,
            StdinOnce = container.StdinOnce == true,
            Tty = container.Tty == true,
            Linux = new LinuxContainerConfig
            {
                Resources = Resources(pod, container, nodeMemoryCapacity),
                SecurityContext = SecurityContext(pod, container),
            },
        };
        var mapping = Env.Expansion.MappingFor(lookup);
        config.Command.AddRange((container.Command ?? []).Select(c => Env.Expansion.Expand(c, mapping)));
        config.Args.AddRange((container.Args ?? []).Select(a => Env.Expansion.Expand(a, mapping)));
        config.Envs.AddRange(env);
        config.Mounts.AddRange(mounts);

        var terminationPath = string.IsNullOrEmpty(container.TerminationMessagePath) ? "/dev/termination-log" : container.TerminationMessagePath;
        if (!config.Mounts.Any(m => m.ContainerPath == terminationPath))
        {
            config.Mounts.Add(new Mount { ContainerPath = terminationPath, HostPath = terminationMessageHostPath });
        }

        config.Labels.Add(RuntimeLabels.PodName, pod.Metadata.Name);
        config.Labels.Add(RuntimeLabels.PodNamespace, pod.Metadata.NamespaceProperty);
        config.Labels.Add(RuntimeLabels.PodUid, pod.Metadata.Uid);
        config.Labels.Add(RuntimeLabels.ContainerName, container.Name);
        config.Labels.Add(RuntimeLabels.ManagedBy, "true");
        config.Annotations.Add(RuntimeLabels.ContainerHash, Hash(container));
        config.Annotations.Add(RuntimeLabels.RestartCount, restartCount.ToString(CultureInfo.InvariantCulture));
        config.Annotations.Add(RuntimeLabels.TerminationMessagePath, terminationPath);
        config.Annotations.Add(RuntimeLabels.TerminationMessagePolicy, container.TerminationMessagePolicy ?? "File");
        config.Annotations.Add(RuntimeLabels.TerminationMessageHostPath, terminationMessageHostPath);
        config.Annotations.Add(RuntimeLabels.TerminationGracePeriod, (pod.Spec.TerminationGracePeriodSeconds ?? 30).ToString(CultureInfo.InvariantCulture));
        return config;
    }

    /// <summary>A hash of the container's spec: a container whose spec changed (a new image) is restarted.</summary>
    public static string Hash(V1Container container) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(KubernetesJson.Serialize(container))))[..16];

    public static LinuxContainerResources Resources(V1Pod pod, V1Container container, long nodeMemoryCapacity)
    {
        var requests = container.Resources?.Requests ?? new Dictionary<string, ResourceQuantity>();
        var limits = container.Resources?.Limits ?? new Dictionary<string, ResourceQuantity>();
        var resources = new LinuxContainerResources();

        var cpuRequest = requests.TryGetValue("cpu", out var cr) ? cr : limits.TryGetValue("cpu", out var cl0) ? cl0 : null;
        var milliRequest = cpuRequest is null ? 0 : (long)Math.Ceiling(cpuRequest.ToDecimal() * 1000);
        resources.CpuShares = Math.Max(MinShares, milliRequest * 1024 / 1000);
        if (limits.TryGetValue("cpu", out var cpuLimit))
        {
            var milliLimit = (long)Math.Ceiling(cpuLimit.ToDecimal() * 1000);
            resources.CpuPeriod = QuotaPeriod;
            resources.CpuQuota = Math.Max(MinQuota, milliLimit * QuotaPeriod / 1000);
        }

        if (limits.TryGetValue("memory", out var memoryLimit))
        {
            resources.MemoryLimitInBytes = (long)memoryLimit.ToDecimal();
        }

        var memoryRequest = requests.TryGetValue("memory", out var mr) ? (long)mr.ToDecimal() : 0;
        resources.OomScoreAdj = QosClass.Of(pod) switch
        {
            "Guaranteed" => -997,
            "BestEffort" => 1000,
            _ => BurstableOomScore(memoryRequest, nodeMemoryCapacity),
        };
        return resources;
    }

    private static long BurstableOomScore(long memoryRequest, long capacity)
    {
        var score = capacity <= 0 ? 999 : 1000 - (1000 * memoryRequest / capacity);
        return score < 2 ? 2 : score >= 1000 ? 999 : score;
    }

    private static LinuxContainerSecurityContext SecurityContext(V1Pod pod, V1Container container)
    {
        var podContext = pod.Spec.SecurityContext;
        var context = container.SecurityContext;
        var result = new LinuxContainerSecurityContext
        {
            Privileged = context?.Privileged == true,
            ReadonlyRootfs = context?.ReadOnlyRootFilesystem == true,
            NoNewPrivs = context?.AllowPrivilegeEscalation == false,
            NamespaceOptions = new NamespaceOption
            {
                Network = pod.Spec.HostNetwork == true ? NamespaceMode.Node : NamespaceMode.Pod,
                Pid = pod.Spec.HostPID == true ? NamespaceMode.Node : pod.Spec.ShareProcessNamespace == true ? NamespaceMode.Pod : NamespaceMode.Container,
                Ipc = pod.Spec.HostIPC == true ? NamespaceMode.Node : NamespaceMode.Pod,
            },
        };
        if ((context?.RunAsUser ?? podContext?.RunAsUser) is { } uid)
        {
            result.RunAsUser = new Int64Value { Value = uid };
        }

        if ((context?.RunAsGroup ?? podContext?.RunAsGroup) is { } gid)
        {
            result.RunAsGroup = new Int64Value { Value = gid };
        }

        if (podContext?.FsGroup is { } fsGroup)
        {
            result.SupplementalGroups.Add(fsGroup);
        }

        foreach (var group in (podContext?.SupplementalGroups ?? []).Where(g => g is not null))
        {
            result.SupplementalGroups.Add(group ?? 0);
        }

        if (context?.Capabilities is { } capabilities)
        {
            result.Capabilities = new Capability();
            result.Capabilities.AddCapabilities.AddRange((capabilities.Add ?? []).Select(CapabilityName));
            result.Capabilities.DropCapabilities.AddRange((capabilities.Drop ?? []).Select(CapabilityName));
        }

        if (!result.Privileged)
        {
            result.MaskedPaths.AddRange(MaskedPaths);
            result.ReadonlyPaths.AddRange(ReadonlyPaths);
        }

        return result;
    }

    /// <summary>The runtime wants <c>CAP_NET_ADMIN</c>-style names; pods say <c>NET_ADMIN</c> (or <c>ALL</c>).</summary>
    private static string CapabilityName(string name) =>
        name == "ALL" || name.StartsWith("CAP_", StringComparison.Ordinal) ? name : "CAP_" + name;
}
