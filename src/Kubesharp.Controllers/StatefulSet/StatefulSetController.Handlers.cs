using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Controllers.Common;

namespace Kubesharp.Controllers.StatefulSet;

/// <summary>The informer handlers: which sets to sync for each set and pod change (upstream's addPod, updatePod, deletePod).</summary>
internal sealed partial class StatefulSetController
{
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

    internal void OnPodAdded(V1Pod pod)
    {
        if (pod.Metadata.DeletionTimestamp is not null)
        {
            OnPodDeleted(pod);
            return;
        }

        if (Objects.ControllerOf(pod) is { } controllerRef)
        {
            if (Resolve(pod.Metadata.NamespaceProperty, controllerRef) is { } set)
            {
                Enqueue(set);
            }

            return;
        }

        foreach (var set in SetsSelecting(pod))
        {
            Enqueue(set);
        }
    }

    internal void OnPodUpdated(V1Pod old, V1Pod cur)
    {
        if (old.Metadata.ResourceVersion == cur.Metadata.ResourceVersion)
        {
            return;
        }

        var curRef = Objects.ControllerOf(cur);
        var oldRef = Objects.ControllerOf(old);
        var refChanged = !Objects.SameOwnerReference(curRef, oldRef);
        if (refChanged && oldRef is not null && Resolve(old.Metadata.NamespaceProperty, oldRef) is { } previous)
        {
            Enqueue(previous);
        }

        if (curRef is not null)
        {
            if (Resolve(cur.Metadata.NamespaceProperty, curRef) is not { } set)
            {
                return;
            }

            Enqueue(set);
            var minReady = set.Spec?.MinReadySeconds ?? 0;
            if (!Pods.IsReady(old) && Pods.IsReady(cur) && minReady > 0)
            {
                // Available minReadySeconds after ready, with no event to say so.
                Queue.AddAfter(ObjectKeys.For(set), TimeSpan.FromSeconds(minReady));
            }

            return;
        }

        if (!Objects.SameLabels(old.Metadata.Labels, cur.Metadata.Labels) || refChanged)
        {
            foreach (var set in SetsSelecting(cur))
            {
                Enqueue(set);
            }
        }
    }

    internal void OnPodDeleted(V1Pod pod)
    {
        if (Objects.ControllerOf(pod) is { } controllerRef && Resolve(pod.Metadata.NamespaceProperty, controllerRef) is { } set)
        {
            Enqueue(set);
        }
    }

    private V1StatefulSet? Resolve(string ns, V1OwnerReference controllerRef)
    {
        if (controllerRef.Kind != Kind)
        {
            return null;
        }

        var set = _sets.Get(ObjectKeys.For(ns, controllerRef.Name));
        return set is not null && set.Metadata.Uid == controllerRef.Uid ? set : null;
    }

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
