using System.Runtime.CompilerServices;

namespace Kubesharp.Storage.Watch;

/// <summary>The watch loop of the in-process stores: the ring first, durable history when behind.</summary>
internal static class HubWatcher
{
    private const int HistoryBatch = 1000;

    /// <summary>Starts a watch of the changes after <paramref name="afterRevision"/>.</summary>
    public static IAsyncEnumerable<WatchEvent> Watch(WatchHub hub, IHistorySource history, string prefix, long afterRevision, CancellationToken cancellationToken) =>
        WatchFromAsync(hub, history, prefix, afterRevision + 1, cancellationToken);

    private static async IAsyncEnumerable<WatchEvent> WatchFromAsync(
        WatchHub hub,
        IHistorySource history,
        string prefix,
        long next,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (true)
        {
            // etcd's rule: a watch may start at the compacted revision itself but not before it.
            if (next <= history.CompactedRevision)
            {
                throw StoreException.Compacted(next - 1, history.CompactedRevision);
            }

            var published = hub.Published;
            if (next > published)
            {
                if (hub.IsClosed)
                {
                    yield break;
                }

                await hub.WaitAsync(published, cancellationToken);
                continue;
            }

            if (hub.TryGet(next, out var e))
            {
                next++;
                if (e.Kv.Key.StartsWith(prefix, StringComparison.Ordinal))
                {
                    yield return e;
                }

                continue;
            }

            // Behind the ring: catch up from durable history in bounded batches.
            var batch = await history.ReadHistoryAsync(next, published, HistoryBatch, cancellationToken);
            if (batch.Count == 0)
            {
                throw new InvalidOperationException($"history has no event at revision {next} (published {published})");
            }

            foreach (var h in batch)
            {
                if (h.Revision != next)
                {
                    throw new InvalidOperationException($"history gap: expected revision {next}, got {h.Revision}");
                }

                next++;
                if (h.Kv.Key.StartsWith(prefix, StringComparison.Ordinal))
                {
                    yield return h;
                }
            }
        }
    }
}
