using k8s.Models;
using Kubesharp.Scheduler.Framework;

namespace Kubesharp.Scheduler.Plugins.NodeUnschedulable;

/// <summary>A cordoned node (<c>spec.unschedulable</c>) takes only pods that tolerate <c>node.kubernetes.io/unschedulable:NoSchedule</c>.</summary>
public sealed class NodeUnschedulable : IFilterPlugin
{
    public const string PluginName = "NodeUnschedulable";
    public const string Reason = "node(s) were unschedulable";
    public const string TaintKey = "node.kubernetes.io/unschedulable";

    private static readonly Status Rejected = Status.Unresolvable(PluginName, Reason);
    private static readonly V1Taint Taint = new() { Key = TaintKey, Effect = Tolerations.NoSchedule };

    public string Name => PluginName;

    public Status Filter(CycleState state, PodInfo pod, NodeInfo node) =>
        node.Node?.Spec?.Unschedulable != true || Tolerations.AnyTolerates(pod.Pod.Spec?.Tolerations, Taint) ? Status.Success : Rejected;
}
