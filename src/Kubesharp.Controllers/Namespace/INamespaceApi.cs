using k8s;
using k8s.Models;
using Kubesharp.Controllers.Dynamic;

namespace Kubesharp.Controllers.Namespace;

/// <summary>
/// The typed calls of the namespace controller (the content itself goes through <see cref="IDynamicApi"/>).
/// Reads are live, as upstream's deleter reads them: several controllers edit a namespace while it terminates.
/// A namespace that is gone is a value (null); a lost compare-and-swap throws (409) and the caller reads again.
/// </summary>
public interface INamespaceApi
{
    Task<V1Namespace?> GetAsync(string name, CancellationToken cancellationToken);

    /// <summary>PUT <c>namespaces/NAME/status</c> at the namespace's resourceVersion.</summary>
    Task<V1Namespace> UpdateStatusAsync(V1Namespace ns, CancellationToken cancellationToken);

    /// <summary>PUT <c>namespaces/NAME/finalize</c>: sets <c>spec.finalizers</c>; null when the namespace is gone (including because this removed its last finalizer).</summary>
    Task<V1Namespace?> FinalizeAsync(V1Namespace ns, CancellationToken cancellationToken);

    /// <summary>The pods of the namespace (for the graceful termination estimate).</summary>
    Task<IReadOnlyList<V1Pod>> ListPodsAsync(string ns, CancellationToken cancellationToken);
}

/// <summary><see cref="INamespaceApi"/> over the API.</summary>
public sealed class KubernetesNamespaceApi(IKubernetes client) : INamespaceApi
{
    public async Task<V1Namespace?> GetAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            return await client.CoreV1.ReadNamespaceAsync(name, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (ApiErrors.IsNotFound(e))
        {
            return null;
        }
    }

    public Task<V1Namespace> UpdateStatusAsync(V1Namespace ns, CancellationToken cancellationToken) =>
        client.CoreV1.ReplaceNamespaceStatusAsync(ns, ns.Metadata.Name, cancellationToken: cancellationToken);

    public async Task<V1Namespace?> FinalizeAsync(V1Namespace ns, CancellationToken cancellationToken)
    {
        try
        {
            return await client.CoreV1.ReplaceNamespaceFinalizeAsync(ns, ns.Metadata.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (ApiErrors.IsNotFound(e))
        {
            return null;
        }
    }

    public async Task<IReadOnlyList<V1Pod>> ListPodsAsync(string ns, CancellationToken cancellationToken) =>
        [.. (await client.CoreV1.ListNamespacedPodAsync(ns, cancellationToken: cancellationToken).ConfigureAwait(false)).Items];
}
