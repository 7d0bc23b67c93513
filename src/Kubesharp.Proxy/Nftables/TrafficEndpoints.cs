using Kubesharp.Proxy.Model;

namespace Kubesharp.Proxy.Nftables;

/// <summary>
/// The endpoint lists the nftables rules are written from, built on <see cref="EndpointSelection.Categorize"/> with the
/// two points where upstream's CategorizeEndpoints says more than the shared model:
/// <list type="bullet">
/// <item>upstream's <c>UsesClusterEndpoints</c> is <c>!internalLocal || ExternallyAccessible</c>: an externally
/// reachable port keeps its Cluster endpoints even under <c>internalTrafficPolicy: Local</c> (external Cluster policy
/// and the short-circuit rules of external Local policy jump to them);</item>
/// <item>upstream's <c>hasAnyEndpoints</c> counts only usable endpoints (ready, or serving and terminating): a Service
/// whose endpoints are all unready rejects like one with none.</item>
/// </list>
/// </summary>
internal readonly record struct TrafficEndpoints(
    IReadOnlyList<EndpointInfo> Cluster,
    IReadOnlyList<EndpointInfo> Local,
    IReadOnlyList<EndpointInfo> AllReachable,
    bool HasEndpoints)
{
    public static TrafficEndpoints Select(ServicePortInfo svc, IReadOnlyList<EndpointInfo> endpoints)
    {
        var r = EndpointSelection.Categorize(svc, endpoints);
        var cluster = r.ClusterEndpoints;
        if (cluster is null && svc.ExternallyAccessible)
        {
            cluster = EndpointSelection.Categorize(svc with { InternalPolicyLocal = false, ExternalPolicyLocal = false }, endpoints).ClusterEndpoints;
        }

        cluster ??= [];
        var local = r.LocalEndpoints ?? [];
        IReadOnlyList<EndpointInfo> all = cluster;
        if (local.Count > 0)
        {
            var merged = new List<EndpointInfo>(cluster);
            foreach (var e in local)
            {
                if (!merged.Contains(e))
                {
                    merged.Add(e);
                }
            }

            all = merged;
        }

        var hasEndpoints = endpoints.Any(e => e.Ready || (e.Serving && e.Terminating));
        return new TrafficEndpoints(cluster, local, all, hasEndpoints);
    }
}
