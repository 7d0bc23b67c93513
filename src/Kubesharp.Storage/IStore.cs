namespace Kubesharp.Storage;

/// <summary>
/// The cluster's key-value store: every Kubernetes object lives here as JSON bytes under a key such
/// as <c>/registry/pods/default/web-1</c>. Only the API server uses it.
/// </summary>
/// <remarks>
/// <para><b>Revisions.</b> One global revision counter, shared by every key, strictly increasing. Each
/// successful create, update and delete (including a delete caused by a time-to-live running out)
/// takes exactly one new revision; reads never do. The revision is the resourceVersion clients see.
/// <see cref="KeyValue.CreateRevision"/> is the revision that created the live incarnation of a key;
/// <see cref="KeyValue.ModRevision"/> the revision of its last write.</para>
/// <para><b>Durability.</b> A write method returns only once the write is durable by the backend's
/// settings (see docs/adr/0002). A write that returns an error or throws was not applied, except for
/// <see cref="StoreErrorCode.Unavailable"/>, whose outcome is unknown (the connection broke while the
/// request was in flight); callers re-read before retrying.</para>
/// <para><b>Expected outcomes are values.</b> Losing a compare-and-swap (<see cref="WriteStatus.Conflict"/>),
/// creating a key that is live (<see cref="WriteStatus.AlreadyExists"/>) and touching an absent key
/// (<see cref="WriteStatus.NotFound"/>) are reported in the result, with the current value when there is
/// one, so that the caller can retry on fresh state without another read. Bad arguments
/// (<see cref="StoreErrorCode.InvalidArgument"/>), revisions older than the kept history
/// (<see cref="StoreErrorCode.Compacted"/>) and infrastructure faults (<see cref="StoreErrorCode.Unavailable"/>)
/// are thrown as <see cref="StoreException"/>.</para>
/// <para><b>Keys and values.</b> Keys start with <c>/registry/</c>, are at most
/// <see cref="StoreLimits.MaxKeyBytes"/> UTF-8 bytes, hold no control characters and no <c>.</c> or
/// <c>..</c> segment. Prefixes for list and watch follow the same rules and end with <c>/</c>. Values are
/// one JSON object of at most <see cref="StoreLimits.MaxValueBytes"/> bytes. The store keeps the bytes it
/// was given and returns them unchanged.</para>
/// <para><b>Thread safety.</b> Every member is safe to call concurrently. Writes to one key are
/// linearizable; the revision order is the commit order.</para>
/// </remarks>
public interface IStore : IAsyncDisposable
{
    /// <summary>The backend's name for logs and metrics: <c>sqlite</c>, <c>etcd</c> or <c>memory</c>.</summary>
    string Name { get; }

    /// <summary>
    /// Creates <paramref name="key"/>. Succeeds only if the key is not live (never written, or deleted);
    /// otherwise <see cref="WriteStatus.AlreadyExists"/> with the live value.
    /// </summary>
    /// <param name="ttl">When given (whole seconds, at least one), the key is deleted by the store once it
    /// has not been written for that long; the delete takes a revision and is seen by watchers.</param>
    ValueTask<WriteResult> CreateAsync(string key, ReadOnlyMemory<byte> value, TimeSpan? ttl = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reads <paramref name="key"/> as of <paramref name="revision"/> (0 = the current revision).
    /// Returns null when the key was not live at that revision. Throws Compacted when the revision is
    /// older than the kept history, InvalidArgument when it is negative or in the future.
    /// </summary>
    ValueTask<KeyValue?> GetAsync(string key, long revision = 0, CancellationToken cancellationToken = default);

    /// <summary>
    /// Lists the live keys under <paramref name="prefix"/> in key order, as of one revision: the given
    /// <paramref name="revision"/>, or the current one when 0, or the one carried by
    /// <paramref name="continueToken"/>. At most <paramref name="limit"/> items (0 = no limit); when more
    /// remain, <see cref="ListResult.Continue"/> resumes after the last item at the same revision.
    /// Throws InvalidArgument for a malformed or foreign token, Compacted when the token's revision has
    /// been compacted meanwhile.
    /// </summary>
    ValueTask<ListResult> ListAsync(string prefix, long limit = 0, string? continueToken = null, long revision = 0, CancellationToken cancellationToken = default);

    /// <summary>Counts the live keys under <paramref name="prefix"/> at the current revision.</summary>
    ValueTask<long> CountAsync(string prefix, CancellationToken cancellationToken = default);

    /// <summary>
    /// Replaces the value of a live key if its mod revision is still <paramref name="expectedModRevision"/>.
    /// Otherwise <see cref="WriteStatus.Conflict"/> with the current value, or
    /// <see cref="WriteStatus.NotFound"/> when the key is not live. <paramref name="ttl"/> as for create;
    /// null removes a time-to-live.
    /// </summary>
    ValueTask<WriteResult> UpdateAsync(string key, ReadOnlyMemory<byte> value, long expectedModRevision, TimeSpan? ttl = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes a live key, if its mod revision is still <paramref name="expectedModRevision"/> when one is
    /// given. The result carries the deletion's revision and the value that was deleted;
    /// <see cref="WriteStatus.NotFound"/> when the key is not live, <see cref="WriteStatus.Conflict"/>
    /// (with the current value) when the mod revision differs.
    /// </summary>
    ValueTask<WriteResult> DeleteAsync(string key, long? expectedModRevision = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Every change under <paramref name="prefix"/> with a revision strictly after
    /// <paramref name="afterRevision"/> (0 = from the first revision; to follow from now, pass
    /// <see cref="GetCurrentRevisionAsync"/> or the revision of a list), in revision order, each once,
    /// with the previous value; then every later change, for as long as the caller reads. Nothing is
    /// dropped for a slow reader: a watcher that falls behind catches up from history. Arguments are
    /// checked when this is called; Compacted (the start is older than the kept history) is thrown from
    /// the first <c>MoveNextAsync</c>. Ends when <paramref name="cancellationToken"/> is cancelled or the
    /// store is disposed; throws Unavailable if the backend cannot keep the stream going. A start after the
    /// current revision is InvalidArgument, thrown when called or (when the backend must be asked) from
    /// the first <c>MoveNextAsync</c>.
    /// </summary>
    IAsyncEnumerable<WatchEvent> WatchAsync(string prefix, long afterRevision, CancellationToken cancellationToken = default);

    /// <summary>The revision of the last write (0 for an empty, new store).</summary>
    ValueTask<long> GetCurrentRevisionAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Forgets history older than <paramref name="revision"/>: reads and watches from before it fail with
    /// Compacted. The current value of every live key is kept. Idempotent; compacting to a revision at or
    /// below the last compaction does nothing. Throws InvalidArgument for a future revision.
    /// </summary>
    ValueTask CompactAsync(long revision, CancellationToken cancellationToken = default);

    /// <summary>The revision of the last compaction (0 if none): the oldest revision that may be read.</summary>
    ValueTask<long> GetCompactedRevisionAsync(CancellationToken cancellationToken = default);
}
