using k8s;
using k8s.Models;

namespace Kubesharp.Controllers.EndpointSlices;

/// <summary>
/// The writes of the EndpointSlice controller. Every failure throws (the API's Status in the exception, read with
/// <see cref="Dynamic.ApiErrors"/>); the reconciler decides which ones it tolerates.
/// </summary>
public interface IEndpointSliceApi
{
    /// <summary>Creates the slice (named by the server from its generateName); returns it as stored.</summary>
    Task<V1EndpointSlice> CreateAsync(V1EndpointSlice slice, CancellationToken cancellationToken);

    /// <summary>Replaces the slice of that name; unconditional when it carries no resourceVersion.</summary>
    Task<V1EndpointSlice> UpdateAsync(V1EndpointSlice slice, CancellationToken cancellationToken);

    Task DeleteAsync(string ns, string name, CancellationToken cancellationToken);
}

/// <summary><see cref="IEndpointSliceApi"/> over the API.</summary>
public sealed class KubernetesEndpointSliceApi(IKubernetes client) : IEndpointSliceApi
{
    public Task<V1EndpointSlice> CreateAsync(V1EndpointSlice slice, CancellationToken cancellationToken) =>
        client.DiscoveryV1.CreateNamespacedEndpointSliceAsync(slice, slice.Metadata.NamespaceProperty, cancellationToken: cancellationToken);

    public Task<V1EndpointSlice> UpdateAsync(V1EndpointSlice slice, CancellationToken cancellationToken) =>
        client.DiscoveryV1.ReplaceNamespacedEndpointSliceAsync(slice, slice.Metadata.Name, slice.Metadata.NamespaceProperty, cancellationToken: cancellationToken);

    public Task DeleteAsync(string ns, string name, CancellationToken cancellationToken) =>
        client.DiscoveryV1.DeleteNamespacedEndpointSliceAsync(name, ns, cancellationToken: cancellationToken);
}
