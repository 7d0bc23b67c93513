using k8s.Models;

namespace Kubesharp.Scheduler.Framework;

/// <summary>A host port a pod asks for: upstream's (hostIP, protocol, hostPort) triple, hostIP 0.0.0.0 when unset.</summary>
public readonly record struct HostPort(string Ip, string Protocol, int Port)
{
    public const string AnyIp = "0.0.0.0";

    /// <summary>Upstream's conflict rule: same protocol and port, and either side on every address or both on the same one.</summary>
    public bool ConflictsWith(HostPort other) =>
        Port == other.Port && Protocol == other.Protocol && (Ip == AnyIp || other.Ip == AnyIp || Ip == other.Ip);
}

/// <summary>
/// A pod with what the scheduler computes from it once: its requests (upstream's PodRequests: containers summed,
/// init containers as a maximum with sidecars counted throughout, overhead added), the non-zero requests scoring
/// uses, its host ports and priority. Immutable once built.
/// </summary>
public sealed class PodInfo
{
    private PodInfo(V1Pod pod)
    {
        Pod = pod;
        Key = $"{pod.Metadata.NamespaceProperty}/{pod.Metadata.Name}";
        Requests = ComputeRequests(pod.Spec, nonZero: false);
        NonZeroRequests = ComputeRequests(pod.Spec, nonZero: true);
        HostPorts = ComputeHostPorts(pod.Spec);
        Priority = pod.Spec?.Priority ?? 0;
        var affinity = pod.Spec?.Affinity;
        HasAffinity = affinity?.PodAffinity is not null || affinity?.PodAntiAffinity is not null;
        HasRequiredAntiAffinity = affinity?.PodAntiAffinity?.RequiredDuringSchedulingIgnoredDuringExecution is { Count: > 0 };
    }

    public V1Pod Pod { get; }

    public string Key { get; }

    public string Uid => Pod.Metadata.Uid ?? "";

    public Resource Requests { get; }

    /// <summary>cpu and memory with upstream's defaults (100m, 200 MB) for containers that request none.</summary>
    public Resource NonZeroRequests { get; }

    public IReadOnlyList<HostPort> HostPorts { get; }

    public int Priority { get; }

    public bool HasAffinity { get; }

    public bool HasRequiredAntiAffinity { get; }

    /// <summary>InterPodAffinity's parsed terms of this pod, computed once on first use (upstream keeps them in PodInfo too).</summary>
    internal object? ParsedAffinity { get; set; }

    public static PodInfo Of(V1Pod pod) => new(pod);

    private static Resource ComputeRequests(V1PodSpec? spec, bool nonZero)
    {
        var requests = new Resource();
        if (spec is null)
        {
            return requests;
        }

        foreach (var container in spec.Containers ?? [])
        {
            requests.Add(ContainerRequests(container, nonZero));
        }

        var sidecars = new Resource();
        var init = new Resource();
        foreach (var container in spec.InitContainers ?? [])
        {
            var own = ContainerRequests(container, nonZero);
            Resource during;
            if (container.RestartPolicy == "Always")
            {
                // A sidecar runs beside everything after it: it adds to the pod's total and to each later init step.
                requests.Add(own);
                sidecars.Add(own);
                during = sidecars.Clone();
            }
            else
            {
                during = own;
                during.Add(sidecars);
            }

            init.Max(during);
        }

        requests.Max(init);
        if (!nonZero && spec.Overhead is { } overhead)
        {
            requests.Add(Resource.FromList(overhead));
        }

        return requests;
    }

    private static Resource ContainerRequests(V1Container container, bool nonZero)
    {
        var own = Resource.FromList(container.Resources?.Requests);
        if (!nonZero)
        {
            return own;
        }

        var zeroed = new Resource
        {
            MilliCpu = container.Resources?.Requests?.ContainsKey(ResourceNames.Cpu) == true ? own.MilliCpu : Resource.DefaultMilliCpuRequest,
            Memory = container.Resources?.Requests?.ContainsKey(ResourceNames.Memory) == true ? own.Memory : Resource.DefaultMemoryRequest,
        };
        return zeroed;
    }

    private static HostPort[] ComputeHostPorts(V1PodSpec? spec)
    {
        if (spec is null)
        {
            return [];
        }

        List<HostPort>? ports = null;
        foreach (var container in (spec.InitContainers ?? []).Where(c => c.RestartPolicy == "Always").Concat(spec.Containers ?? []))
        {
            foreach (var port in container.Ports ?? [])
            {
                if (port.HostPort is > 0)
                {
                    (ports ??= []).Add(new HostPort(string.IsNullOrEmpty(port.HostIP) ? HostPort.AnyIp : port.HostIP, string.IsNullOrEmpty(port.Protocol) ? "TCP" : port.Protocol, port.HostPort.Value));
                }
            }
        }

        return ports?.ToArray() ?? [];
    }
}
