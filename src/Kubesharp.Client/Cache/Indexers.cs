using k8s;
using k8s.Models;

namespace Kubesharp.Client.Cache;

/// <summary>Standard index names and functions (client-go's <c>MetaNamespaceIndexFunc</c> and the usual controller indexes).</summary>
public static class Indexers
{
    /// <summary>Objects by <c>metadata.namespace</c> ("" for cluster-scoped objects); every informer has it.</summary>
    public const string Namespace = "namespace";

    /// <summary>Objects by the uid of their controller (the ownerReference with <c>controller: true</c>).</summary>
    public const string ControllerUid = "controller-uid";

    /// <summary>Pods by <c>spec.nodeName</c>; unscheduled pods are not indexed.</summary>
    public const string NodeName = "node-name";

    public static IEnumerable<string> ByNamespace(IKubernetesObject<V1ObjectMeta> obj) => [obj.Metadata?.NamespaceProperty ?? ""];

    public static IEnumerable<string> ByControllerUid(IKubernetesObject<V1ObjectMeta> obj)
    {
        if (obj.Metadata?.OwnerReferences is { } owners)
        {
            foreach (var owner in owners)
            {
                if (owner.Controller == true && !string.IsNullOrEmpty(owner.Uid))
                {
                    return [owner.Uid];
                }
            }
        }

        return [];
    }

    public static IEnumerable<string> ByNodeName(V1Pod pod) =>
        string.IsNullOrEmpty(pod.Spec?.NodeName) ? [] : [pod.Spec.NodeName];

    /// <summary>The controller-uid index, ready to register on an informer of <typeparamref name="T"/>.</summary>
    public static IReadOnlyDictionary<string, IndexFunc<T>> ControllerUidIndex<T>()
        where T : class, IKubernetesObject<V1ObjectMeta> =>
        new Dictionary<string, IndexFunc<T>> { [ControllerUid] = ByControllerUid };

    /// <summary>The node-name index, ready to register on a pod informer.</summary>
    public static IReadOnlyDictionary<string, IndexFunc<V1Pod>> NodeNameIndex() =>
        new Dictionary<string, IndexFunc<V1Pod>> { [NodeName] = ByNodeName };
}
