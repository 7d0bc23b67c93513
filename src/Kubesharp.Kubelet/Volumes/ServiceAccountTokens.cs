using System.Collections.Concurrent;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Kubesharp.Kubelet.Env;

namespace Kubesharp.Kubelet.Volumes;

/// <summary>
/// Upstream's kubelet token manager (<c>pkg/kubelet/token/token_manager.go</c>): service account tokens for projected
/// volumes, obtained with TokenRequest and cached per (namespace, service account, audiences, expiration, bound pod).
/// A cached token is reused until 80% of its lifetime has passed or it is older than 24 h (each less a random jitter of
/// up to 10 s), then renewed; when the renewal fails, the old token is kept while it is still valid. Thread-safe.
/// </summary>
internal sealed class ServiceAccountTokens(IKubernetes client, TimeProvider time, Random random)
{
    private static readonly TimeSpan MaxTtl = TimeSpan.FromHours(24);
    private static readonly TimeSpan MaxJitter = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<string, Cached> _cache = new(StringComparer.Ordinal);
    private readonly Lock _randomLock = new();

    /// <summary>How many TokenRequests this manager sent (for tests and metrics).</summary>
    public int Requests => _requests;

    private int _requests;

    /// <summary>A token for <paramref name="serviceAccount"/> bound to the pod; throws <see cref="PayloadException"/> with upstream's message.</summary>
    public async Task<string> GetAsync(string ns, string serviceAccount, string? audience, long expirationSeconds, string podName, string podUid, CancellationToken cancellationToken)
    {
        var key = $"{ns}/{serviceAccount}/{audience}/{expirationSeconds}/{podName}/{podUid}";
        _cache.TryGetValue(key, out var cached);
        if (cached is not null && !RequiresRefresh(cached))
        {
            return cached.Token;
        }

        var request = new Authenticationv1TokenRequest
        {
            Spec = new V1TokenRequestSpec
            {
                Audiences = audience is { Length: > 0 } ? [audience] : [],
                ExpirationSeconds = expirationSeconds,
                BoundObjectRef = new V1BoundObjectReference { ApiVersion = "v1", Kind = "Pod", Name = podName, Uid = podUid },
            },
        };
        try
        {
            Interlocked.Increment(ref _requests);
            var response = await client.CoreV1.CreateNamespacedServiceAccountTokenAsync(request, serviceAccount, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
            var seconds = response.Spec?.ExpirationSeconds ?? expirationSeconds;
            var expires = response.Status.ExpirationTimestamp is { } at
                ? new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc))
                : time.GetUtcNow() + TimeSpan.FromSeconds(seconds);
            var fresh = new Cached(response.Status.Token, expires, TimeSpan.FromSeconds(seconds), podUid);
            _cache[key] = fresh;
            return fresh.Token;
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException)
        {
            var message = e is HttpOperationException op ? ApiObjectReader.StatusMessage(op) : e.Message;
            if (cached is null)
            {
                throw new PayloadException($"failed to fetch token: {message}");
            }

            if (time.GetUtcNow() > cached.Expires)
            {
                throw new PayloadException($"token {key} expired and refresh failed: {message}");
            }

            return cached.Token; // upstream keeps the old token while it is valid
        }
    }

    /// <summary>Drops the tokens bound to a pod (upstream deletes them when the pod's volumes are torn down).</summary>
    public void Forget(string podUid)
    {
        foreach (var (key, value) in _cache)
        {
            if (value.PodUid == podUid)
            {
                _cache.TryRemove(key, out _);
            }
        }
    }

    private bool RequiresRefresh(Cached cached)
    {
        var now = time.GetUtcNow();
        var issued = cached.Expires - cached.Lifetime;
        TimeSpan jitter;
        lock (_randomLock)
        {
            jitter = TimeSpan.FromSeconds(Math.Floor(random.NextDouble() * MaxJitter.TotalSeconds));
        }

        if (now > issued + MaxTtl - jitter)
        {
            return true;
        }

        // Within 20% of the lifetime (plus the jitter) of the expiry.
        return now > cached.Expires - TimeSpan.FromSeconds(Math.Floor(cached.Lifetime.TotalSeconds * 20 / 100)) - jitter;
    }

    private sealed record Cached(string Token, DateTimeOffset Expires, TimeSpan Lifetime, string PodUid);
}
