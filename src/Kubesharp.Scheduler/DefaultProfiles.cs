using k8s;
using Kubesharp.Scheduler.Framework;
using Kubesharp.Scheduler.Plugins.DefaultBinder;
using Kubesharp.Scheduler.Plugins.DefaultPreemption;
using Kubesharp.Scheduler.Plugins.ImageLocality;
using Kubesharp.Scheduler.Plugins.InterPodAffinity;
using Kubesharp.Scheduler.Plugins.NodeAffinity;
using Kubesharp.Scheduler.Plugins.NodeName;
using Kubesharp.Scheduler.Plugins.NodePorts;
using Kubesharp.Scheduler.Plugins.NodeResourcesBalancedAllocation;
using Kubesharp.Scheduler.Plugins.NodeResourcesFit;
using Kubesharp.Scheduler.Plugins.NodeUnschedulable;
using Kubesharp.Scheduler.Plugins.PodTopologySpread;
using Kubesharp.Scheduler.Plugins.TaintToleration;

namespace Kubesharp.Scheduler;

/// <summary>Upstream's default profile: its plugins in upstream's order, and its score weights.</summary>
public static class DefaultProfiles
{
    public const string SchedulerName = "default-scheduler";

    /// <summary>Upstream v1.32's default score weights (getDefaultPlugins).</summary>
    public static IReadOnlyDictionary<string, long> Weights { get; } = new Dictionary<string, long>(StringComparer.Ordinal)
    {
        [TaintToleration.PluginName] = 3,
        [NodeAffinity.PluginName] = 2,
        [NodeResourcesFit.PluginName] = 1,
        [PodTopologySpread.PluginName] = 2,
        [InterPodAffinity.PluginName] = 2,
        [NodeResourcesBalancedAllocation.PluginName] = 1,
        [ImageLocality.PluginName] = 1,
    };

    /// <summary>The default plugins, in upstream's order (filters run in this order; the first rejection names the node's reason).</summary>
    public static IReadOnlyList<IPlugin> Plugins(PluginHandle handle) =>
    [
        new NodeUnschedulable(),
        new NodeName(),
        new TaintToleration(),
        new NodeAffinity(),
        new NodePorts(),
        new NodeResourcesFit(),
        new PodTopologySpread(handle),
        new InterPodAffinity(handle),
        new DefaultPreemption(handle),
        new NodeResourcesBalancedAllocation(),
        new ImageLocality(),
        new DefaultBinder(handle.Client),
    ];

    public static Profile Create(PluginHandle handle, string schedulerName = SchedulerName) => new(schedulerName, Plugins(handle), Weights);

    /// <summary>The default profile with no listers (tests, and callers that only bind).</summary>
    public static Profile Create(IKubernetes client, string schedulerName = SchedulerName) => Create(new PluginHandle(client), schedulerName);
}
