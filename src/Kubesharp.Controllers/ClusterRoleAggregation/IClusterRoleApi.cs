using k8s;
using k8s.Models;
using Kubesharp.Controllers.Dynamic;

namespace Kubesharp.Controllers.ClusterRoleAggregation;

/// <summary>The one write of the aggregation controller: replace a ClusterRole at its resourceVersion. Expected refusals are outcomes; other failures throw.</summary>
public interface IClusterRoleApi
{
    Task<WriteOutcome> UpdateAsync(V1ClusterRole role, CancellationToken cancellationToken);
}

/// <summary><see cref="IClusterRoleApi"/> over the API.</summary>
public sealed class KubernetesClusterRoleApi(IKubernetes client) : IClusterRoleApi
{
    public Task<WriteOutcome> UpdateAsync(V1ClusterRole role, CancellationToken cancellationToken) =>
        WriteOutcomes.OfAsync(() => client.RbacAuthorizationV1.ReplaceClusterRoleAsync(role, role.Metadata.Name, cancellationToken: cancellationToken));
}
