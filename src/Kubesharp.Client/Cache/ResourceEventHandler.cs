namespace Kubesharp.Client.Cache;

/// <summary>
/// Receives an informer's notifications (client-go's <c>ResourceEventHandler</c>).
/// <para>
/// Contract: each handler gets its notifications one at a time, in the order the informer applied them
/// to its cache, on a task of its own (never on the watch's thread, and never concurrently with itself).
/// A handler that throws has the exception logged and counted, and keeps receiving later notifications.
/// Objects are the cache's shared instances: read-only. Handlers should be quick (typically: enqueue a
/// key) since a slow handler delays only itself, but its backlog grows without bound (see docs/flows/client.md).
/// </para>
/// </summary>
public interface IResourceEventHandler<in T>
{
    /// <summary>An object appeared: listed, created, or already in the cache when this handler was added.</summary>
    void OnAdd(T obj);

    /// <summary>
    /// An object changed; also delivered on a relist for every object still present and on every periodic
    /// resync with <paramref name="oldObj"/> == <paramref name="newObj"/> (compare resourceVersions to tell).
    /// </summary>
    void OnUpdate(T oldObj, T newObj);

    /// <summary>
    /// An object was deleted. <paramref name="finalStateUnknown"/> is client-go's
    /// <c>DeletedFinalStateUnknown</c> tombstone: the deletion was inferred from a relist that no longer had
    /// the object, the watch event was missed, and <paramref name="obj"/> is the last state the cache knew.
    /// </summary>
    void OnDelete(T obj, bool finalStateUnknown);
}

/// <summary>An <see cref="IResourceEventHandler{T}"/> from delegates; a missing delegate ignores that notification.</summary>
public sealed class ResourceEventHandlerFuncs<T> : IResourceEventHandler<T>
{
    public Action<T>? AddFunc { get; init; }

    public Action<T, T>? UpdateFunc { get; init; }

    public Action<T, bool>? DeleteFunc { get; init; }

    void IResourceEventHandler<T>.OnAdd(T obj) => AddFunc?.Invoke(obj);

    void IResourceEventHandler<T>.OnUpdate(T oldObj, T newObj) => UpdateFunc?.Invoke(oldObj, newObj);

    void IResourceEventHandler<T>.OnDelete(T obj, bool finalStateUnknown) => DeleteFunc?.Invoke(obj, finalStateUnknown);
}

/// <summary>One handler's registration on an informer.</summary>
public interface IHandlerRegistration
{
    /// <summary>True once this handler has been handed every object of the informer's first list (or, for a handler added later, every object in the cache when it was added).</summary>
    bool HasSynced { get; }

    /// <summary>Notifications queued for this handler and not yet handled.</summary>
    long Pending { get; }

    /// <summary>Exceptions its handler threw.</summary>
    long Failures { get; }
}
