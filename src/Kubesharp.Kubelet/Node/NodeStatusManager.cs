using System.Globalization;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Kubesharp.Kubelet.Cri;
using Microsoft.Extensions.Logging;

namespace Kubesharp.Kubelet.Node;

/// <summary>
/// The node's side of the kubelet (upstream's <c>kubelet_node_status.go</c> and the node lease controller): registers
/// the Node, renews its Lease in <c>kube-node-lease</c> every <c>leaseDuration/4</c>, computes the status every
/// <see cref="KubeletOptions.NodeStatusUpdateFrequency"/> and writes it when it changed or a report is due, and hands the
/// node's pod CIDR to the runtime (CNI configuration and <c>UpdateRuntimeConfig</c>).
/// </summary>
public sealed partial class NodeStatusManager(IKubernetes client, CriClient cri, KubeletOptions options, HostInfo host, string nodeAddress, string kubeletVersion, TimeProvider time, ILogger logger)
{
    private const string LeaseNamespace = "kube-node-lease";
    private static readonly string[] RequiredRuntimeConditions = ["RuntimeReady", "NetworkReady"];
    private static readonly string[] ConditionOrder = ["MemoryPressure", "DiskPressure", "PIDPressure", "Ready"];
    private string? _lastStatusJson;
    private DateTimeOffset _lastReport;
    private string? _podCidr;
    private readonly Dictionary<string, V1NodeCondition> _conditions = new(StringComparer.Ordinal);
    private volatile bool _registered;
    private volatile string? _runtimeProblem = "container runtime status check may not have completed yet";
    private V1Lease? _lease;

    /// <summary>Null when the runtime and its network are ready; else why the node is not ready.</summary>
    public string? RuntimeProblem => _runtimeProblem;

    /// <summary>The node's pod CIDR once known.</summary>
    public string? PodCidr => _podCidr;

    /// <summary>Allocatable as last reported, for resourceFieldRef defaults.</summary>
    public IReadOnlyDictionary<string, ResourceQuantity> Allocatable { get; private set; } = new Dictionary<string, ResourceQuantity>();

    /// <summary>Raised when the runtime turned ready or not ready, so pods that wait for it are synchronised again.</summary>
    public event Action? RuntimeReadinessChanged;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (!_registered)
        {
            // The kubelet registers before it starts this loop; a caller that did not, registers here.
            await RegisterAsync(cancellationToken).ConfigureAwait(false);
        }

