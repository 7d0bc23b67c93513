using System.Text.Json.Serialization;

namespace Kubesharp.Scheduler.Plugins.InterPodAffinity;

/// <summary>Upstream's InterPodAffinityArgs (kubescheduler.config.k8s.io/v1), with its defaults and JSON names.</summary>
public sealed record InterPodAffinityArgs
{
    public const int MinHardPodAffinityWeight = 0;
    public const int MaxHardPodAffinityWeight = 100;

    /// <summary>The score an existing pod's required affinity term gives the domains where the pod would satisfy it; 0 turns that off.</summary>
    [JsonPropertyName("hardPodAffinityWeight")]
    public int HardPodAffinityWeight { get; init; } = 1;

    /// <summary>
    /// A pod without preferred (anti-)affinity terms of its own is not scored at all, rather than scored by existing
    /// pods' terms (saves PreScore's walk over the pods on large clusters); a pod with some is scored as usual.
    /// </summary>
    [JsonPropertyName("ignorePreferredTermsOfExistingPods")]
    public bool IgnorePreferredTermsOfExistingPods { get; init; }

    /// <summary>Upstream's ValidateInterPodAffinityArgs: the errors, in field.Error's wording; empty when valid.</summary>
    public IReadOnlyList<string> Validate() =>
        HardPodAffinityWeight is < MinHardPodAffinityWeight or > MaxHardPodAffinityWeight
            ? [$"hardPodAffinityWeight: Invalid value: {HardPodAffinityWeight}: not in valid range [{MinHardPodAffinityWeight}, {MaxHardPodAffinityWeight}]"]
            : [];
}
