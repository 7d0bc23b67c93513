using Kubesharp.Scheduler.Framework;

namespace Kubesharp.Scheduler.Plugins.NodeResourcesFit;

/// <summary>
/// Upstream's resourceAllocationScorer: for each scored resource, what the node has and what it would have
/// requested with the pod, then a strategy folds them into 0..100.
/// </summary>
public static class ResourceScoring
{
    /// <summary>What the pod requests of each resource, in order (non-zero defaults for cpu and memory unless <paramref name="useRequested"/>).</summary>
    public static long[] PodRequests(PodInfo pod, IReadOnlyList<ResourceSpec> resources, bool useRequested)
    {
        var source = useRequested ? pod.Requests : pod.NonZeroRequests;
        var requests = new long[resources.Count];
        for (var i = 0; i < resources.Count; i++)
        {
            var name = resources[i].Name;
            requests[i] = name is ResourceNames.Cpu or ResourceNames.Memory ? source.Get(name) : pod.Requests.Get(name);
        }

        return requests;
    }

    /// <summary>Fills allocatable and requested-with-the-pod per resource; an extended resource the pod does not request gets (0, 0), which skips it.</summary>
    public static void Fill(NodeInfo node, IReadOnlyList<ResourceSpec> resources, long[] podRequests, bool useRequested, Span<long> allocatable, Span<long> requested)
    {
        var nodeRequested = useRequested ? node.Requested : node.NonZeroRequested;
        for (var i = 0; i < resources.Count; i++)
        {
            var name = resources[i].Name;
            allocatable[i] = 0;
            requested[i] = 0;
            switch (name)
            {
                case ResourceNames.Cpu:
                case ResourceNames.Memory:
                    allocatable[i] = node.Allocatable.Get(name);
                    requested[i] = nodeRequested.Get(name) + podRequests[i];
                    break;
                case ResourceNames.EphemeralStorage:
                    allocatable[i] = node.Allocatable.EphemeralStorage;
                    requested[i] = node.Requested.EphemeralStorage + podRequests[i];
                    break;
                default:
                    if (podRequests[i] != 0)
                    {
                        allocatable[i] = node.Allocatable.Get(name);
                        requested[i] = node.Requested.Get(name) + podRequests[i];
                    }

                    break;
            }
        }
    }

    public static long LeastAllocated(ReadOnlySpan<long> requested, ReadOnlySpan<long> allocatable, IReadOnlyList<ResourceSpec> resources)
    {
        long score = 0, weights = 0;
        for (var i = 0; i < requested.Length; i++)
        {
            if (allocatable[i] == 0)
            {
                continue;
            }

            var r = requested[i] > allocatable[i] ? 0 : (allocatable[i] - requested[i]) * Scores.MaxNodeScore / allocatable[i];
            score += r * resources[i].Weight;
            weights += resources[i].Weight;
        }

        return weights == 0 ? 0 : score / weights;
    }

    public static long MostAllocated(ReadOnlySpan<long> requested, ReadOnlySpan<long> allocatable, IReadOnlyList<ResourceSpec> resources)
    {
        long score = 0, weights = 0;
        for (var i = 0; i < requested.Length; i++)
        {
            if (allocatable[i] == 0)
            {
                continue;
            }

            var used = Math.Min(requested[i], allocatable[i]);
            score += used * Scores.MaxNodeScore / allocatable[i] * resources[i].Weight;
            weights += resources[i].Weight;
        }

        return weights == 0 ? 0 : score / weights;
    }

    public static long RequestedToCapacityRatio(ReadOnlySpan<long> requested, ReadOnlySpan<long> allocatable, IReadOnlyList<ResourceSpec> resources, IReadOnlyList<UtilizationShapePoint> shape)
    {
        long score = 0, weights = 0;
        for (var i = 0; i < requested.Length; i++)
        {
            if (allocatable[i] == 0)
            {
                continue;
            }

            var utilization = requested[i] > allocatable[i] ? 100 : requested[i] * 100 / allocatable[i];
            score += Shape(shape, utilization) * resources[i].Weight;
            weights += resources[i].Weight;
        }

        return weights == 0 ? 0 : (long)Math.Round((double)score / weights, MidpointRounding.AwayFromZero);
    }

    /// <summary>The broken-line function through the shape's points, scores scaled from 0..10 to 0..100.</summary>
    public static long Shape(IReadOnlyList<UtilizationShapePoint> shape, long utilization)
    {
        const long scale = Scores.MaxNodeScore / 10;
        for (var i = 0; i < shape.Count; i++)
        {
            if (utilization <= shape[i].Utilization)
            {
                if (i == 0)
                {
                    return shape[0].Score * scale;
                }

                long x0 = shape[i - 1].Utilization, y0 = shape[i - 1].Score * scale, x1 = shape[i].Utilization, y1 = shape[i].Score * scale;
                return y0 + ((y1 - y0) * (utilization - x0) / (x1 - x0));
            }
        }

        return shape[^1].Score * scale;
    }
}
