using k8s;
using k8s.Models;
using Kubesharp.Client.Cache;

namespace Kubesharp.Controllers.Common;

/// <summary>
/// The indexes the workload controllers read dependents through: by controller UID (what an owner already
/// owns) and orphans by namespace (what it could adopt). Together they give exactly the candidates
/// upstream gets by listing every pod (or ReplicaSet) of the namespace and skipping those owned by others,
/// without walking the whole namespace on every sync.
/// </summary>
internal static class WorkloadIndexes
{
    /// <summary>Objects without a controller ownerReference, by namespace.</summary>
    public const string OrphanNamespace = "orphan-namespace";

    public static IEnumerable<string> ByOrphanNamespace(IKubernetesObject<V1ObjectMeta> obj) =>
        Objects.ControllerOf(obj) is null ? [obj.Metadata?.NamespaceProperty ?? ""] : [];

    /// <summary>
    /// Adds the controller-UID and orphan indexes to a shared informer unless another controller did already.
    /// Call before the informer factory starts.
    /// </summary>
    public static void Ensure<T>(SharedIndexInformer<T> informer)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var missing = new Dictionary<string, IndexFunc<T>>();
        if (!Has(informer.Indexer, Indexers.ControllerUid))
        {
            missing[Indexers.ControllerUid] = Indexers.ByControllerUid;
        }

        if (!Has(informer.Indexer, OrphanNamespace))
        {
            missing[OrphanNamespace] = ByOrphanNamespace;
        }

        if (missing.Count > 0)
        {
            informer.AddIndexers(missing);
        }
    }

    /// <summary>The indexes on a bare indexer (unit tests fill caches directly).</summary>
    public static Indexer<T> NewIndexer<T>()
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var indexer = new Indexer<T>();
        indexer.AddIndexers(new Dictionary<string, IndexFunc<T>> { [Indexers.ControllerUid] = Indexers.ByControllerUid, [OrphanNamespace] = ByOrphanNamespace });
        return indexer;
    }

    /// <summary>What <paramref name="ownerUid"/> owns, plus the orphans of <paramref name="ns"/>.</summary>
    public static List<T> OwnedAndOrphans<T>(IIndexReader<T> index, string ns, string ownerUid)
        where T : class
    {
        var result = new List<T>(index.ByIndex(Indexers.ControllerUid, ownerUid));
        result.AddRange(index.ByIndex(OrphanNamespace, ns));
        return result;
    }

    private static bool Has<T>(IIndexReader<T> index, string name)
        where T : class
    {
        try
        {
            index.IndexKeys(name, "");
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
