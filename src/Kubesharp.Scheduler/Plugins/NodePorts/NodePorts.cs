using Kubesharp.Scheduler.Framework;

namespace Kubesharp.Scheduler.Plugins.NodePorts;

/// <summary>A pod's host ports must be free on the node (same protocol and port on an overlapping address is a conflict).</summary>
public sealed class NodePorts : IPreFilterPlugin, IFilterPlugin
{
    public const string PluginName = "NodePorts";
    public const string Reason = "node(s) didn't have free ports for the requested pod ports";

    private static readonly Status Rejected = Status.Unschedulable(PluginName, Reason);

    public string Name => PluginName;

    public (Status Status, IReadOnlySet<string>? Nodes) PreFilter(CycleState state, PodInfo pod, IReadOnlyList<NodeInfo> nodes) =>
        (pod.HostPorts.Count == 0 ? Status.Skip : Status.Success, null);

    public Status Filter(CycleState state, PodInfo pod, NodeInfo node)
    {
        foreach (var wanted in pod.HostPorts)
        {
            foreach (var used in node.UsedPorts)
            {
                if (wanted.ConflictsWith(used))
                {
                    return Rejected;
                }
            }
        }

        return Status.Success;
    }
}
