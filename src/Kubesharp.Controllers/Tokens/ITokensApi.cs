using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Kubesharp.Controllers.Tokens;

/// <summary>How a write ended when it did not fail: done, lost to a concurrent change (409), or the object is gone (404).</summary>
internal enum WriteOutcome
{
    Done,
    Conflict,
    NotFound,
}

/// <summary>
/// The API calls of the tokens controller. Reads return null for 404; writes return a <see cref="WriteOutcome"/>
/// for 404 and 409; any other failure throws (the work queue retries the key with back-off).
/// </summary>
internal interface ITokensApi
{
    Task<V1ServiceAccount?> GetServiceAccountAsync(string ns, string name, CancellationToken cancellationToken);

    Task<V1Secret?> GetSecretAsync(string ns, string name, CancellationToken cancellationToken);

    Task<WriteOutcome> UpdateSecretAsync(V1Secret secret, CancellationToken cancellationToken);

    /// <summary>Deletes the secret if it still has <paramref name="uid"/> (a precondition; 409 when it has another).</summary>
    Task<WriteOutcome> DeleteSecretAsync(string ns, string name, string? uid, CancellationToken cancellationToken);

    Task<WriteOutcome> UpdateServiceAccountAsync(V1ServiceAccount account, CancellationToken cancellationToken);
}

internal sealed class KubernetesTokensApi(IKubernetes client) : ITokensApi
{
    public async Task<V1ServiceAccount?> GetServiceAccountAsync(string ns, string name, CancellationToken cancellationToken)
    {
        try
        {
            return await client.CoreV1.ReadNamespacedServiceAccountAsync(name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<V1Secret?> GetSecretAsync(string ns, string name, CancellationToken cancellationToken)
    {
        try
        {
            return await client.CoreV1.ReadNamespacedSecretAsync(name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public Task<WriteOutcome> UpdateSecretAsync(V1Secret secret, CancellationToken cancellationToken) =>
        WriteAsync(() => client.CoreV1.ReplaceNamespacedSecretAsync(secret, secret.Metadata.Name, secret.Metadata.NamespaceProperty, cancellationToken: cancellationToken));

    public Task<WriteOutcome> DeleteSecretAsync(string ns, string name, string? uid, CancellationToken cancellationToken)
    {
        var options = new V1DeleteOptions { Preconditions = string.IsNullOrEmpty(uid) ? null : new V1Preconditions { Uid = uid } };
        return WriteAsync(() => client.CoreV1.DeleteNamespacedSecretAsync(name, ns, options, cancellationToken: cancellationToken));
    }

    public Task<WriteOutcome> UpdateServiceAccountAsync(V1ServiceAccount account, CancellationToken cancellationToken) =>
        WriteAsync(() => client.CoreV1.ReplaceNamespacedServiceAccountAsync(account, account.Metadata.Name, account.Metadata.NamespaceProperty, cancellationToken: cancellationToken));

    private static async Task<WriteOutcome> WriteAsync<T>(Func<Task<T>> write)
    {
        try
        {
            await write().ConfigureAwait(false);
            return WriteOutcome.Done;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            return WriteOutcome.Conflict;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return WriteOutcome.NotFound;
        }
    }
}
