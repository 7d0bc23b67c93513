using k8s;
using k8s.Models;

namespace Kubesharp.Client.Cache;

/// <summary>
/// Cache keys as client-go's <c>MetaNamespaceKeyFunc</c>: <c>namespace/name</c> for namespaced objects,
/// <c>name</c> for cluster-scoped ones. Keys are what work queues carry and what listers look up.
/// </summary>
public static class ObjectKeys
{
    public static string For(IKubernetesObject<V1ObjectMeta> obj) =>
        For(obj.Metadata?.NamespaceProperty, obj.Metadata?.Name ?? throw new ArgumentException("the object has no metadata.name", nameof(obj)));

    public static string For(string? ns, string name) => string.IsNullOrEmpty(ns) ? name : ns + "/" + name;

    /// <summary>Splits a key back into namespace (null for cluster-scoped) and name.</summary>
    public static (string? Namespace, string Name) Split(string key)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? (null, key) : (key[..slash], key[(slash + 1)..]);
    }
}
