using k8s.Models;

namespace Kubesharp.Controllers.NodeLifecycle;

/// <summary>Upstream's toleration matching (<c>v1.Toleration.ToleratesTaint</c>, <c>v1helper.GetMatchingTolerations</c>).</summary>
internal static class Tolerations
{
    public static bool Tolerates(V1Toleration toleration, V1Taint taint)
    {
        if (!string.IsNullOrEmpty(toleration.Effect) && toleration.Effect != taint.Effect)
        {
            return false;
        }

        if (!string.IsNullOrEmpty(toleration.Key) && toleration.Key != taint.Key)
        {
            return false;
        }

        // An empty operator means Equal; an unknown one tolerates nothing.
        return toleration.OperatorProperty switch
        {
            null or "" or "Equal" => (toleration.Value ?? "") == (taint.Value ?? ""),
            "Exists" => true,
            _ => false,
        };
    }

    /// <summary>
    /// For each taint, the first toleration that tolerates it; null when some taint is not tolerated at all.
    /// </summary>
    public static List<(V1Taint Taint, V1Toleration Toleration)>? Match(IReadOnlyList<V1Taint> taints, IList<V1Toleration>? tolerations)
    {
        var result = new List<(V1Taint, V1Toleration)>(taints.Count);
        foreach (var taint in taints)
        {
            var match = tolerations?.FirstOrDefault(t => Tolerates(t, taint));
            if (match is null)
            {
                return null;
            }

            result.Add((taint, match));
        }

        return result;
    }

    /// <summary>How long a toleration lets the pod stay: null for ever; zero or less counts as zero (upstream's getMinTolerationTime).</summary>
    public static TimeSpan? Allowance(V1Toleration toleration) =>
        toleration.TolerationSeconds is { } seconds ? TimeSpan.FromSeconds(Math.Max(0, seconds)) : null;
}
