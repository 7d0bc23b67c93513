using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Kubesharp.Client.LeaderElection;

/// <summary>
/// The three Lease calls leader election needs. Expected outcomes are values: a missing lease, a lost
/// create race and a lost compare-and-swap return null. Anything else (network, 5xx, 403) throws, and the
/// elector counts it as a failed attempt.
/// </summary>
public interface ILeaseClient
{
    /// <summary>The lease, or null when it does not exist.</summary>
    Task<V1Lease?> GetAsync(string ns, string name, CancellationToken cancellationToken);

    /// <summary>The created lease, or null when one of that name already exists.</summary>
    Task<V1Lease?> CreateAsync(V1Lease lease, CancellationToken cancellationToken);

    /// <summary>
    /// Replaces the lease if its resourceVersion is still <c>lease.Metadata.ResourceVersion</c>
    /// (compare-and-swap); the stored lease, or null when someone else wrote it first (409) or it is gone (404).
    /// </summary>
    Task<V1Lease?> ReplaceAsync(V1Lease lease, CancellationToken cancellationToken);
}

/// <summary><see cref="ILeaseClient"/> over the API (<c>coordination.k8s.io/v1</c>).</summary>
public sealed class KubernetesLeaseClient(IKubernetes client) : ILeaseClient
{
    public async Task<V1Lease?> GetAsync(string ns, string name, CancellationToken cancellationToken)
    {
        try
        {
            return await client.CoordinationV1.ReadNamespacedLeaseAsync(name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<V1Lease?> CreateAsync(V1Lease lease, CancellationToken cancellationToken)
    {
        try
        {
            return await client.CoordinationV1.CreateNamespacedLeaseAsync(lease, lease.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            return null;
        }
    }

    public async Task<V1Lease?> ReplaceAsync(V1Lease lease, CancellationToken cancellationToken)
    {
        try
        {
            return await client.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, lease.Metadata.Name, lease.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.NotFound)
        {
            return null;
        }
    }
}
