using Kubesharp.Scheduler.Framework;
using Kubesharp.Scheduler.Plugins.NodeResourcesFit;

namespace Kubesharp.Scheduler.Plugins.NodeResourcesBalancedAllocation;

/// <summary>Prefers nodes whose cpu and memory would be used in the same proportion: 100 × (1 − standard deviation of the fractions).</summary>
public sealed class NodeResourcesBalancedAllocation(IReadOnlyList<ResourceSpec>? resources = null) : IPreScorePlugin, IScorePlugin
{
    public const string PluginName = "NodeResourcesBalancedAllocation";

    private const string StateKey = "PreScore" + PluginName;
    private readonly IReadOnlyList<ResourceSpec> _resources = resources ?? [new("cpu", 1), new("memory", 1)];

    public string Name => PluginName;

    public Status PreScore(CycleState state, PodInfo pod, IReadOnlyList<NodeInfo> nodes)
    {
        var requests = ResourceScoring.PodRequests(pod, _resources, useRequested: true);
        if (requests.All(r => r == 0))
        {
            return Status.Skip;
        }

        state.Write(StateKey, requests);
        return Status.Success;
    }

    public long Score(CycleState state, PodInfo pod, NodeInfo node)
    {
        var podRequests = state.Read<long[]>(StateKey) ?? ResourceScoring.PodRequests(pod, _resources, useRequested: true);
        var count = _resources.Count;
        Span<long> allocatable = count <= 16 ? stackalloc long[count] : new long[count];
        Span<long> requested = count <= 16 ? stackalloc long[count] : new long[count];
        ResourceScoring.Fill(node, _resources, podRequests, useRequested: true, allocatable, requested);
        return Balance(requested, allocatable);
    }

    public static long Balance(ReadOnlySpan<long> requested, ReadOnlySpan<long> allocatable)
    {
        Span<double> fractions = stackalloc double[requested.Length];
        var n = 0;
        var total = 0.0;
        for (var i = 0; i < requested.Length; i++)
        {
            if (allocatable[i] == 0)
            {
                continue;
            }

            var f = Math.Min(1.0, (double)requested[i] / allocatable[i]);
            fractions[n++] = f;
            total += f;
        }

        var std = 0.0;
        if (n == 2)
        {
            std = Math.Abs((fractions[0] - fractions[1]) / 2);
        }
        else if (n > 2)
        {
            var mean = total / n;
            var sum = 0.0;
            for (var i = 0; i < n; i++)
            {
                sum += (fractions[i] - mean) * (fractions[i] - mean);
            }

            std = Math.Sqrt(sum / n);
        }

        return (long)((1 - std) * Scores.MaxNodeScore);
    }
}
