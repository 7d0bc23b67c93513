using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Controllers.Common;

namespace Kubesharp.Controllers.Job;

/// <summary>
/// The informer handlers (upstream's <c>addPod</c>, <c>updatePod</c>, <c>deletePod</c>, <c>addJob</c>, <c>updateJob</c>,
/// <c>deleteJob</c>): which Job to sync, when, and which expectations a pod change fulfils. Job creation and spec changes
/// sync at once; pod events and status-only updates after <see cref="JobControllerOptions.SyncBatchPeriod"/>.
/// </summary>
internal sealed partial class JobController
{
    internal void OnJobAdded(V1Job job) => Queue.Add(ObjectKeys.For(job));

    internal void OnJobUpdated(V1Job old, V1Job cur)
    {
        var key = ObjectKeys.For(cur);
        if (old.Metadata.Uid != cur.Metadata.Uid)
        {
            OnJobDeleted(old);
        }

        if (Objects.Generation(old) == Objects.Generation(cur))
        {
            EnqueueBatched(key);
        }
        else
        {
            Queue.Add(key);
        }

        // A finished Job must not keep finalizers on its pods; this is the backup to the sync's own removal.
        if (JobConditions.IsFinished(cur))
        {
            CleanupPodFinalizers(cur);
        }

        if (cur.Status?.StartTime is { } started && cur.Spec?.ActiveDeadlineSeconds is { } deadline && old.Spec?.ActiveDeadlineSeconds != deadline)
        {
            Queue.AddAfter(key, TimeSpan.FromSeconds(deadline) - (Time.GetUtcNow() - MetaTime.Utc(started)));
        }
    }

    internal void OnJobDeleted(V1Job job)
    {
        Queue.Add(ObjectKeys.For(job));
        CleanupPodFinalizers(job);
    }

    internal void OnPodAdded(V1Pod pod)
    {
        if (pod.Metadata.DeletionTimestamp is not null)
        {
            // After a restart, a pod can first show up already being deleted: not a creation to observe.
            OnPodDeleted(pod, final: false);
            return;
        }

        if (Objects.ControllerOf(pod) is { } controllerRef)
        {
            if (Resolve(pod.Metadata.NamespaceProperty, controllerRef) is { } job)
            {
                var key = ObjectKeys.For(job);
                Expectations.CreationObserved(key);
                EnqueueBatched(key);
            }

            return;
        }

        if (JobPods.HasTrackingFinalizer(pod))
        {
            EnqueueOrphan(pod);
        }

        foreach (var job in JobsSelecting(pod))
        {
            EnqueueBatched(ObjectKeys.For(job));
        }
    }

    internal void OnPodUpdated(V1Pod old, V1Pod cur)
    {
        if (old.Metadata.ResourceVersion == cur.Metadata.ResourceVersion)
        {
            return;
        }

        if (cur.Metadata.DeletionTimestamp is not null)
        {
            // A graceful delete marks the pod first: act now rather than when it is removed.
            OnPodDeleted(cur, final: false);
            return;
        }

        // The finalizer is judged on the current pod only: during an ownership change it may come and go within one update.
        var finalizerRemoved = !JobPods.HasTrackingFinalizer(cur);
        var curRef = Objects.ControllerOf(cur);
        var oldRef = Objects.ControllerOf(old);
        var refChanged = !Objects.SameOwnerReference(curRef, oldRef);
        if (refChanged && oldRef is not null && Resolve(old.Metadata.NamespaceProperty, oldRef) is { } previous)
        {
            var key = ObjectKeys.For(previous);
            if (finalizerRemoved)
            {
                FinalizerExpectations.RemovalObserved(key, cur.Metadata.Uid ?? "");
            }

            EnqueueBatched(key);
        }

        if (curRef is not null)
        {
            if (Resolve(cur.Metadata.NamespaceProperty, curRef) is { } job)
            {
                var key = ObjectKeys.For(job);
                if (finalizerRemoved)
                {
                    FinalizerExpectations.RemovalObserved(key, cur.Metadata.Uid ?? "");
                }

                EnqueueBatched(key);
            }

            return;
        }

        if (JobPods.HasTrackingFinalizer(cur))
        {
            EnqueueOrphan(cur);
        }

        if (!Objects.SameLabels(old.Metadata.Labels, cur.Metadata.Labels) || refChanged)
        {
            foreach (var job in JobsSelecting(cur))
            {
                EnqueueBatched(ObjectKeys.For(job));
            }
        }
    }

    /// <summary>A pod removed (<paramref name="final"/>) or marked for deletion.</summary>
    internal void OnPodDeleted(V1Pod pod, bool final)
    {
        var hasFinalizer = JobPods.HasTrackingFinalizer(pod);
        if (Objects.ControllerOf(pod) is not { } controllerRef)
        {
            // Perhaps a Job's pod whose reference the garbage collector removed.
            if (hasFinalizer)
            {
                EnqueueOrphan(pod);
            }

            return;
        }

        var job = Resolve(pod.Metadata.NamespaceProperty, controllerRef);
        if (job is null || JobConditions.IsFinished(job))
        {
            // No sync will remove this finalizer.
            if (hasFinalizer)
            {
                EnqueueOrphan(pod);
            }

            return;
        }

        var key = ObjectKeys.For(job);
        Expectations.DeletionObserved(key, Pods.Key(pod));
        if (final || !hasFinalizer)
        {
            FinalizerExpectations.RemovalObserved(key, pod.Metadata.Uid ?? "");
        }

        EnqueueBatched(key);
    }

    private void EnqueueBatched(string key) => Queue.AddAfter(key, Options.SyncBatchPeriod);

    private void EnqueueOrphan(V1Pod pod) => Queue.Add(OrphanPodPrefix + Pods.Key(pod));

    /// <summary>Upstream's <c>cleanupPodFinalizers</c>: every pod the Job controls that still has the finalizer goes to the orphan queue.</summary>
    private void CleanupPodFinalizers(V1Job job)
    {
        foreach (var pod in _pods.ByIndex(Indexers.ControllerUid, job.Metadata.Uid ?? ""))
        {
            if (JobPods.HasTrackingFinalizer(pod))
            {
                EnqueueOrphan(pod);
            }
        }
    }

    /// <summary>The Job a controller reference names, if it is a Job and still the same object (same UID).</summary>
    private V1Job? Resolve(string ns, V1OwnerReference controllerRef)
    {
        if (controllerRef.Kind != "Job")
        {
            return null;
        }

        var job = _jobs.Get(ObjectKeys.For(ns, controllerRef.Name));
        return job is not null && job.Metadata.Uid == controllerRef.Uid ? job : null;
    }

    /// <summary>Jobs in the pod's namespace whose non-empty selector matches it (upstream's <c>GetPodJobs</c>).</summary>
    private IEnumerable<V1Job> JobsSelecting(V1Pod pod)
    {
        if (pod.Metadata.Labels is not { Count: > 0 })
        {
            yield break;
        }

        var labels = Objects.Labels(pod);
        foreach (var job in _jobs.ByIndex(Indexers.Namespace, pod.Metadata.NamespaceProperty ?? ""))
        {
            if (SelectorOf(job) is { IsEmpty: false } selector && selector.Matches(labels))
            {
                yield return job;
            }
        }
    }
}
