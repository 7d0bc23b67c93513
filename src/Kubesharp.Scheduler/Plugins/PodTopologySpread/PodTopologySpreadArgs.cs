using System.Text.Json.Serialization;
using k8s.Models;
using Kubesharp.Api.Selectors;

namespace Kubesharp.Scheduler.Plugins.PodTopologySpread;

/// <summary>
/// Upstream's <c>PodTopologySpreadArgs</c>: the constraints applied to pods that declare none. With
/// <see cref="SystemDefaulting"/> (the default) they are upstream's built-in ones (<see cref="PodTopologySpread.SystemDefaultConstraints"/>),
/// with <see cref="ListDefaulting"/> the ones in <see cref="DefaultConstraints"/>. Property names are upstream's, so
/// the args read from a scheduler configuration with System.Text.Json's web defaults.
/// </summary>
public sealed record PodTopologySpreadArgs
{
    public const string SystemDefaulting = "System";
    public const string ListDefaulting = "List";

    /// <summary>Constraints without a <c>labelSelector</c>: the selector is deduced for each pod from the objects that select it.</summary>
    [JsonPropertyName("defaultConstraints")]
    public IReadOnlyList<V1TopologySpreadConstraint> DefaultConstraints { get; init; } = [];

    /// <summary><c>System</c> or <c>List</c>; empty means <c>System</c>, as upstream's v1 defaulting has it.</summary>
    [JsonPropertyName("defaultingType")]
    public string? DefaultingType { get; init; } = SystemDefaulting;

    internal string EffectiveDefaultingType => string.IsNullOrEmpty(DefaultingType) ? SystemDefaulting : DefaultingType;

    /// <summary>
    /// Upstream's <c>ValidatePodTopologySpreadArgs</c>: one <c>field path: message</c> per error, in upstream's order and
    /// words, with paths relative to the args. Empty when the args are valid.
    /// </summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        var type = EffectiveDefaultingType;
        if (type is not (SystemDefaulting or ListDefaulting))
        {
            errors.Add($"defaultingType: Unsupported value: {LabelKeys.Quote(type)}: supported values: \"System\", \"List\"");
        }
        else if (type == SystemDefaulting && DefaultConstraints.Count > 0)
        {
            errors.Add("defaultingType: Invalid value: \"System\": when .defaultConstraints are not empty");
        }

        for (var i = 0; i < DefaultConstraints.Count; i++)
        {
            var c = DefaultConstraints[i];
            var path = $"defaultConstraints[{i}]";
            if (c.MaxSkew <= 0)
            {
                errors.Add($"{path}.maxSkew: Invalid value: {c.MaxSkew}: not in valid range (0, inf)");
            }

            if (string.IsNullOrEmpty(c.TopologyKey))
            {
                errors.Add($"{path}.topologyKey: Required value: can not be empty");
            }
            else
            {
                foreach (var message in LabelKeys.Validate(c.TopologyKey))
                {
                    errors.Add($"{path}.topologyKey: Invalid value: {LabelKeys.Quote(c.TopologyKey)}: {message}");
                }
            }

            if (string.IsNullOrEmpty(c.WhenUnsatisfiable))
            {
                errors.Add($"{path}.whenUnsatisfiable: Required value: can not be empty");
            }
            else if (c.WhenUnsatisfiable is not (PodTopologySpread.DoNotSchedule or PodTopologySpread.ScheduleAnyway))
            {
                errors.Add($"{path}.whenUnsatisfiable: Unsupported value: {LabelKeys.Quote(c.WhenUnsatisfiable)}: supported values: \"DoNotSchedule\", \"ScheduleAnyway\"");
            }

            if (c.LabelSelector is not null)
            {
                errors.Add($"{path}.labelSelector: Forbidden: constraint must not define a selector, as they deduced for each pod");
            }

            for (var j = 0; j < i; j++)
            {
                var other = DefaultConstraints[j];
                if (other.TopologyKey == c.TopologyKey && other.WhenUnsatisfiable == c.WhenUnsatisfiable)
                {
                    errors.Add($"{path}: Duplicate value: {LabelKeys.Quote($"{{{c.TopologyKey}, {c.WhenUnsatisfiable}}}")}");
                    break;
                }
            }
        }

        return errors;
    }
}
