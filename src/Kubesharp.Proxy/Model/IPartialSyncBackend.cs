namespace Kubesharp.Proxy.Model;

/// <summary>
/// A proxy mode that can also write only what changed (upstream's partial sync; both modes here). The proxy decides
/// when a sync must be full (the first, after a failed apply, and periodically: see <c>KubeProxy</c>); the backend may
/// still make a requested partial sync full when it does not know what it applied last.
/// <para>
/// <see cref="Prepare"/> is pure with respect to the kernel: it reads the backend's record of its last successful
/// apply and the snapshot, and writes nothing. <see cref="ApplyAsync(ProxySync, CancellationToken)"/> applies a
/// prepared sync in one transaction; on success the sync's state becomes the backend's record, on failure the record
/// is forgotten, so the next sync is full. A partial sync must be applied on the record it was prepared on (prepare
/// and apply one at a time, from one loop, as the sync runner does); otherwise it throws
/// <see cref="InvalidOperationException"/>.
/// </para>
/// </summary>
public interface IPartialSyncBackend : IProxyBackend
{
    /// <summary>
    /// The transaction that brings the rules to <paramref name="snapshot"/>: a full sync when
    /// <paramref name="changedServices"/> is null or the backend has no record of its last apply, otherwise only the
    /// rules and elements of those Services (namespace, name), added, changed or deleted.
    /// </summary>
    ProxySync Prepare(ProxySnapshot snapshot, NodeProxyContext node, IReadOnlySet<(string Namespace, string Name)>? changedServices);

    /// <summary>Applies a prepared sync atomically; throws <see cref="ProxyApplyException"/> when the kernel refused it.</summary>
    Task ApplyAsync(ProxySync sync, CancellationToken cancellationToken);
}

/// <summary>A prepared sync: the input of one transaction and whether it rewrites everything.</summary>
public abstract class ProxySync
{
    /// <summary>The rule tool's input; empty for a partial sync with nothing to change (nothing is run).</summary>
    public abstract string Rules { get; }

    /// <summary>A full sync (everything flushed and refilled) rather than a partial one.</summary>
    public abstract bool Full { get; }
}
