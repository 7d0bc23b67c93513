using k8s.Models;

namespace Kubesharp.Kubelet;

/// <summary>Settings of the kubelet, upstream's defaults where upstream has one.</summary>
public sealed record KubeletOptions
{
    public required string NodeName { get; init; }

    /// <summary>The kubelet's root directory: pods' volumes, logs and its certificates (<see cref="KubeletPaths"/>).</summary>
    public required string RootDir { get; init; }

    /// <summary>containerd's CRI socket.</summary>
    public string ContainerRuntimeEndpoint { get; init; } = DefaultSocket;

    /// <summary>Where the CNI configuration goes; by default <c>net.d</c> beside the socket (what <c>scripts/runtime.sh</c> configures).</summary>
    public string? CniConfDir { get; init; }

    /// <summary>The node's address; found from the route to the API server when null.</summary>
    public string? NodeIp { get; init; }

    /// <summary>Used when the node's <c>spec.podCIDR</c> is empty (no node IPAM controller), for a kubelet alone.</summary>
    public string? PodCidr { get; init; }

    /// <summary>The cluster DNS server for <c>dnsPolicy: ClusterFirst</c>; without one such pods get the host's resolv.conf, as upstream.</summary>
    public IReadOnlyList<string> ClusterDns { get; init; } = [];

    public string ClusterDomain { get; init; } = "cluster.local";

    /// <summary>The kubelet's HTTPS port, reported in <c>status.daemonEndpoints</c>; 0 turns the server off.</summary>
    public int Port { get; init; } = 10250;

    public string Address { get; init; } = "0.0.0.0";

    /// <summary>The cluster CA: the kubelet's server accepts client certificates it issued (the API server's, admins').</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? ClientCa { get; init; }

    /// <summary>How long the kubelet waits for its serving certificate (a CSR) before it serves with a self-signed one.</summary>
    public TimeSpan ServingCertificateWait { get; init; } = TimeSpan.FromSeconds(30);

    public int MaxPods { get; init; } = 110;

    public IReadOnlyDictionary<string, string> NodeLabels { get; init; } = new Dictionary<string, string>();

    public IReadOnlyList<V1Taint> RegisterWithTaints { get; init; } = [];

    /// <summary>How often the node status is computed (and written when it changed).</summary>
    public TimeSpan NodeStatusUpdateFrequency { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The node status is written at least this often even when unchanged.</summary>
    public TimeSpan NodeStatusReportFrequency { get; init; } = TimeSpan.FromMinutes(1);

    public TimeSpan NodeLeaseDuration { get; init; } = TimeSpan.FromSeconds(40);

    /// <summary>How often the runtime is listed to notice containers that changed state (upstream's PLEG relist period).</summary>
    public TimeSpan RelistPeriod { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How often each pod is synchronised even when nothing happened (upstream's sync frequency).</summary>
    public TimeSpan SyncFrequency { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How many sandbox creations, container creations and container starts the kubelet has in the runtime at once
    /// (the others wait their turn): containerd, runc and the CNI plugins each fork processes for them, and on a small
    /// node a hundred at once take longer in total than a few at a time. Twice the cores, at least 4.
    /// </summary>
    public int ParallelRuntimeStarts { get; init; } = Math.Max(4, 2 * Environment.ProcessorCount);

    public TimeSpan CrashLoopInitialBackoff { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan CrashLoopMaxBackoff { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>A container that ran this long before it exited starts its next restart with no back-off.</summary>
    public TimeSpan CrashLoopResetAfter { get; init; } = TimeSpan.FromMinutes(10);

    public TimeSpan ImagePullInitialBackoff { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan ImagePullMaxBackoff { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Memory kept back from allocatable: upstream's default hard eviction threshold <c>memory.available&lt;100Mi</c>.</summary>
    public long EvictionHardMemoryBytes { get; init; } = 100L * 1024 * 1024;

    public const string DefaultSocket = "/run/kubesharp/containerd/containerd.sock";

    public string EffectiveCniConfDir => CniConfDir ?? Path.Combine(Path.GetDirectoryName(ContainerRuntimeEndpoint) ?? "/etc/cni", "net.d");
}
