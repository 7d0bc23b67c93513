using k8s.Models;
using Kubesharp.Api.Resources;
using Kubesharp.ApiServer.Auth.Authorization;
using Kubesharp.ApiServer.Cache;
using Microsoft.Extensions.Logging;

namespace Kubesharp.ApiServer.Auth;

/// <summary>
/// The RBAC authorizer's view of Roles, ClusterRoles and their bindings, kept from the watch cache:
/// an immutable <see cref="RbacSnapshot"/> rebuilt whenever any of the four kinds changes (a burst of
/// changes is folded into one rebuild; unchanged objects are not decoded again). Like upstream's
/// informer-fed authorizer, a change is visible to authorization a moment after it is written.
/// </summary>
internal sealed partial class RbacSource(WatchCache cache, ResourceTable table, ILogger logger) : IAsyncDisposable
{
    private static readonly string[] Plurals = ["roles", "clusterroles", "rolebindings", "clusterrolebindings"];
    private readonly CancellationTokenSource _stop = new();
    private RbacSnapshot _current = RbacSnapshot.Empty;
    private Task? _loop;

    public RbacSnapshot Current => Volatile.Read(ref _current);

    /// <summary>Builds the first snapshot (so that the server never serves with an empty one), then follows changes.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var caches = await LoadAsync(cancellationToken);
        Rebuild(caches);
        _loop = Task.Run(() => RunAsync(_stop.Token), CancellationToken.None);
    }

    private async Task<ResourceCache[]> LoadAsync(CancellationToken cancellationToken)
    {
        var caches = new ResourceCache[Plurals.Length];
        for (var i = 0; i < Plurals.Length; i++)
        {
            var resource = table.Find("rbac.authorization.k8s.io", "v1", Plurals[i])!;
            caches[i] = await cache.GetAsync(resource.StoragePrefix, resource.FieldSelectors, cancellationToken);
        }

        return caches;
    }

    private long[] Rebuild(ResourceCache[] caches)
    {
        var cursors = new long[caches.Length];
        var items = new CachedObject[caches.Length][];
        for (var i = 0; i < caches.Length; i++)
        {
            (items[i], _, cursors[i]) = caches[i].SnapshotForWatch();
        }

        var snapshot = new RbacSnapshot(
            items[0].Select(CacheFollower.As<V1Role>),
            items[1].Select(CacheFollower.As<V1ClusterRole>),
            items[2].Select(CacheFollower.As<V1RoleBinding>),
            items[3].Select(CacheFollower.As<V1ClusterRoleBinding>));
        Volatile.Write(ref _current, snapshot);
        return cursors;
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var caches = await LoadAsync(cancellationToken);
                var cursors = Rebuild(caches);
                while (!caches.Any(c => c.Closed))
                {
                    await Task.WhenAny(caches.Select((c, i) => c.WaitAsync(cursors[i]))).WaitAsync(cancellationToken);
                    cursors = Rebuild(caches);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                Log.RebuildFailed(logger, e);
                await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            await _loop;
        }

        _stop.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "Rebuilding the RBAC snapshot failed; retrying")]
        public static partial void RebuildFailed(ILogger logger, Exception exception);
    }
}

/// <summary>Feeds the node authorizer's graph from the watch cache's pods and persistent volumes.</summary>
internal sealed class NodeGraphFeed(WatchCache cache, ResourceTable table, NodeGraph graph, ILogger logger) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var pods = table.Find("", "v1", "pods")!;
        var volumes = table.Find("", "v1", "persistentvolumes")!;
        var podFollower = new CacheFollower(cache, pods.StoragePrefix, pods.FieldSelectors, logger);
        var volumeFollower = new CacheFollower(cache, volumes.StoragePrefix, volumes.FieldSelectors, logger);
        var knownPods = new HashSet<(string, string)>();
        var knownVolumes = new HashSet<string>(StringComparer.Ordinal);
        void ResetPods(CachedObject[] items)
        {
            var now = items.Select(CacheFollower.Decode<V1Pod>).ToList();
            var live = now.Select(p => (p.Metadata.NamespaceProperty, p.Metadata.Name)).ToHashSet();
            foreach (var gone in knownPods.Where(k => !live.Contains(k)).ToList())
            {
                graph.DeletePod(gone.Item1, gone.Item2);
            }

            knownPods.Clear();
            foreach (var pod in now)
            {
                graph.AddOrUpdatePod(pod);
                knownPods.Add((pod.Metadata.NamespaceProperty, pod.Metadata.Name));
            }
        }

        void ApplyPods(IReadOnlyList<CacheEvent> events)
        {
            foreach (var e in events)
            {
                var pod = CacheFollower.Decode<V1Pod>(e.Object);
                if (e.IsDelete)
                {
                    graph.DeletePod(pod.Metadata.NamespaceProperty, pod.Metadata.Name);
                    knownPods.Remove((pod.Metadata.NamespaceProperty, pod.Metadata.Name));
                }
                else
                {
                    graph.AddOrUpdatePod(pod);
                    knownPods.Add((pod.Metadata.NamespaceProperty, pod.Metadata.Name));
                }
            }
        }

        void ResetVolumes(CachedObject[] items)
        {
            var now = items.Select(CacheFollower.As<V1PersistentVolume>).ToList();
            var live = now.Select(v => v.Metadata.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var gone in knownVolumes.Where(k => !live.Contains(k)).ToList())
            {
                graph.DeletePersistentVolume(gone);
            }

            knownVolumes.Clear();
            foreach (var volume in now)
            {
                graph.AddOrUpdatePersistentVolume(volume);
                knownVolumes.Add(volume.Metadata.Name);
            }
        }

        void ApplyVolumes(IReadOnlyList<CacheEvent> events)
        {
            foreach (var e in events)
            {
                var volume = CacheFollower.As<V1PersistentVolume>(e.Object);
                if (e.IsDelete)
                {
                    graph.DeletePersistentVolume(volume.Metadata.Name);
                    knownVolumes.Remove(volume.Metadata.Name);
                }
                else
                {
                    graph.AddOrUpdatePersistentVolume(volume);
                    knownVolumes.Add(volume.Metadata.Name);
                }
            }
        }

        // The first state is in the graph before the server serves; the loops then follow the changes.
        ResetPods(await podFollower.CurrentAsync(cancellationToken));
        ResetVolumes(await volumeFollower.CurrentAsync(cancellationToken));
        _loops.Add(Task.Run(() => podFollower.RunAsync(ResetPods, ApplyPods, _stop.Token), CancellationToken.None));
        _loops.Add(Task.Run(() => volumeFollower.RunAsync(ResetVolumes, ApplyVolumes, _stop.Token), CancellationToken.None));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_loops);
        _stop.Dispose();
    }
}
