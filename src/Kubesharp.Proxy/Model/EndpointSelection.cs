namespace Kubesharp.Proxy.Model;

/// <summary>
/// Upstream's <c>CategorizeEndpoints</c> (pkg/proxy/topology.go) without topology hints: which endpoints serve traffic
/// from inside the cluster and which serve external traffic under the Service's traffic policies.
/// </summary>
public static class EndpointSelection
{
    /// <summary>The endpoints a Service port routes to.</summary>
    /// <param name="ClusterEndpoints">For internal traffic with <c>internalTrafficPolicy: Cluster</c> (and external traffic with externalTrafficPolicy Cluster); null when the internal policy is Local and the port is not externally accessible.</param>
    /// <param name="LocalEndpoints">This node's usable endpoints; null when no traffic policy is Local.</param>
    /// <param name="AllReachable">Every endpoint some traffic on this node may reach (for conntrack cleanup and SEP chains).</param>
    /// <param name="HasAnyEndpoints">Whether the Service has a usable endpoint anywhere in the cluster (REJECT when not; DROP when only other nodes have one under a Local policy).</param>
    public sealed record Result(
        IReadOnlyList<EndpointInfo>? ClusterEndpoints,
        IReadOnlyList<EndpointInfo>? LocalEndpoints,
        IReadOnlyList<EndpointInfo> AllReachable,
        bool HasAnyEndpoints);

    public static Result Categorize(ServicePortInfo service, IReadOnlyList<EndpointInfo> endpoints)
    {
        // Upstream counts only usable endpoints (ready, or serving and terminating) anywhere in the cluster.
        var hasAny = endpoints.Any(static e => e.Ready || (e.Serving && e.Terminating));
        var useLocal = service.InternalPolicyLocal || (service.ExternalPolicyLocal && service.ExternallyAccessible);

        IReadOnlyList<EndpointInfo>? cluster = null;
        // Upstream's UsesClusterEndpoints: an externally accessible port needs them even with internalTrafficPolicy Local
        // (for external traffic under the Cluster policy, and for the short circuit of pod traffic under Local).
        if (!service.InternalPolicyLocal || service.ExternallyAccessible)
        {
            cluster = Usable(endpoints, static _ => true);
        }

        IReadOnlyList<EndpointInfo>? local = null;
        if (useLocal)
        {
            local = Usable(endpoints, static e => e.IsLocal);
        }

        if (cluster is null)
        {
            return new Result(null, local, local ?? [], hasAny);
        }

        if (local is null)
        {
            return new Result(cluster, null, cluster, hasAny);
        }

        var all = new List<EndpointInfo>(cluster);
        foreach (var e in local)
        {
            if (!all.Contains(e))
            {
                all.Add(e);
            }
        }

        return new Result(cluster, local, all, hasAny);
    }

    /// <summary>The ready endpoints that match; when none is ready, the serving-and-terminating ones (upstream's fallback).</summary>
    private static List<EndpointInfo> Usable(IReadOnlyList<EndpointInfo> endpoints, Func<EndpointInfo, bool> match)
    {
        var ready = new List<EndpointInfo>();
        foreach (var e in endpoints)
        {
            if (e.Ready && match(e))
            {
                ready.Add(e);
            }
        }

        if (ready.Count > 0)
        {
            return ready;
        }

        foreach (var e in endpoints)
        {
            if (e.Serving && e.Terminating && match(e))
            {
                ready.Add(e);
            }
        }

        return ready;
    }
}
