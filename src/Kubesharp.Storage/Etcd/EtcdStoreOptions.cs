namespace Kubesharp.Storage.Etcd;

/// <summary>How <see cref="EtcdStore"/> reaches etcd.</summary>
/// <remarks>
/// The etcd members must accept requests somewhat larger than <see cref="StoreLimits.MaxValueBytes"/>
/// (start them with <c>--max-request-bytes 2097152</c> or more): etcd's default limit is the value limit
/// itself, so a value near the limit plus its key would be refused by etcd but accepted by the other
/// backends.
/// </remarks>
public sealed record EtcdStoreOptions
{
    /// <summary>
    /// Comma-separated client URLs of the etcd members, such as
    /// <c>http://127.0.0.1:2379,http://127.0.0.1:22379</c>. Requests are balanced over the members that
    /// answer; a member that is down is skipped.
    /// </summary>
    public required string Endpoints { get; init; }

    /// <summary>Deadline of one attempt of one request (never applied to watch streams).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a request, or a watch that lost its stream, keeps retrying while etcd cannot be reached
    /// before it fails with <see cref="StoreErrorCode.Unavailable"/>.
    /// </summary>
    public TimeSpan RetryTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Upstream's <c>--etcd-compaction-interval</c>: every interval the store compacts etcd to the revision it saw one
    /// interval before, so at least one interval of history stays for watches to resume from. Zero (the default of
    /// this record; the server sets upstream's 5 minutes) leaves compaction to someone else. Several API servers on
    /// one etcd each do it; a compaction to a revision already compacted is a no-op.
    /// </summary>
    public TimeSpan CompactionInterval { get; init; } = TimeSpan.Zero;
}
