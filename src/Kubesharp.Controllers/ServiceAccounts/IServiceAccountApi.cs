using k8s;
using k8s.Models;
using Kubesharp.Controllers.Dynamic;

namespace Kubesharp.Controllers.ServiceAccounts;

/// <summary>The one write of the service account controller: create an account (in <c>metadata.namespace</c>). Expected refusals are outcomes; other failures throw.</summary>
public interface IServiceAccountApi
{
    Task<WriteOutcome> CreateAsync(V1ServiceAccount account, CancellationToken cancellationToken);
}

/// <summary><see cref="IServiceAccountApi"/> over the API.</summary>
public sealed class KubernetesServiceAccountApi(IKubernetes client) : IServiceAccountApi
{
    public Task<WriteOutcome> CreateAsync(V1ServiceAccount account, CancellationToken cancellationToken) =>
        WriteOutcomes.OfAsync(() => client.CoreV1.CreateNamespacedServiceAccountAsync(account, account.Metadata.NamespaceProperty, cancellationToken: cancellationToken));
}
