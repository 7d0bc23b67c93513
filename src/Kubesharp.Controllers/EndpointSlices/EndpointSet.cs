using k8s.Models;

namespace Kubesharp.Controllers.EndpointSlices;

/// <summary>
/// Desired endpoints keyed by <see cref="EndpointSliceParts.EndpointKey"/> (upstream's EndpointSet). Upstream
/// pops in map order, which is random; here endpoints come out in key order (target namespace/name first), so
/// the same inputs always give the same slices. Not thread-safe: one sync owns it.
/// </summary>
internal sealed class EndpointSet
{
    private readonly SortedDictionary<string, V1Endpoint> _endpoints = new(StringComparer.Ordinal);

    public int Count => _endpoints.Count;

    public void Insert(V1Endpoint endpoint) => _endpoints[EndpointSliceParts.EndpointKey(endpoint)] = endpoint;

    /// <summary>The desired endpoint the same as <paramref name="endpoint"/> by key, or null.</summary>
    public V1Endpoint? Get(V1Endpoint endpoint) => _endpoints.GetValueOrDefault(EndpointSliceParts.EndpointKey(endpoint));

    public void Delete(V1Endpoint endpoint) => _endpoints.Remove(EndpointSliceParts.EndpointKey(endpoint));

    /// <summary>Removes and returns the first endpoint in key order.</summary>
    /// <exception cref="InvalidOperationException">The set is empty.</exception>
    public V1Endpoint PopFirst()
    {
        var (key, endpoint) = _endpoints.First();
        _endpoints.Remove(key);
        return endpoint;
    }
}
