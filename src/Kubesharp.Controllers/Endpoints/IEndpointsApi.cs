using k8s;
using k8s.Models;

namespace Kubesharp.Controllers.Endpoints;

/// <summary>
/// The writes of the endpoints controller. Every failure throws (the API's Status in the exception, read with
/// <see cref="Dynamic.ApiErrors"/>); the controller decides which ones end the sync quietly.
/// </summary>
public interface IEndpointsApi
{
    Task<V1Endpoints> CreateAsync(V1Endpoints endpoints, CancellationToken cancellationToken);

    /// <summary>A replace of the whole object, conditional on its resourceVersion when it carries one.</summary>
    Task<V1Endpoints> UpdateAsync(V1Endpoints endpoints, CancellationToken cancellationToken);

    Task DeleteAsync(string ns, string name, CancellationToken cancellationToken);
}

/// <summary><see cref="IEndpointsApi"/> over the API.</summary>
public sealed class KubernetesEndpointsApi(IKubernetes client) : IEndpointsApi
{
    public Task<V1Endpoints> CreateAsync(V1Endpoints endpoints, CancellationToken cancellationToken) =>
        client.CoreV1.CreateNamespacedEndpointsAsync(endpoints, endpoints.Metadata.NamespaceProperty, cancellationToken: cancellationToken);

    public Task<V1Endpoints> UpdateAsync(V1Endpoints endpoints, CancellationToken cancellationToken) =>
        client.CoreV1.ReplaceNamespacedEndpointsAsync(endpoints, endpoints.Metadata.Name, endpoints.Metadata.NamespaceProperty, cancellationToken: cancellationToken);

    public Task DeleteAsync(string ns, string name, CancellationToken cancellationToken) =>
        client.CoreV1.DeleteNamespacedEndpointsAsync(name, ns, cancellationToken: cancellationToken);
}
