using Kubesharp.Scheduler.Framework;

namespace Kubesharp.Scheduler.Plugins.NodeName;

/// <summary>A pod that names a node fits only that node.</summary>
public sealed class NodeName : IFilterPlugin
{
    public const string PluginName = "NodeName";
    public const string Reason = "node(s) didn't match the requested node name";

    private static readonly Status Rejected = Status.Unresolvable(PluginName, Reason);

    public string Name => PluginName;

    public Status Filter(CycleState state, PodInfo pod, NodeInfo node) =>
        string.IsNullOrEmpty(pod.Pod.Spec?.NodeName) || pod.Pod.Spec.NodeName == node.Name ? Status.Success : Rejected;
}
