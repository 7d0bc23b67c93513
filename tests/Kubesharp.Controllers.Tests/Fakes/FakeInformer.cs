using k8s;
using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Controllers.Common;

namespace Kubesharp.Controllers.Tests.Fakes;

/// <summary>
/// A cache the test fills from a <see cref="FakeWorkloadClient"/> when it chooses (<see cref="Deliver"/>):
/// the differences since the last delivery go to the indexer and to the handlers as adds, updates and
/// deletes, in key order. So a test decides exactly what a controller has "observed".
/// </summary>
internal sealed class FakeInformer<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly List<IResourceEventHandler<T>> _handlers = [];

    public Indexer<T> Indexer { get; } = WorkloadIndexes.NewIndexer<T>();

    public void AddHandler(IResourceEventHandler<T> handler) => _handlers.Add(handler);

    /// <summary>Makes the cache equal to <paramref name="cluster"/>'s objects of this kind, notifying handlers of every difference.</summary>
    public void Deliver(FakeWorkloadClient cluster)
    {
        var current = cluster.List<T>().ToDictionary(ObjectKeys.For, StringComparer.Ordinal);
        foreach (var key in Indexer.ListKeys().Order(StringComparer.Ordinal).ToList())
        {
            if (!current.ContainsKey(key))
            {
                var gone = Indexer.Delete(key)!;
                _handlers.ForEach(h => h.OnDelete(gone, false));
            }
        }

        foreach (var (key, obj) in current.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var old = Indexer.Get(key);
            if (old is null)
            {
                Indexer.Upsert(obj);
                _handlers.ForEach(h => h.OnAdd(obj));
            }
            else if (old.Metadata.ResourceVersion != obj.Metadata.ResourceVersion)
            {
                Indexer.Upsert(obj);
                _handlers.ForEach(h => h.OnUpdate(old, obj));
            }
        }
    }
}
