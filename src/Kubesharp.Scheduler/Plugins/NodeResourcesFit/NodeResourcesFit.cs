using Kubesharp.Scheduler.Framework;

namespace Kubesharp.Scheduler.Plugins.NodeResourcesFit;

/// <summary>
/// The pod's requests must fit in what the node has left (cpu, memory, ephemeral storage, pod count, extended
/// resources); scores by the configured strategy (LeastAllocated by default).
/// </summary>
public sealed class NodeResourcesFit(NodeResourcesFitArgs? args = null) : IPreFilterPlugin, IFilterPlugin, IPreScorePlugin, IScorePlugin
{
    public const string PluginName = "NodeResourcesFit";
    public const string TooManyPods = "Too many pods";

    private const string ScoreKey = "PreScore" + PluginName;
    private readonly NodeResourcesFitArgs _args = args ?? new();

    public string Name => PluginName;

    public NodeResourcesFitArgs Args => _args;

    public static string Insufficient(string resource) => $"Insufficient {resource}";

    public (Status Status, IReadOnlySet<string>? Nodes) PreFilter(CycleState state, PodInfo pod, IReadOnlyList<NodeInfo> nodes) => (Status.Success, null);

    public Status Filter(CycleState state, PodInfo pod, NodeInfo node)
    {
        List<string>? reasons = null;
        var unresolvable = false;
        var requests = pod.Requests;
        var allocatable = node.Allocatable;
        if (node.Pods.Count + 1 > allocatable.AllowedPodNumber)
        {
            (reasons ??= []).Add(TooManyPods);
        }

        if (!requests.IsZero)
        {
            Check(ResourceNames.Cpu, requests.MilliCpu, allocatable.MilliCpu, node.Requested.MilliCpu, ref reasons, ref unresolvable);
            Check(ResourceNames.Memory, requests.Memory, allocatable.Memory, node.Requested.Memory, ref reasons, ref unresolvable);
            Check(ResourceNames.EphemeralStorage, requests.EphemeralStorage, allocatable.EphemeralStorage, node.Requested.EphemeralStorage, ref reasons, ref unresolvable);
            foreach (var (name, quantity) in requests.Scalar)
            {
                if (quantity == 0 || _args.IgnoredResources.Contains(name) || (name.IndexOf('/', StringComparison.Ordinal) is var slash and > 0 && _args.IgnoredResourceGroups.Contains(name[..slash])))
                {
                    continue;
                }

                Check(name, quantity, allocatable.Get(name), node.Requested.Get(name), ref reasons, ref unresolvable);
            }
        }

        if (reasons is null)
        {
            return Status.Success;
        }

        return new Status(unresolvable ? Code.UnschedulableAndUnresolvable : Code.Unschedulable, reasons, PluginName);
    }

    public Status PreScore(CycleState state, PodInfo pod, IReadOnlyList<NodeInfo> nodes)
    {
        state.Write(ScoreKey, ResourceScoring.PodRequests(pod, _args.Resources, useRequested: false));
        return Status.Success;
    }

    public long Score(CycleState state, PodInfo pod, NodeInfo node)
    {
        var podRequests = state.Read<long[]>(ScoreKey) ?? ResourceScoring.PodRequests(pod, _args.Resources, useRequested: false);
        var count = _args.Resources.Count;
        Span<long> allocatable = count <= 16 ? stackalloc long[count] : new long[count];
        Span<long> requested = count <= 16 ? stackalloc long[count] : new long[count];
        ResourceScoring.Fill(node, _args.Resources, podRequests, useRequested: false, allocatable, requested);
        return _args.Strategy switch
        {
            ScoringStrategyType.MostAllocated => ResourceScoring.MostAllocated(requested, allocatable, _args.Resources),
            ScoringStrategyType.RequestedToCapacityRatio => ResourceScoring.RequestedToCapacityRatio(requested, allocatable, _args.Resources, _args.Shape),
            _ => ResourceScoring.LeastAllocated(requested, allocatable, _args.Resources),
        };
    }

    private void Check(string name, long wanted, long allocatable, long requested, ref List<string>? reasons, ref bool unresolvable)
    {
        if (wanted > 0 && !_args.IgnoredResources.Contains(name) && wanted > allocatable - requested)
        {
            (reasons ??= []).Add(Insufficient(name));
            unresolvable |= wanted > allocatable;
        }
    }
}
