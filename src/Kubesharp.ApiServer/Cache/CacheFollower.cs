using System.Runtime.CompilerServices;
using k8s;
using Microsoft.Extensions.Logging;

namespace Kubesharp.ApiServer.Cache;

/// <summary>
/// Follows one resource's watch cache from inside the API server, for the parts that keep their own
/// view of some objects (the RBAC authorizer's snapshot, the node authorizer's graph): first the
/// whole current state, then every change, in order. When the follower falls behind the cache's ring,
/// or the cache is rebuilt, it starts again from a whole state. Callbacks run on the follower's own
/// loop, one at a time; an exception in one is logged and the follower resynchronises from the state.
/// </summary>
internal sealed partial class CacheFollower(WatchCache cache, string prefix, IReadOnlyList<string> fieldSelectors, ILogger logger)
{
    private const int Batch = 512;

    // Typed views of cached objects, kept as long as the cached object lives: unchanged objects are decoded once.
    private static readonly ConditionalWeakTable<CachedObject, object> Typed = new();

    /// <summary>The object as a KubernetesClient model, decoded once per cached version.</summary>
    public static T As<T>(CachedObject obj)
        where T : class
    {
        if (Typed.TryGetValue(obj, out var known) && known is T typed)
        {
            return typed;
        }

        var decoded = KubernetesJson.Deserialize<T>(System.Text.Encoding.UTF8.GetString(obj.Json));
        Typed.AddOrUpdate(obj, decoded);
        return decoded;
    }

    /// <summary>The object as a KubernetesClient model, decoded afresh and not kept (for kinds with many objects, such as pods).</summary>
    public static T Decode<T>(CachedObject obj)
        where T : class =>
        KubernetesJson.Deserialize<T>(System.Text.Encoding.UTF8.GetString(obj.Json));

    /// <summary>The current state, once; for a caller that must have it before it serves.</summary>
    public async ValueTask<CachedObject[]> CurrentAsync(CancellationToken cancellationToken) =>
        (await cache.GetAsync(prefix, fieldSelectors, cancellationToken)).Snapshot().Items;

    /// <summary>Runs until cancelled: <paramref name="reset"/> with a whole state, then <paramref name="apply"/> with each batch of changes.</summary>
    public async Task RunAsync(Action<CachedObject[]> reset, Action<IReadOnlyList<CacheEvent>> apply, CancellationToken cancellationToken)
    {
        var events = new List<CacheEvent>(Batch);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var resource = await cache.GetAsync(prefix, fieldSelectors, cancellationToken);
                var (items, _, cursor) = resource.SnapshotForWatch();
                reset(items);
                while (!resource.Closed)
                {
                    await resource.WaitAsync(cursor).WaitAsync(cancellationToken);
                    events.Clear();
                    if (!resource.Read(ref cursor, events, Batch))
                    {
                        break;
                    }

                    if (events.Count > 0)
                    {
                        apply(events);
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                Log.FollowFailed(logger, e, prefix);
                await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "Following {Prefix} failed; starting again from the whole state")]
        public static partial void FollowFailed(ILogger logger, Exception exception, string prefix);
    }
}
