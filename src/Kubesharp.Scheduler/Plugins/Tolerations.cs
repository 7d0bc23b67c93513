using k8s.Models;

namespace Kubesharp.Scheduler.Plugins;

/// <summary>Upstream's toleration matching (v1.Toleration.ToleratesTaint).</summary>
public static class Tolerations
{
    public const string NoSchedule = "NoSchedule";
    public const string PreferNoSchedule = "PreferNoSchedule";
    public const string NoExecute = "NoExecute";

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

        return toleration.OperatorProperty switch
        {
            "Exists" => true,
            null or "" or "Equal" => (toleration.Value ?? "") == (taint.Value ?? ""),
            _ => false,
        };
    }

    public static bool AnyTolerates(IList<V1Toleration>? tolerations, V1Taint taint)
    {
        if (tolerations is null)
        {
            return false;
        }

        foreach (var t in tolerations)
        {
            if (Tolerates(t, taint))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The first taint with effect <paramref name="effectA"/> or <paramref name="effectB"/> that no toleration tolerates; null when all are tolerated.</summary>
    public static V1Taint? FirstUntolerated(IList<V1Taint>? taints, IList<V1Toleration>? tolerations, string effectA, string effectB)
    {
        if (taints is null)
        {
            return null;
        }

        foreach (var taint in taints)
        {
            if ((taint.Effect == effectA || taint.Effect == effectB) && !AnyTolerates(tolerations, taint))
            {
                return taint;
            }
        }

        return null;
    }
}
