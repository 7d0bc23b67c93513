using k8s.Models;

namespace Kubesharp.Kubelet.Pods;

/// <summary>A pod's quality-of-service class by upstream's rules (<c>pkg/apis/core/v1/helper/qos</c>).</summary>
public static class QosClass
{
    private static readonly string[] Tracked = ["cpu", "memory"];

    public static string Of(V1Pod pod)
    {
        var containers = (pod.Spec.Containers ?? []).Concat(pod.Spec.InitContainers ?? []).ToList();
        var any = false;
        var guaranteed = true;
        foreach (var container in containers)
        {
            var requests = container.Resources?.Requests ?? new Dictionary<string, ResourceQuantity>();
            var limits = container.Resources?.Limits ?? new Dictionary<string, ResourceQuantity>();
            foreach (var name in Tracked)
            {
                var hasRequest = requests.TryGetValue(name, out var request) && !IsZero(request);
                var hasLimit = limits.TryGetValue(name, out var limit) && !IsZero(limit);
                any |= hasRequest || hasLimit;
                if (!hasLimit || (hasRequest && request!.ToDecimal() != limit!.ToDecimal()))
                {
                    guaranteed = false;
                }
            }
        }

        return !any ? "BestEffort" : guaranteed ? "Guaranteed" : "Burstable";
    }

    private static bool IsZero(ResourceQuantity q) => q.ToDecimal() == 0;
}
