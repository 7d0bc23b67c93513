using k8s.Models;

namespace Kubesharp.Bench.Scheduler;

/// <summary>
/// What must hold once a workload is scheduled, read from the pods as the API lists them: every pod bound, no node
/// over what fits (<see cref="Templates.PodsPerNode"/>), and the workload's own rule (no two pods of an anti-affinity
/// group on one node; the blue pods' counts per zone within maxSkew). Each broken rule is one warning line.
/// </summary>
internal static class Checks
{
    public static List<string> Run(Workload workload, IReadOnlyCollection<V1Pod> pods)
    {
        var warnings = new List<string>();
        var unboundInitial = pods.Count(p => p.Metadata.Name.StartsWith(Workload.InitialPrefix, StringComparison.Ordinal) && string.IsNullOrEmpty(p.Spec.NodeName));
        var unboundMeasured = pods.Count(p => p.Metadata.Name.StartsWith(Workload.MeasuredPrefix, StringComparison.Ordinal) && string.IsNullOrEmpty(p.Spec.NodeName));
        var missing = workload.InitialPods + workload.MeasuredPods - pods.Count;
        if (unboundInitial + unboundMeasured + missing > 0)
        {
            warnings.Add($"{unboundMeasured} of {workload.MeasuredPods} measured and {unboundInitial} of {workload.InitialPods} initial pods unbound{(missing > 0 ? $", {missing} missing" : "")}");
        }

        var bound = pods.Where(p => !string.IsNullOrEmpty(p.Spec.NodeName)).ToList();
        var perNode = bound.GroupBy(p => p.Spec.NodeName, StringComparer.Ordinal).Select(g => (Node: g.Key, Count: g.Count())).ToList();
        var crowded = perNode.Where(n => n.Count > Templates.PodsPerNode).ToList();
        if (crowded.Count > 0)
        {
            warnings.Add($"{crowded.Count} nodes hold more pods than fit ({Templates.PodsPerNode} of 100m / 500Mi), e.g. {crowded[0].Node} with {crowded[0].Count}");
        }

        switch (workload.Kind)
        {
            case WorkloadKind.Spread:
                var zoneOf = Enumerable.Range(0, workload.Nodes).ToDictionary(Templates.NodeName, i => workload.Zone(i)!, StringComparer.Ordinal);
                var counts = Workload.Zones.ToDictionary(z => z, _ => 0, StringComparer.Ordinal);
                foreach (var pod in bound.Where(p => Group(p) == "blue"))
                {
                    counts[zoneOf[pod.Spec.NodeName]]++;
                }

                var skew = counts.Values.Max() - counts.Values.Min();
                if (skew > Templates.MaxSkew)
                {
                    warnings.Add($"topology spread broken: skew {skew} > maxSkew {Templates.MaxSkew} (blue pods per zone: {string.Join(", ", counts.Select(c => $"{c.Key}={c.Value}"))})");
                }

                break;
            case WorkloadKind.AntiAffinity:
                var doubled = bound
                    .GroupBy(p => (Group: Group(p), p.Spec.NodeName))
                    .Where(g => g.Count() > 1)
                    .ToList();
                if (doubled.Count > 0)
                {
                    warnings.Add($"required anti-affinity broken: {doubled.Count} (group, node) pairs hold more than one pod, {doubled.Sum(g => g.Count() - 1)} pods too many, e.g. {doubled[0].Key.Group} on {doubled[0].Key.NodeName} x{doubled[0].Count()}");
                }

                break;
            case WorkloadKind.Basic:
                break;
        }

        return warnings;
    }

    private static string? Group(V1Pod pod) => pod.Metadata.Labels is { } labels && labels.TryGetValue(Templates.GroupLabel, out var group) ? group : null;
}
