using System.Text.RegularExpressions;
using k8s.Models;
using Kubesharp.Scheduler.Plugins.NodeResourcesFit;

namespace Kubesharp.Scheduler.Configuration;

/// <summary>Upstream's ResourceSpec as written in args; a weight of 0 (or none) means 1, as upstream defaults it.</summary>
public sealed record ResourceSpecConfig(string Name = "", long Weight = 0);

public sealed record UtilizationShapePointConfig(int Utilization, int Score);

public sealed record RequestedToCapacityRatioConfig(IReadOnlyList<UtilizationShapePointConfig>? Shape = null);

public sealed record ScoringStrategyConfig(string Type = "LeastAllocated", IReadOnlyList<ResourceSpecConfig>? Resources = null, RequestedToCapacityRatioConfig? RequestedToCapacityRatio = null);

/// <summary>
/// NodeResourcesFitArgs as written in <c>pluginConfig</c> (upstream's v1 shape); <see cref="Validate"/> is upstream's
/// ValidateNodeResourcesFitArgs after defaulting, <see cref="ToArgs"/> the plugin's own record.
/// </summary>
public sealed partial record NodeResourcesFitConfig(IReadOnlyList<string>? IgnoredResources = null, IReadOnlyList<string>? IgnoredResourceGroups = null, ScoringStrategyConfig? ScoringStrategy = null)
{
    /// <summary>Upstream's MaxCustomPriorityScore: the top of a RequestedToCapacityRatio shape.</summary>
    public const int MaxShapeScore = 10;

    private static readonly string[] StrategyTypes = [nameof(ScoringStrategyType.LeastAllocated), nameof(ScoringStrategyType.MostAllocated), nameof(ScoringStrategyType.RequestedToCapacityRatio)];

    public IEnumerable<string> Validate()
    {
        for (var i = 0; i < (IgnoredResources?.Count ?? 0); i++)
        {
            foreach (var error in ValidateLabelName($"ignoredResources[{i}]", IgnoredResources![i]))
            {
                yield return error;
            }
        }

        for (var i = 0; i < (IgnoredResourceGroups?.Count ?? 0); i++)
        {
            var group = IgnoredResourceGroups![i];
            if (group.Contains('/', StringComparison.Ordinal))
            {
                yield return $"ignoredResourceGroups[{i}]: Invalid value: {FieldErrors.Quote(group)}: resource group name can't contain '/'";
            }

            foreach (var error in ValidateLabelName($"ignoredResourceGroups[{i}]", group))
            {
                yield return error;
            }
        }

        var strategy = ScoringStrategy ?? new();
        if (!StrategyTypes.Contains(strategy.Type, StringComparer.Ordinal))
        {
            yield return FieldErrors.NotSupported("scoringStrategy.type", strategy.Type, StrategyTypes);
        }

        var resources = Defaulted(strategy.Resources);
        for (var i = 0; i < resources.Count; i++)
        {
            if (resources[i].Weight is <= 0 or > 100)
            {
                yield return FieldErrors.Invalid($"scoringStrategy.resources[{i}].weight", resources[i].Weight, $"resource weight of {resources[i].Name} not in valid range (0, 100]");
            }
        }

        if (strategy.Type == nameof(ScoringStrategyType.RequestedToCapacityRatio))
        {
            if (strategy.RequestedToCapacityRatio is null)
            {
                yield return FieldErrors.Required("scoringStrategy.requestedToCapacityRatio", "must be specified when type is RequestedToCapacityRatio");
            }
            else
            {
                foreach (var error in ValidateShape("scoringStrategy.requestedToCapacityRatio.shape", strategy.RequestedToCapacityRatio.Shape))
                {
                    yield return error;
                }
            }
        }
        else if (strategy.RequestedToCapacityRatio is not null)
        {
            yield return FieldErrors.Forbidden("scoringStrategy.requestedToCapacityRatio", "must be nil when type is not RequestedToCapacityRatio");
        }
    }

    /// <summary>The plugin's args; call after <see cref="Validate"/> found nothing.</summary>
    public NodeResourcesFitArgs ToArgs()
    {
        var strategy = ScoringStrategy ?? new();
        var args = new NodeResourcesFitArgs
        {
            Strategy = Enum.Parse<ScoringStrategyType>(strategy.Type),
            Resources = [.. Defaulted(strategy.Resources).Select(r => new ResourceSpec(r.Name, r.Weight))],
            IgnoredResources = new HashSet<string>(IgnoredResources ?? [], StringComparer.Ordinal),
            IgnoredResourceGroups = new HashSet<string>(IgnoredResourceGroups ?? [], StringComparer.Ordinal),
        };
        return strategy.RequestedToCapacityRatio?.Shape is { Count: > 0 } shape
            ? args with { Shape = [.. shape.Select(p => new UtilizationShapePoint(p.Utilization, p.Score))] }
            : args;
    }

