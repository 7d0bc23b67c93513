using k8s.Models;
using Kubesharp.Scheduler.Framework;

namespace Kubesharp.Scheduler.Tests;

/// <summary>Nodes and pods for the tests, built the way the API server would store them.</summary>
internal static class Make
{
    private static int _uid;

    public static V1Node Node(string name, string cpu = "4", string memory = "8Gi", string pods = "110", IDictionary<string, string>? labels = null, IList<V1Taint>? taints = null, bool unschedulable = false, IDictionary<string, string>? extra = null) =>
        new()
        {
            Metadata = new V1ObjectMeta { Name = name, Labels = labels ?? new Dictionary<string, string> { ["kubernetes.io/hostname"] = name }, ResourceVersion = "1", Uid = $"node-{name}" },
            Spec = new V1NodeSpec { Taints = taints, Unschedulable = unschedulable },
            Status = new V1NodeStatus
            {
                Allocatable = new Dictionary<string, ResourceQuantity>
                {
                    ["cpu"] = new(cpu),
                    ["memory"] = new(memory),
                    ["pods"] = new(pods),
                    ["ephemeral-storage"] = new("100Gi"),
                }.Concat((extra ?? new Dictionary<string, string>()).Select(kv => KeyValuePair.Create(kv.Key, new ResourceQuantity(kv.Value)))).ToDictionary(),
            },
        };

    public static V1Pod Pod(string name, string? cpu = null, string? memory = null, string ns = "default", string? node = null, int? priority = null, Action<V1PodSpec>? spec = null)
    {
        var requests = new Dictionary<string, ResourceQuantity>();
        if (cpu is not null)
        {
            requests["cpu"] = new ResourceQuantity(cpu);
        }

        if (memory is not null)
        {
            requests["memory"] = new ResourceQuantity(memory);
        }

        var pod = new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Uid = $"uid-{name}-{Interlocked.Increment(ref _uid)}", ResourceVersion = "1" },
            Spec = new V1PodSpec
            {
                NodeName = node,
                Priority = priority,
                Containers = [new V1Container { Name = "c", Image = "busybox:1.35", Resources = new V1ResourceRequirements { Requests = requests } }],
            },
        };
        spec?.Invoke(pod.Spec);
        return pod;
    }

    public static NodeInfo Info(V1Node node, params V1Pod[] pods)
    {
        var info = new NodeInfo(node);
        foreach (var pod in pods)
        {
            info.AddPod(PodInfo.Of(pod));
        }

        return info;
    }
}
