using k8s.Models;

namespace Kubesharp.Controllers.Dynamic;

/// <summary>
/// The calls the controllers that work on every kind make (upstream's discovery and metadata clients). Objects
/// come back as <see cref="PartialObject"/> with apiVersion and kind set from the resource.
/// <para>
/// Contract: an object or collection that is not there is a value (null, false), never an exception. Any other
/// failure throws <see cref="Client.Cache.ApiStatusException"/> when the server answered with a Status (409 for a
/// lost precondition, 405 for a verb the resource does not serve, 403 when not allowed) and a transport exception
/// otherwise; callers let their work queue retry. Every call is safe to repeat. Thread-safe.
/// </para>
/// </summary>
public interface IDynamicApi
{
    /// <summary>Every resource of the preferred version of every group (<c>/api/v1</c> and <c>/apis</c>). A group that cannot be read is reported in <see cref="DiscoveryResult.FailedGroups"/>; throws only when nothing can be read.</summary>
    Task<DiscoveryResult> DiscoverAsync(CancellationToken cancellationToken);

    /// <summary>The objects of <paramref name="resource"/> in <paramref name="ns"/> (all namespaces when null); empty when the resource is gone.</summary>
    Task<IReadOnlyList<PartialObject>> ListAsync(ApiResource resource, string? ns, CancellationToken cancellationToken);

    /// <summary>The object, or null when it does not exist.</summary>
    Task<PartialObject?> GetAsync(ApiResource resource, string? ns, string name, CancellationToken cancellationToken);

    /// <summary>Deletes (or marks for deletion) the object; false when it was not there.</summary>
    Task<bool> DeleteAsync(ApiResource resource, string? ns, string name, V1DeleteOptions options, CancellationToken cancellationToken);

    /// <summary>DELETE on the collection of <paramref name="resource"/> in <paramref name="ns"/>.</summary>
    Task DeleteCollectionAsync(ApiResource resource, string ns, V1DeleteOptions options, CancellationToken cancellationToken);

    /// <summary>A JSON merge patch (RFC 7386); the patched object, or null when it does not exist. A <c>metadata.resourceVersion</c> in the patch is a precondition (409 when stale).</summary>
    Task<PartialObject?> MergePatchAsync(ApiResource resource, string? ns, string name, string patch, CancellationToken cancellationToken);
}
