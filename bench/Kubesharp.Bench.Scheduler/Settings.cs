using System.Globalization;

namespace Kubesharp.Bench.Scheduler;

/// <summary>
/// The counts, from environment variables so that <c>NODES=500 PODS=1000 make bench-scheduler</c> scales a run down:
/// NODES (basic workload, 5,000), FEATURE_NODES (spread and anti-affinity, 1,000 but at most NODES), INIT_PODS
/// (1,000), PODS (measured per workload, and bound directly for the ceiling; 10,000), WORKLOADS (a comma list of
/// basic, spread, antiaffinity; all), STALL_SECONDS (give up waiting for bindings after this long without one; 30).
/// </summary>
internal sealed record Settings(int Nodes, int FeatureNodes, int InitialPods, int Pods, IReadOnlySet<string> Workloads, TimeSpan Stall)
{
    public static Settings FromEnvironment()
    {
        var nodes = Int("NODES", 5000);
        var workloads = (Environment.GetEnvironmentVariable("WORKLOADS") is { Length: > 0 } list ? list : "basic,spread,antiaffinity")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        var unknown = workloads.Except(["basic", "spread", "antiaffinity"], StringComparer.OrdinalIgnoreCase).ToList();
        if (unknown.Count > 0)
        {
            throw new ArgumentException($"WORKLOADS: unknown {string.Join(", ", unknown)} (basic, spread, antiaffinity)");
        }

        return new Settings(nodes, Int("FEATURE_NODES", Math.Min(1000, nodes)), Int("INIT_PODS", 1000), Int("PODS", 10_000), workloads, TimeSpan.FromSeconds(Int("STALL_SECONDS", 30)));
    }

    public IEnumerable<Workload> Selected()
    {
        if (Workloads.Contains("basic"))
        {
            yield return new Workload("basic", WorkloadKind.Basic, Nodes, InitialPods, Pods);
        }

        if (Workloads.Contains("spread"))
        {
            yield return new Workload("spread", WorkloadKind.Spread, FeatureNodes, InitialPods, Pods);
        }

        if (Workloads.Contains("antiaffinity"))
        {
            yield return new Workload("antiaffinity", WorkloadKind.AntiAffinity, FeatureNodes, InitialPods, Pods);
        }
    }

    private static int Int(string name, int fallback)
    {
        var value = Environment.GetEnvironmentVariable(name);
        if (string.IsNullOrEmpty(value))
        {
            return fallback;
        }

        return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed > 0
            ? parsed
            : throw new ArgumentException($"{name}={value}: expected a positive whole number");
    }
}
