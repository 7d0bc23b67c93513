using System.Collections.Concurrent;
using k8s;
using k8s.Models;

namespace Kubesharp.Kubelet.Server;

/// <summary>
/// Upstream's webhook authorizer as the kubelet uses it: a <c>SubjectAccessReview</c> posted to the API server for
/// the caller, the verb and <c>nodes/SUBRESOURCE</c> of this node. Decisions are cached per (user, groups, verb,
/// subresource): allowed ones for 5 minutes, denied ones for 30 seconds (upstream's
/// <c>--authorization-webhook-cache-authorized-ttl</c> and <c>-unauthorized-ttl</c> defaults). Failures to reach the API
/// server are thrown and not cached. Thread-safe.
/// </summary>
public sealed class SubjectAccessReviewAuthorizer(Func<V1SubjectAccessReview, CancellationToken, Task<V1SubjectAccessReview>> review, TimeProvider time) : IKubeletAuthorizer
{
    public static readonly TimeSpan AllowedTtl = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan DeniedTtl = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, (bool Allowed, DateTimeOffset Until)> _cache = new(StringComparer.Ordinal);

    /// <summary>The real one: reviews through <paramref name="client"/>.</summary>
    public SubjectAccessReviewAuthorizer(IKubernetes client, TimeProvider time)
        : this((body, ct) => client.AuthorizationV1.CreateSubjectAccessReviewAsync(body, cancellationToken: ct), time)
    {
    }

    public async ValueTask<bool> AuthorizeAsync(KubeletRequestAttributes attributes, CancellationToken cancellationToken)
    {
        var key = string.Join('\0', attributes.User.Name, string.Join(',', attributes.User.Groups), attributes.Verb, attributes.Subresource, attributes.NodeName);
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(key, out var cached) && cached.Until > now)
        {
            return cached.Allowed;
        }

        var result = await review(new V1SubjectAccessReview
        {
            ApiVersion = "authorization.k8s.io/v1",
            Kind = "SubjectAccessReview",
            Spec = new V1SubjectAccessReviewSpec
            {
                User = attributes.User.Name,
                Groups = [.. attributes.User.Groups],
                ResourceAttributes = new V1ResourceAttributes
                {
                    Verb = attributes.Verb,
                    Group = "",
                    Version = "v1",
                    Resource = "nodes",
                    Subresource = attributes.Subresource,
                    Name = attributes.NodeName,
                },
            },
        }, cancellationToken).ConfigureAwait(false);
        var allowed = result.Status?.Allowed == true;
        _cache[key] = (allowed, now + (allowed ? AllowedTtl : DeniedTtl));
        return allowed;
    }
}
