using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Client.Events;
using Kubesharp.Controllers.Common;

namespace Kubesharp.Controllers.CronJob;

/// <summary>The informer handlers: a Job change syncs the CronJob controlling it; a schedule change requeues for the new next time.</summary>
internal sealed partial class CronJobController
{
    /// <summary>Upstream's <c>updateCronJob</c>: a new schedule or zone requeues at its next time; any other change syncs now.</summary>
    internal void OnCronJobUpdated(V1CronJob old, V1CronJob cur)
    {
        if (old.Spec?.Schedule != cur.Spec?.Schedule || old.Spec?.TimeZone != cur.Spec?.TimeZone)
        {
            var spec = cur.Spec?.Schedule ?? "";
            if (ParseSchedule(cur, recorder: null) is not { } schedule)
            {
                _recorder.Event(cur, EventTypes.Warning, "UnParseableCronJobSchedule", "unparseable schedule for cronjob: " + spec);
                return;
            }

            var now = Time.GetUtcNow();
            Queue.AddAfter(ObjectKeys.For(cur), ScheduleMath.NextScheduleDuration(cur, now, schedule));
            return;
        }

        Enqueue(cur);
    }

    internal void OnJobAdded(V1Job job)
    {
        if (job.Metadata.DeletionTimestamp is not null)
        {
            OnJobDeleted(job);
            return;
        }

        if (Objects.ControllerOf(job) is { } controllerRef && Resolve(job.Metadata.NamespaceProperty, controllerRef) is { } cronJob)
        {
            Enqueue(cronJob);
        }
    }

    internal void OnJobUpdated(V1Job old, V1Job cur)
    {
        if (old.Metadata.ResourceVersion == cur.Metadata.ResourceVersion)
        {
            return;
        }

        var curRef = Objects.ControllerOf(cur);
        var oldRef = Objects.ControllerOf(old);
        if (!Objects.SameOwnerReference(curRef, oldRef) && oldRef is not null && Resolve(old.Metadata.NamespaceProperty, oldRef) is { } previous)
        {
            Enqueue(previous);
        }

        if (curRef is not null && Resolve(cur.Metadata.NamespaceProperty, curRef) is { } cronJob)
        {
            Enqueue(cronJob);
        }
    }

    internal void OnJobDeleted(V1Job job)
    {
        if (Objects.ControllerOf(job) is { } controllerRef && Resolve(job.Metadata.NamespaceProperty, controllerRef) is { } cronJob)
        {
            Enqueue(cronJob);
        }
    }

    private V1CronJob? Resolve(string ns, V1OwnerReference controllerRef)
    {
        if (controllerRef.Kind != "CronJob")
        {
            return null;
        }

        var cronJob = _cronJobs.Get(ObjectKeys.For(ns, controllerRef.Name));
        return cronJob is not null && cronJob.Metadata.Uid == controllerRef.Uid ? cronJob : null;
    }
}
