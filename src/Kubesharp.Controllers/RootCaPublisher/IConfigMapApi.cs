using k8s;
using k8s.Models;
using Kubesharp.Controllers.Dynamic;

namespace Kubesharp.Controllers.RootCaPublisher;

/// <summary>The writes of the root CA publisher (the ConfigMap's <c>metadata.namespace</c> names its namespace). Expected refusals are outcomes; other failures throw.</summary>
public interface IConfigMapApi
{
    Task<WriteOutcome> CreateAsync(V1ConfigMap configMap, CancellationToken cancellationToken);

    /// <summary>A replace at the map's resourceVersion (Conflict when it changed meanwhile).</summary>
    Task<WriteOutcome> UpdateAsync(V1ConfigMap configMap, CancellationToken cancellationToken);
}

/// <summary><see cref="IConfigMapApi"/> over the API.</summary>
public sealed class KubernetesConfigMapApi(IKubernetes client) : IConfigMapApi
{
    public Task<WriteOutcome> CreateAsync(V1ConfigMap configMap, CancellationToken cancellationToken) =>
        WriteOutcomes.OfAsync(() => client.CoreV1.CreateNamespacedConfigMapAsync(configMap, configMap.Metadata.NamespaceProperty, cancellationToken: cancellationToken));

    public Task<WriteOutcome> UpdateAsync(V1ConfigMap configMap, CancellationToken cancellationToken) =>
        WriteOutcomes.OfAsync(() => client.CoreV1.ReplaceNamespacedConfigMapAsync(configMap, configMap.Metadata.Name, configMap.Metadata.NamespaceProperty, cancellationToken: cancellationToken));
}
