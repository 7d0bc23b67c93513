namespace Kubesharp.Scheduler.Plugins.NodeResourcesFit;

/// <summary>A resource scoring counts, and its weight.</summary>
public sealed record ResourceSpec(string Name, long Weight);

/// <summary>A point of RequestedToCapacityRatio's shape: utilisation 0..100 maps to score 0..10.</summary>
public sealed record UtilizationShapePoint(int Utilization, int Score);

public enum ScoringStrategyType
{
    LeastAllocated,
    MostAllocated,
    RequestedToCapacityRatio,
}

/// <summary>Upstream's NodeResourcesFitArgs, with its defaults (LeastAllocated over cpu and memory, weight 1 each).</summary>
public sealed record NodeResourcesFitArgs
{
    public ScoringStrategyType Strategy { get; init; } = ScoringStrategyType.LeastAllocated;

    public IReadOnlyList<ResourceSpec> Resources { get; init; } = [new("cpu", 1), new("memory", 1)];

    public IReadOnlyList<UtilizationShapePoint> Shape { get; init; } = [new(0, 10), new(100, 0)];

    /// <summary>Resources the filter does not check.</summary>
    public IReadOnlySet<string> IgnoredResources { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Resource groups (the prefix before '/') the filter does not check.</summary>
    public IReadOnlySet<string> IgnoredResourceGroups { get; init; } = new HashSet<string>(StringComparer.Ordinal);
}
