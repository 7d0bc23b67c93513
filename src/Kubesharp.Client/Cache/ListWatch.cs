using k8s;
using k8s.Models;

namespace Kubesharp.Client.Cache;

/// <summary>One consistent list: the items and the resourceVersion the list was read at.</summary>
public sealed record ListResult<T>(IReadOnlyList<T> Items, string ResourceVersion);

/// <summary>
/// What a watch is asked for: events after <see cref="ResourceVersion"/>, BOOKMARK events when
/// <see cref="AllowBookmarks"/>, and a server-side end after <see cref="Timeout"/> (then the stream just ends).
/// </summary>
public sealed record WatchRequest(string ResourceVersion, bool AllowBookmarks, TimeSpan? Timeout);

/// <summary>
/// One line of a watch stream. <see cref="Object"/> is set for ADDED, MODIFIED, DELETED and BOOKMARK
/// (a bookmark's object carries only <c>metadata.resourceVersion</c>); <see cref="Status"/> is set for ERROR.
/// </summary>
public sealed record WatchEvent<T>(WatchEventType Type, T? Item, V1Status? Status = null)
    where T : class;

/// <summary>
/// The two calls a <see cref="Reflector{T}"/> needs, for one resource type, scope and selector set
/// (client-go's <c>ListerWatcher</c>).
/// <para>
/// Contract of <see cref="ListAsync"/>: a consistent list of every matching object (all pages), with
/// the collection's resourceVersion; throws on failure (an <see cref="ApiStatusException"/> when the
/// server answered with a Status). Contract of <see cref="WatchAsync"/>: the events after the requested
/// version, in order, ending when the server ends the stream; a server that refuses the watch (for
/// example 410 Gone for a version that was compacted away) throws <see cref="ApiStatusException"/>
/// before the first event; an ERROR line in the stream is yielded as an event. Transport failures throw.
/// Both are safe to call again after any failure.
/// </para>
/// </summary>
public sealed class ListWatch<T>(
    Func<CancellationToken, Task<ListResult<T>>> list,
    Func<WatchRequest, CancellationToken, IAsyncEnumerable<WatchEvent<T>>> watch)
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    public Task<ListResult<T>> ListAsync(CancellationToken cancellationToken) => list(cancellationToken);

    public IAsyncEnumerable<WatchEvent<T>> WatchAsync(WatchRequest request, CancellationToken cancellationToken) => watch(request, cancellationToken);
}

/// <summary>
/// Builds the <see cref="ListWatch{T}"/> for a resource type, a namespace (null for all namespaces or a
/// cluster-scoped type) and label and field selectors (null for none). The shared informer factory
/// asks it once per distinct (type, namespace, selectors).
/// </summary>
public interface IListWatchFactory
{
    ListWatch<T> Create<T>(string? ns, string? labelSelector, string? fieldSelector)
        where T : class, IKubernetesObject<V1ObjectMeta>;
}
