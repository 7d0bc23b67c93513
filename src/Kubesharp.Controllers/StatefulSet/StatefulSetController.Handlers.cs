using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Controllers.Common;

namespace Kubesharp.Controllers.StatefulSet;

/// <summary>The informer handlers: which sets to sync for each set and pod change (upstream's addPod, updatePod, deletePod).</summary>
internal sealed partial class StatefulSetController
{
    internal void OnPodAdded(V1Pod pod) => PodEvents.OnAdded(pod);

    internal void OnPodUpdated(V1Pod old, V1Pod cur) => PodEvents.OnUpdated(old, cur);

    internal void OnPodDeleted(V1Pod pod) => PodEvents.OnDeleted(pod);

    /// <summary>Registers the handlers through the given adders (the informers' <c>AddEventHandler</c>, or a test's fake caches).</summary>
    internal void Register(Action<IResourceEventHandler<V1StatefulSet>> sets, Action<IResourceEventHandler<V1Pod>> pods)
    {
        sets(new ResourceEventHandlerFuncs<V1StatefulSet>
        {
            AddFunc = Enqueue,
            UpdateFunc = (_, cur) => Enqueue(cur),
            DeleteFunc = (set, _) => Enqueue(set),
        });
        pods(new ResourceEventHandlerFuncs<V1Pod>
        {
            AddFunc = OnPodAdded,
            UpdateFunc = OnPodUpdated,
            DeleteFunc = (pod, _) => OnPodDeleted(pod),
        });
    }

    private V1StatefulSet? Resolve(string ns, V1OwnerReference controllerRef) => PodEvents.Resolve(ns, controllerRef);

    /// <summary>Upstream's <c>getStatefulSetsForPod</c>: sets of the pod's namespace whose non-empty selector matches it.</summary>
    private IEnumerable<V1StatefulSet> SetsSelecting(V1Pod pod)
    {
        if (pod.Metadata.Labels is not { Count: > 0 })
        {
            yield break;
        }

        var labels = Objects.Labels(pod);
        foreach (var set in _sets.ByIndex(Indexers.Namespace, pod.Metadata.NamespaceProperty ?? ""))
        {
            if (SelectorOf(set) is { IsEmpty: false } selector && selector.Matches(labels))
            {
                yield return set;
            }
        }
    }
}
