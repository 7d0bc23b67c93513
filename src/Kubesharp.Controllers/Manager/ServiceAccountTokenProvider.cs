using System.Net.Http.Headers;
using k8s;
using k8s.Authentication;
using k8s.Models;
using Kubesharp.Controllers.Dynamic;

namespace Kubesharp.Controllers.Manager;

/// <summary>
/// Bearer tokens of one service account, as upstream's SAControllerClientBuilder gets them: the account is
/// created in its namespace if missing (with the manager's own credentials, which may create service accounts
/// and request their tokens), then a token is requested through the TokenRequest API and reused until 80% of
/// its lifetime has passed. A failure throws to the request that needed the token; the next request tries again.
/// Thread-safe: one request for a token at a time.
/// </summary>
public sealed class ServiceAccountTokenProvider(IKubernetes manager, string ns, string name, TimeProvider time) : ITokenProvider, IDisposable
{
    /// <summary>Upstream asks for an hour.</summary>
    public const long ExpirationSeconds = 3600;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile Token? _token;

    public async Task<AuthenticationHeaderValue> GetAuthenticationHeaderAsync(CancellationToken cancellationToken)
    {
        if (_token is { } cached && time.GetUtcNow() < cached.RefreshAt)
        {
            return new AuthenticationHeaderValue("Bearer", cached.Value);
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_token is { } fresh && time.GetUtcNow() < fresh.RefreshAt)
            {
                return new AuthenticationHeaderValue("Bearer", fresh.Value);
            }

            var token = await RequestAsync(cancellationToken).ConfigureAwait(false);
            _token = token;
            return new AuthenticationHeaderValue("Bearer", token.Value);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<Token> RequestAsync(CancellationToken cancellationToken)
    {
        var request = new Authenticationv1TokenRequest { Spec = new V1TokenRequestSpec { ExpirationSeconds = ExpirationSeconds } };
        Authenticationv1TokenRequest answer;
        var issued = time.GetUtcNow();
        try
        {
            answer = await manager.CoreV1.CreateNamespacedServiceAccountTokenAsync(request, name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (ApiErrors.IsNotFound(e))
        {
            try
            {
                await manager.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns } }, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exists) when (ApiErrors.IsAlreadyExists(exists))
            {
            }

            answer = await manager.CoreV1.CreateNamespacedServiceAccountTokenAsync(request, name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        var expires = answer.Status?.ExpirationTimestamp is { } at
            ? new DateTimeOffset(at.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(at, DateTimeKind.Utc) : at.ToUniversalTime())
            : issued.AddSeconds(ExpirationSeconds);
        var lifetime = expires - issued;
        return new Token(answer.Status?.Token ?? throw new InvalidOperationException($"TokenRequest for {ns}/{name} returned no token"), issued + (lifetime * 0.8));
    }

    public void Dispose() => _gate.Dispose();

    private sealed record Token(string Value, DateTimeOffset RefreshAt);
}
