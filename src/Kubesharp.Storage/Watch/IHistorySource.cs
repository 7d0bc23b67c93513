namespace Kubesharp.Storage.Watch;

/// <summary>The durable history behind a <see cref="WatchHub"/>, read when a watcher is behind the ring.</summary>
internal interface IHistorySource
{
    /// <summary>The oldest revision that can be read; history at or before it is gone.</summary>
    long CompactedRevision { get; }

    /// <summary>
    /// Every event with a revision in [<paramref name="from"/>, <paramref name="to"/>], in order, at most
    /// <paramref name="max"/> of them, with their previous values. Throws Compacted when
    /// <paramref name="from"/> is at or before <see cref="CompactedRevision"/>.
    /// </summary>
    ValueTask<IReadOnlyList<WatchEvent>> ReadHistoryAsync(long from, long to, int max, CancellationToken cancellationToken);
}
