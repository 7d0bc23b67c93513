using k8s;
using k8s.Models;
using Kubesharp.Api.Selectors;

namespace Kubesharp.Client.Cache;

/// <summary>
/// Reads an informer's cache the way controllers do (client-go's generated listers): everything, one
/// namespace, or one object by key, optionally filtered by a label selector. Never calls the API.
/// Same contract as <see cref="IIndexReader{T}"/>: thread-safe, and the objects are shared, read-only.
/// </summary>
public sealed class Lister<T>(IIndexReader<T> indexer)
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    public IReadOnlyList<T> List(LabelSelector? selector = null) => Filter(indexer.List(), selector);

    /// <summary>Objects in <paramref name="ns"/> (through the namespace index).</summary>
    public IReadOnlyList<T> List(string ns, LabelSelector? selector = null) => Filter(indexer.ByIndex(Indexers.Namespace, ns), selector);

    /// <summary>The object under <c>namespace/name</c> (or <c>name</c> for cluster-scoped objects), or null.</summary>
    public T? Get(string key) => indexer.Get(key);

    public T? Get(string? ns, string name) => indexer.Get(ObjectKeys.For(ns, name));

    private static IReadOnlyList<T> Filter(IReadOnlyList<T> items, LabelSelector? selector)
    {
        if (selector is null || selector.IsEmpty)
        {
            return items;
        }

        var result = new List<T>();
        foreach (var item in items)
        {
            if (selector.Matches(LabelsOf(item)))
            {
                result.Add(item);
            }
        }

        return result;
    }

    private static readonly IReadOnlyDictionary<string, string> NoLabels = new Dictionary<string, string>();

    private static IReadOnlyDictionary<string, string> LabelsOf(T item) => item.Metadata?.Labels switch
    {
        null => NoLabels,
        IReadOnlyDictionary<string, string> readOnly => readOnly,
        var labels => new Dictionary<string, string>(labels),
    };
}
