using k8s.Models;
using Kubesharp.Controllers.Common;

namespace Kubesharp.Controllers.CronJob;

/// <summary>How many scheduled times a CronJob has missed: none, a few, or more than 100 (upstream's <c>missedSchedulesType</c>).</summary>
internal enum MissedSchedules
{
    None,
    Few,
    Many,
}

/// <summary>Upstream's schedule arithmetic (<c>pkg/controller/cronjob/utils.go</c>). Stateless.</summary>
internal static class ScheduleMath
{
    /// <summary>Upstream's <c>nextScheduleDelta</c>: requeues land this much after the scheduled time, against clock skew.</summary>
    public static readonly TimeSpan NextScheduleDelta = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Upstream's <c>mostRecentScheduleTime</c>: from the last schedule time (or the creation time; with
    /// <paramref name="includeStartingDeadline"/>, no earlier than now less startingDeadlineSeconds), the most recent scheduled
    /// time not after <paramref name="now"/> (null when there is none), and how many were missed, counted roughly from the
    /// interval between the first two. An error when that interval is under a second (a schedule that never fires).
    /// </summary>
    public static (DateTimeOffset Earliest, DateTimeOffset? MostRecent, MissedSchedules Missed, string? Error) MostRecent(
        V1CronJob cronJob, DateTimeOffset now, CronSchedule schedule, bool includeStartingDeadline)
    {
        var earliest = cronJob.Metadata.CreationTimestamp is { } created ? MetaTime.Utc(created) : now;
        if (cronJob.Status?.LastScheduleTime is { } last)
        {
            earliest = MetaTime.Utc(last);
        }

        if (includeStartingDeadline && cronJob.Spec.StartingDeadlineSeconds is { } deadline)
        {
            var schedulingDeadline = now - TimeSpan.FromSeconds(deadline);
            if (schedulingDeadline > earliest)
            {
                earliest = schedulingDeadline;
            }
        }

        var t1 = schedule.Next(earliest);
        var t2 = t1 is { } first ? schedule.Next(first) : null;
        if (t1 is null || t2 is null)
        {
            return (earliest, null, MissedSchedules.None, "time difference between two schedules is less than 1 second");
        }

        if (now < t1)
        {
            return (earliest, null, MissedSchedules.None, null);
        }

        if (now < t2)
        {
            return (earliest, t1, MissedSchedules.None, null);
        }

        var between = (long)Math.Round((t2.Value - t1.Value).TotalSeconds, MidpointRounding.AwayFromZero);
        if (between < 1)
        {
            return (earliest, null, MissedSchedules.None, "time difference between two schedules is less than 1 second");
        }

        var elapsed = (long)(now - t1.Value).TotalSeconds;
        var missedCount = (elapsed / between) + 1;

        // Jump close to now by whole intervals, one short, and let the schedule find the exact times from there (irregular
        // schedules such as "30 6-16/4 * * 1-5" do not keep one interval).
        var potentialEarliest = t1.Value + TimeSpan.FromSeconds((missedCount - 2) * between);
        DateTimeOffset? mostRecent = null;
        for (var t = schedule.Next(potentialEarliest); t is { } at && at <= now; t = schedule.Next(at))
        {
            mostRecent = at;
        }

        var missed = missedCount > 100 ? MissedSchedules.Many : missedCount > 0 ? MissedSchedules.Few : MissedSchedules.None;
        return (earliest, mostRecent, missed, null);
    }

    /// <summary>Upstream's <c>nextScheduleTimeDuration</c>: how long until the next scheduled time after the most recent one, plus <see cref="NextScheduleDelta"/>.</summary>
    public static TimeSpan NextScheduleDuration(V1CronJob cronJob, DateTimeOffset now, CronSchedule schedule)
    {
        var (earliest, mostRecent, missed, error) = MostRecent(cronJob, now, schedule, includeStartingDeadline: false);
        var from = error is not null ? now : mostRecent ?? (missed == MissedSchedules.None ? earliest : now);
        return schedule.Next(from) is { } next ? next + NextScheduleDelta - now : TimeSpan.FromDays(1);
    }
}
