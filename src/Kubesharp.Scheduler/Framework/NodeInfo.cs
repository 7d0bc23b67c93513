using k8s.Models;

namespace Kubesharp.Scheduler.Framework;

/// <summary>What the scheduler knows of an image on a node: its size and on how many nodes it is (for spreading).</summary>
public readonly record struct ImageState(long Size, int NumNodes);

/// <summary>
/// Upstream's <c>NodeInfo</c>: a node and the pods on it (assumed ones included) with their sums, so that a filter
/// answers in constant time. The cache owns the live instances; a snapshot holds clones that a scheduling cycle reads
/// without locks.
/// </summary>
public sealed class NodeInfo
{
    private readonly List<PodInfo> _pods = [];
    private readonly List<HostPort> _usedPorts = [];

    public NodeInfo(V1Node? node = null)
    {
        if (node is not null)
        {
            SetNode(node);
        }
    }

    public V1Node? Node { get; private set; }

    public string Name => Node?.Metadata.Name ?? "";

    public IReadOnlyList<PodInfo> Pods => _pods;

    /// <summary>The pods as a span: what the plugins that walk every pod of every node iterate (no enumerator, no interface calls).</summary>
    public ReadOnlySpan<PodInfo> PodSpan => System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_pods);

    public IReadOnlyList<HostPort> UsedPorts => _usedPorts;

    public Resource Requested { get; private set; } = new();

    public Resource NonZeroRequested { get; private set; } = new();

    public Resource Allocatable { get; private set; } = new();

    /// <summary>Images on the node by normalised name (<c>name:tag</c>, <c>:latest</c> when untagged).</summary>
    public Dictionary<string, ImageState> ImageStates { get; private set; } = new(StringComparer.Ordinal);

    /// <summary>Pods with pod affinity or anti-affinity terms (InterPodAffinity reads only those).</summary>
    public int PodsWithAffinity { get; private set; }

    public int PodsWithRequiredAntiAffinity { get; private set; }

    /// <summary>Bumped on every change; the cache copies into a snapshot only what changed since the last one.</summary>
    public long Generation { get; set; }

    public void SetNode(V1Node node)
    {
        Node = node;
        Allocatable = Resource.FromList(node.Status?.Allocatable);
    }

    public void RemoveNode() => Node = null;

    public void AddPod(PodInfo pod)
    {
        _pods.Add(pod);
        Account(pod, 1);
    }

    /// <summary>Removes the pod with <paramref name="uid"/>; false when it is not here.</summary>
    public bool RemovePod(string uid)
    {
        var index = _pods.FindIndex(p => p.Uid == uid);
        if (index < 0)
        {
            return false;
        }

        var pod = _pods[index];
        _pods[index] = _pods[^1];
        _pods.RemoveAt(_pods.Count - 1);
        Account(pod, -1);
        return true;
    }

    public NodeInfo Clone()
    {
        var clone = new NodeInfo
        {
            Node = Node,
            Requested = Requested.Clone(),
            NonZeroRequested = NonZeroRequested.Clone(),
            Allocatable = Allocatable,
            ImageStates = ImageStates,
            PodsWithAffinity = PodsWithAffinity,
            PodsWithRequiredAntiAffinity = PodsWithRequiredAntiAffinity,
            Generation = Generation,
        };
        clone._pods.AddRange(_pods);
        clone._usedPorts.AddRange(_usedPorts);
        return clone;
    }

    internal void SetImageStates(Dictionary<string, ImageState> states) => ImageStates = states;

    private void Account(PodInfo pod, int sign)
    {
        Requested.Add(pod.Requests, sign);
        NonZeroRequested.MilliCpu += sign * pod.NonZeroRequests.MilliCpu;
        NonZeroRequested.Memory += sign * pod.NonZeroRequests.Memory;
        PodsWithAffinity += pod.HasAffinity ? sign : 0;
        PodsWithRequiredAntiAffinity += pod.HasRequiredAntiAffinity ? sign : 0;
        foreach (var port in pod.HostPorts)
        {
            if (sign > 0)
            {
                _usedPorts.Add(port);
            }
            else
            {
                _usedPorts.Remove(port);
            }
        }
    }
}
