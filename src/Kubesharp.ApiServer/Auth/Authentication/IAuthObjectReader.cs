using k8s.Models;

namespace Kubesharp.ApiServer.Auth.Authentication;

/// <summary>
/// Reads the objects that token authenticators check a token against (the service account and the
/// pod or secret a token is bound to, bootstrap token secrets). Served from the API server's watch
/// cache; answers null when the object does not exist. Safe to call concurrently.
/// </summary>
public interface IAuthObjectReader
{
    ValueTask<V1Secret?> GetSecretAsync(string @namespace, string name, CancellationToken cancellationToken);

    ValueTask<V1ServiceAccount?> GetServiceAccountAsync(string @namespace, string name, CancellationToken cancellationToken);

    ValueTask<V1Pod?> GetPodAsync(string @namespace, string name, CancellationToken cancellationToken);

    ValueTask<V1Node?> GetNodeAsync(string name, CancellationToken cancellationToken);
}
