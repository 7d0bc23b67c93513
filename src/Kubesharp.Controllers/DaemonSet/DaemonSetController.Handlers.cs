using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Controllers.Common;

namespace Kubesharp.Controllers.DaemonSet;

/// <summary>The informer handlers: which DaemonSets to sync for each DaemonSet, pod, node and revision change.</summary>
internal sealed partial class DaemonSetController
{
    internal void OnPodAdded(V1Pod pod) => PodEvents.OnAdded(pod);

    internal void OnPodUpdated(V1Pod old, V1Pod cur) => PodEvents.OnUpdated(old, cur);

    internal void OnPodDeleted(V1Pod pod) => PodEvents.OnDeleted(pod);

    /// <summary>Registers the handlers through the given adders (the informers' <c>AddEventHandler</c>, or a test's fake caches).</summary>
    internal void Register(
        Action<IResourceEventHandler<V1DaemonSet>> daemonSets,
        Action<IResourceEventHandler<V1Pod>> pods,
        Action<IResourceEventHandler<V1Node>> nodes,
        Action<IResourceEventHandler<V1ControllerRevision>> revisions)
    {
        daemonSets(new ResourceEventHandlerFuncs<V1DaemonSet>
        {
            AddFunc = Enqueue,
            UpdateFunc = OnDaemonSetUpdated,
            DeleteFunc = (ds, _) => OnDaemonSetDeleted(ds),
        });
        pods(new ResourceEventHandlerFuncs<V1Pod>
        {
            AddFunc = OnPodAdded,
            UpdateFunc = OnPodUpdated,
            DeleteFunc = (pod, _) => OnPodDeleted(pod),
        });
        nodes(new ResourceEventHandlerFuncs<V1Node>
        {
            AddFunc = OnNodeAdded,
            UpdateFunc = OnNodeUpdated,
        });
        revisions(new ResourceEventHandlerFuncs<V1ControllerRevision>
        {
            AddFunc = OnRevisionAdded,
            UpdateFunc = OnRevisionUpdated,
            DeleteFunc = (cr, _) => OnRevisionDeleted(cr),
        });
    }

    internal void OnDaemonSetUpdated(V1DaemonSet old, V1DaemonSet cur)
    {
        // A delete and a re-create under one key that the informer saw as one update.
        if (old.Metadata.Uid != cur.Metadata.Uid)
        {
            OnDaemonSetDeleted(old);
        }

        Enqueue(cur);
    }

    internal void OnDaemonSetDeleted(V1DaemonSet ds)
    {
        var key = ObjectKeys.For(ds);
        // A new DaemonSet of the same name starts clean.
        Expectations.Delete(key);
        Enqueue(key);
    }

    internal void OnNodeAdded(V1Node node)
    {
        foreach (var ds in _daemonSets.List())
        {
            if (NodeEligibility.ShouldRun(node, ds).ShouldRun)
            {
                Enqueue(ds);
            }
        }
    }

    internal void OnNodeUpdated(V1Node old, V1Node cur)
    {
        if (ShouldIgnoreNodeUpdate(old, cur))
        {
            return;
        }

        foreach (var ds in _daemonSets.List())
        {
            if (NodeEligibility.ShouldRun(old, ds) != NodeEligibility.ShouldRun(cur, ds))
            {
                Enqueue(ds);
            }
        }
    }

    /// <summary>
    /// Upstream's <c>shouldIgnoreNodeUpdate</c> narrowed to what eligibility reads: the set of true conditions, the
    /// labels, the taints and the name. Heartbeats (condition times, resourceVersion) change none of them.
    /// </summary>
    internal static bool ShouldIgnoreNodeUpdate(V1Node old, V1Node cur)
    {
        static HashSet<string> TrueConditions(V1Node n) =>
            (n.Status?.Conditions ?? []).Where(c => c.Status == "True").Select(c => c.Type).ToHashSet(StringComparer.Ordinal);

        static string Taints(V1Node n) =>
            string.Join("|", (n.Spec?.Taints ?? []).Select(t => $"{t.Key}={t.Value}:{t.Effect}"));

        return TrueConditions(old).SetEquals(TrueConditions(cur))
            && Objects.SameLabels(old.Metadata.Labels, cur.Metadata.Labels)
            && Taints(old) == Taints(cur)
            && old.Metadata.Name == cur.Metadata.Name;
    }

    internal void OnRevisionAdded(V1ControllerRevision revision)
    {
        if (revision.Metadata.DeletionTimestamp is not null)
        {
            OnRevisionDeleted(revision);
            return;
        }

        if (Objects.ControllerOf(revision) is { } controllerRef)
        {
            // Ours or someone else's: nothing to sync for a revision we made.
            _ = Resolve(revision.Metadata.NamespaceProperty, controllerRef);
            return;
        }

        foreach (var ds in DaemonSetsSelecting(revision))
        {
            Enqueue(ds);
        }
    }

    internal void OnRevisionUpdated(V1ControllerRevision old, V1ControllerRevision cur)
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
            if (Resolve(cur.Metadata.NamespaceProperty, curRef) is { } ds)
            {
                Enqueue(ds);
            }

            return;
        }

        if (!Objects.SameLabels(old.Metadata.Labels, cur.Metadata.Labels) || refChanged)
        {
            foreach (var ds in DaemonSetsSelecting(cur))
            {
                Enqueue(ds);
            }
        }
    }

    internal void OnRevisionDeleted(V1ControllerRevision revision)
    {
        if (Objects.ControllerOf(revision) is { } controllerRef && Resolve(revision.Metadata.NamespaceProperty, controllerRef) is { } ds)
        {
            Enqueue(ds);
        }
    }

    /// <summary>The DaemonSet a controller reference names, if it is one and still the same object (same UID).</summary>
    private V1DaemonSet? Resolve(string ns, V1OwnerReference controllerRef) => PodEvents.Resolve(ns, controllerRef);

    /// <summary>DaemonSets of the object's namespace whose non-empty selector matches it (upstream's <c>GetPodDaemonSets</c>).</summary>
    private IEnumerable<V1DaemonSet> DaemonSetsSelecting(k8s.IKubernetesObject<V1ObjectMeta> obj)
    {
        if (obj.Metadata.Labels is not { Count: > 0 })
        {
            yield break;
        }

        var labels = Objects.Labels(obj);
        foreach (var ds in _daemonSets.ByIndex(Indexers.Namespace, obj.Metadata.NamespaceProperty ?? ""))
        {
            if (SelectorOf(ds) is { IsEmpty: false } selector && selector.Matches(labels))
            {
                yield return ds;
            }
        }
    }
}