    /// <summary>Upstream's defaulting: no resources means cpu and memory; a weight of 0 means 1.</summary>
    internal static IReadOnlyList<ResourceSpecConfig> Defaulted(IReadOnlyList<ResourceSpecConfig>? resources) =>
        resources is null || resources.Count == 0
            ? [new("cpu", 1), new("memory", 1)]
            : [.. resources.Select(r => r.Weight == 0 ? r with { Weight = 1 } : r)];

    private static IEnumerable<string> ValidateShape(string path, IReadOnlyList<UtilizationShapePointConfig>? shape)
    {
        if (shape is null || shape.Count == 0)
        {
            yield return FieldErrors.Required(path, "at least one point must be specified");
            yield break;
        }

        for (var i = 1; i < shape.Count; i++)
        {
            if (shape[i - 1].Utilization >= shape[i].Utilization)
            {
                yield return FieldErrors.Invalid($"{path}[{i}].utilization", shape[i].Utilization, "values must be sorted in increasing order");
                break;
            }
        }

        for (var i = 0; i < shape.Count; i++)
        {
            if (shape[i].Utilization is < 0 or > 100)
            {
                yield return FieldErrors.Invalid($"{path}[{i}].utilization", shape[i].Utilization, "not in valid range [0, 100]");
            }

            if (shape[i].Score is < 0 or > MaxShapeScore)
            {
                yield return FieldErrors.Invalid($"{path}[{i}].score", shape[i].Score, $"not in valid range [0, {MaxShapeScore}]");
            }
        }
    }

    /// <summary>Upstream's ValidateLabelName: a qualified name (optional DNS prefix and '/', then up to 63 characters).</summary>
    private static IEnumerable<string> ValidateLabelName(string path, string name)
    {
        var slash = name.LastIndexOf('/');
        var prefix = slash < 0 ? null : name[..slash];
        var local = slash < 0 ? name : name[(slash + 1)..];
        if (local.Length == 0 || local.Length > 63 || !QualifiedName().IsMatch(local) || (prefix is not null && (prefix.Length == 0 || prefix.Length > 253 || !DnsSubdomain().IsMatch(prefix))))
        {
            yield return FieldErrors.Invalid(path, name, "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character, with an optional DNS subdomain prefix and '/'");
        }
    }

    [GeneratedRegex("^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")]
    private static partial Regex QualifiedName();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex DnsSubdomain();
}

/// <summary>NodeResourcesBalancedAllocationArgs as written: the resources balanced (cpu and memory by default), each of weight 1.</summary>
public sealed record NodeResourcesBalancedAllocationConfig(IReadOnlyList<ResourceSpecConfig>? Resources = null)
{
    /// <summary>Upstream's ValidateNodeResourcesBalancedAllocationArgs after defaulting.</summary>
    public IEnumerable<string> Validate()
    {
        var resources = NodeResourcesFitConfig.Defaulted(Resources);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < resources.Count; i++)
        {
            if (!seen.Add(resources[i].Name))
            {
                yield return FieldErrors.Duplicate($"resources[{i}].name", resources[i].Name);
            }

            if (resources[i].Weight != 1)
            {
                yield return FieldErrors.Invalid($"resources[{i}].weight", resources[i].Weight, "must be 1");
            }
        }
    }

    public IReadOnlyList<ResourceSpec> ToResources() => [.. NodeResourcesFitConfig.Defaulted(Resources).Select(r => new ResourceSpec(r.Name, r.Weight))];
}

/// <summary>NodeAffinityArgs: node affinity every pod of the profile must also match (and preferred terms it scores).</summary>
public sealed record NodeAffinityArgs(V1NodeAffinity? AddedAffinity = null)
{
    private static readonly string[] Operators = ["DoesNotExist", "Exists", "Gt", "In", "Lt", "NotIn"];

    /// <summary>The operators of the added terms (upstream parses them with nodeaffinity.NewNodeSelector).</summary>
    public IEnumerable<string> Validate()
    {
        var required = AddedAffinity?.RequiredDuringSchedulingIgnoredDuringExecution?.NodeSelectorTerms ?? [];
        for (var i = 0; i < required.Count; i++)
        {
            foreach (var error in ValidateTerm($"addedAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[{i}]", required[i]))
            {
                yield return error;
            }
        }

        var preferred = AddedAffinity?.PreferredDuringSchedulingIgnoredDuringExecution ?? [];
        for (var i = 0; i < preferred.Count; i++)
        {
            foreach (var error in ValidateTerm($"addedAffinity.preferredDuringSchedulingIgnoredDuringExecution[{i}].preference", preferred[i].Preference))
            {
                yield return error;
            }
        }
    }

    private static IEnumerable<string> ValidateTerm(string path, V1NodeSelectorTerm? term)
    {
        foreach (var (list, name) in new[] { (term?.MatchExpressions, "matchExpressions"), (term?.MatchFields, "matchFields") })
        {
            for (var i = 0; i < (list?.Count ?? 0); i++)
            {
                var op = list![i].OperatorProperty ?? "";
                if (!Operators.Contains(op, StringComparer.Ordinal))
                {
                    yield return FieldErrors.NotSupported($"{path}.{name}[{i}].operator", op, Operators);
                }
            }
        }
    }
}