        var leaseLoop = RunLeaseAsync(cancellationToken);
        var statusEvery = options.NodeStatusUpdateFrequency;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await SyncStatusAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.StatusFailed(logger, e);
            }

            // Until the pod CIDR is known, look again soon: pods cannot get addresses without it.
            var wait = _podCidr is null ? TimeSpan.FromSeconds(1) : statusEvery;
            try
            {
                await Task.Delay(wait, time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        await leaseLoop.ConfigureAwait(false);
    }

    /// <summary>Creates the Node, or adopts the one already registered under this name (labels reconciled).</summary>
    public async Task RegisterAsync(CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                var node = new V1Node
                {
                    ApiVersion = "v1",
                    Kind = "Node",
                    Metadata = new V1ObjectMeta { Name = options.NodeName, Labels = Labels() },
                    Spec = new V1NodeSpec { Taints = options.RegisterWithTaints.Count > 0 ? [.. options.RegisterWithTaints] : null, PodCIDR = null },
                };
                try
                {
                    await client.CoreV1.CreateNodeAsync(node, cancellationToken: cancellationToken).ConfigureAwait(false);
                    Log.Registered(logger, options.NodeName);
                }
                catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict)
                {
                    var patch = KubernetesJson.Serialize(new V1Node { Metadata = new V1ObjectMeta { Labels = Labels() } });
                    await client.CoreV1.PatchNodeAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), options.NodeName, cancellationToken: cancellationToken).ConfigureAwait(false);
                    Log.Adopted(logger, options.NodeName);
                }

                _registered = true;
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.RegisterFailed(logger, options.NodeName, e);
                await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(7).Ticks));
            }
        }
    }

    private Dictionary<string, string> Labels()
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["kubernetes.io/hostname"] = options.NodeName,
            ["kubernetes.io/os"] = "linux",
            ["kubernetes.io/arch"] = host.Architecture,
            ["beta.kubernetes.io/os"] = "linux",
            ["beta.kubernetes.io/arch"] = host.Architecture,
        };
        foreach (var (k, v) in options.NodeLabels)
        {
            labels[k] = v;
        }

        return labels;
    }

    /// <summary>Computes the status; writes it when it differs from the last written or a report is due.</summary>
    public async Task SyncStatusAsync(CancellationToken cancellationToken)
    {
        var node = await client.CoreV1.ReadNodeAsync(options.NodeName, cancellationToken: cancellationToken).ConfigureAwait(false);
        await SyncPodCidrAsync(node, cancellationToken).ConfigureAwait(false);
        var status = await ComputeStatusAsync(cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var json = KubernetesJson.Serialize(status);
        if (json == _lastStatusJson && now - _lastReport < options.NodeStatusReportFrequency)
        {
            return;
        }

        foreach (var condition in status.Conditions)
        {
            condition.LastHeartbeatTime = now.UtcDateTime;
        }

        var patch = KubernetesJson.Serialize(new V1Node { Status = status });
        await client.CoreV1.PatchNodeStatusAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), options.NodeName, cancellationToken: cancellationToken).ConfigureAwait(false);
        _lastStatusJson = json;
        _lastReport = now;
    }

    private async Task SyncPodCidrAsync(V1Node node, CancellationToken cancellationToken)
    {
        var cidr = node.Spec?.PodCIDR ?? options.PodCidr;
        if (cidr is null || cidr == _podCidr)
        {
            return;
        }

        CniConfig.Write(options.EffectiveCniConfDir, cidr, Path.Combine(options.RootDir, "cni-ipam"));
        if (CniConfig.RemoveStaleBridge(cidr))
        {
            Log.StaleBridge(logger, cidr);
        }

        try
        {
            await cri.UpdatePodCidrAsync(cidr, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (CriClient.IsUnavailable(e))
        {
            return;
        }

        _podCidr = cidr;
        Log.PodCidr(logger, cidr);
    }

    private async Task<V1NodeStatus> ComputeStatusAsync(CancellationToken cancellationToken)
    {
        var capacity = new Dictionary<string, ResourceQuantity>(StringComparer.Ordinal)
        {
            ["cpu"] = new(host.Cpus.ToString(CultureInfo.InvariantCulture)),
            ["memory"] = Ki(host.MemoryBytes),
            ["ephemeral-storage"] = Ki(host.EphemeralStorageBytes),
            ["pods"] = new(options.MaxPods.ToString(CultureInfo.InvariantCulture)),
            ["hugepages-1Gi"] = new("0"),
            ["hugepages-2Mi"] = new("0"),
        };
        var allocatable = new Dictionary<string, ResourceQuantity>(capacity, StringComparer.Ordinal)
        {
            ["memory"] = Ki(Math.Max(0, host.MemoryBytes - options.EvictionHardMemoryBytes)),
            // Upstream's default hard eviction threshold nodefs.available<10%.
            ["ephemeral-storage"] = new((host.EphemeralStorageBytes * 9 / 10).ToString(CultureInfo.InvariantCulture)),
        };
        Allocatable = allocatable;

        string runtimeVersion = "containerd://unknown";
        string? problem;
        IReadOnlyList<Cri.V1.Image> images = [];
        try
        {
            var version = await cri.VersionAsync(cancellationToken).ConfigureAwait(false);
            runtimeVersion = $"{version.RuntimeName}://{version.RuntimeVersion.TrimStart('v')}";
            var runtimeStatus = await cri.StatusAsync(cancellationToken).ConfigureAwait(false);
            problem = RuntimeConditionsProblem(runtimeStatus.Status);
            images = await cri.ListImagesAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (CriClient.IsUnavailable(e))
        {
            problem = "container runtime is down";
        }
        catch (Grpc.Core.RpcException e)
        {
            // A runtime that answers with an error (one coming back after an outage can) is not ready either.
            problem = $"container runtime status check failed: {e.Status.StatusCode}: {e.Status.Detail}";
        }

        problem ??= OwnNetworkProblem(_podCidr);
        if (problem != _runtimeProblem)
        {
            _runtimeProblem = problem;
            RuntimeReadinessChanged?.Invoke();
        }

        var now = time.GetUtcNow().UtcDateTime;
        SetCondition("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available", now);
        SetCondition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure", now);
        SetCondition("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available", now);
        if (problem is null)
        {
            SetCondition("Ready", "True", "KubeletReady", "kubelet is posting ready status", now);
        }
        else
        {
            SetCondition("Ready", "False", "KubeletNotReady", problem, now);
        }

        return new V1NodeStatus
        {
            Capacity = capacity,
            Allocatable = allocatable,
            Conditions = [.. ConditionOrder.Select(t => Copy(_conditions[t]))],
            Addresses =
            [
                new V1NodeAddress { Type = "InternalIP", Address = nodeAddress },
                new V1NodeAddress { Type = "Hostname", Address = options.NodeName },
            ],
            DaemonEndpoints = new V1NodeDaemonEndpoints { KubeletEndpoint = new V1DaemonEndpoint { Port = options.Port } },
            NodeInfo = new V1NodeSystemInfo
            {
                MachineID = host.MachineId,
                SystemUUID = host.MachineId,
                BootID = host.BootId,
                KernelVersion = host.KernelVersion,
                OsImage = host.OsImage,
                ContainerRuntimeVersion = runtimeVersion,
                KubeletVersion = kubeletVersion,
                KubeProxyVersion = kubeletVersion,
                OperatingSystem = "linux",
                Architecture = host.Architecture,
            },
            Images = images.Count == 0 ? null :
            [
                .. images
                    .OrderByDescending(i => i.Size)
                    .Take(50)
                    .Select(i => new V1ContainerImage { Names = [.. i.RepoDigests, .. i.RepoTags], SizeBytes = (long)i.Size }),
            ],
        };
    }

    /// <summary>
    /// Not ready until this kubelet has written the CNI configuration for its pod CIDR. The runtime reports its network
    /// ready as soon as any configuration is in its directory, and one an earlier kubelet left on this containerd (another
    /// root directory, so another address allocator's state for the same range) may be there: pods set up with it
    /// would get addresses this kubelet's allocator hands out again.
    /// </summary>
    internal static string? OwnNetworkProblem(string? podCidr) => podCidr is null
        ? "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:the kubelet has not written the CNI configuration for its pod CIDR yet"
        : null;

    /// <summary>Upstream's message when the runtime reports a required condition false.</summary>
    internal static string? RuntimeConditionsProblem(Cri.V1.RuntimeStatus? status)
    {
        if (status is null)
        {
            return "container runtime status check may not have completed yet";
        }

        foreach (var type in RequiredRuntimeConditions)
        {
            var condition = status.Conditions.FirstOrDefault(c => c.Type == type);
            if (condition is null || !condition.Status)
            {
                var detail = condition is null ? $"{type}=false" : $"{type}=false reason:{condition.Reason} message:{condition.Message}";
                return type == "RuntimeReady" ? $"container runtime not ready: {detail}" : $"container runtime network not ready: {detail}";
            }
        }

        return null;
    }

    private void SetCondition(string type, string status, string reason, string message, DateTime now)
    {
        if (!_conditions.TryGetValue(type, out var current) || current.Status != status)
        {
            _conditions[type] = new V1NodeCondition { Type = type, Status = status, Reason = reason, Message = message, LastTransitionTime = now, LastHeartbeatTime = now };
            return;
        }

        current.Reason = reason;
        current.Message = message;
    }

    private static V1NodeCondition Copy(V1NodeCondition c) => new()
    {
        Type = c.Type,
        Status = c.Status,
        Reason = c.Reason,
        Message = c.Message,
        LastTransitionTime = c.LastTransitionTime,
    };

    private static ResourceQuantity Ki(long bytes) => new($"{(bytes / 1024).ToString(CultureInfo.InvariantCulture)}Ki");

    private async Task RunLeaseAsync(CancellationToken cancellationToken)
    {
        var renewEvery = options.NodeLeaseDuration / 4;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await RenewLeaseAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _lease = null;
                Log.LeaseFailed(logger, e);
            }

            try
            {
                await Task.Delay(renewEvery, time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Creates or renews <c>kube-node-lease/NAME</c>, owned by the Node so that it goes with it.</summary>
    public async Task RenewLeaseAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        if (_lease is null)
        {
            try
            {
                _lease = await client.CoordinationV1.ReadNamespacedLeaseAsync(options.NodeName, LeaseNamespace, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                var node = await client.CoreV1.ReadNodeAsync(options.NodeName, cancellationToken: cancellationToken).ConfigureAwait(false);
                _lease = await client.CoordinationV1.CreateNamespacedLeaseAsync(
                    new V1Lease
                    {
                        Metadata = new V1ObjectMeta
                        {
                            Name = options.NodeName,
                            NamespaceProperty = LeaseNamespace,
                            OwnerReferences = [new V1OwnerReference { ApiVersion = "v1", Kind = "Node", Name = node.Metadata.Name, Uid = node.Metadata.Uid }],
                        },
                        Spec = new V1LeaseSpec
                        {
                            HolderIdentity = options.NodeName,
                            LeaseDurationSeconds = (int)options.NodeLeaseDuration.TotalSeconds,
                            RenewTime = now,
                        },
                    },
                    LeaseNamespace,
                    cancellationToken: cancellationToken).ConfigureAwait(false);
                return;
            }
        }

        _lease.Spec ??= new V1LeaseSpec();
        _lease.Spec.HolderIdentity = options.NodeName;
        _lease.Spec.LeaseDurationSeconds = (int)options.NodeLeaseDuration.TotalSeconds;
        _lease.Spec.RenewTime = now;
        _lease = await client.CoordinationV1.ReplaceNamespacedLeaseAsync(_lease, options.NodeName, LeaseNamespace, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "registered node {Node}")]
        public static partial void Registered(ILogger logger, string node);

        [LoggerMessage(Level = LogLevel.Information, Message = "node {Node} was already registered; adopted it")]
        public static partial void Adopted(ILogger logger, string node);

        [LoggerMessage(Level = LogLevel.Warning, Message = "could not register node {Node}; retrying")]
        public static partial void RegisterFailed(ILogger logger, string node, Exception e);

        [LoggerMessage(Level = LogLevel.Warning, Message = "could not update the node status")]
        public static partial void StatusFailed(ILogger logger, Exception e);

        [LoggerMessage(Level = LogLevel.Warning, Message = "could not renew the node lease")]
        public static partial void LeaseFailed(ILogger logger, Exception e);

        [LoggerMessage(Level = LogLevel.Warning, Message = "removed the cni0 bridge: it carried an address outside the pod CIDR {Cidr} (from an earlier node on this host)")]
        public static partial void StaleBridge(ILogger logger, string cidr);

        [LoggerMessage(Level = LogLevel.Information, Message = "pod CIDR {Cidr}: CNI configured")]
        public static partial void PodCidr(ILogger logger, string cidr);
    }
}
