using k8s.Models;
using Kubesharp.Controllers.CronJob;

namespace Kubesharp.Controllers.Tests.CronJob;

public sealed class CronJobControllerTests
{
    [Fact]
    public async Task Before_the_first_time_nothing_runs_and_the_cron_job_comes_back_just_after_it()
    {
        using var h = new CronJobHarness();
        h.Add(CronJobHarness.NewCronJob("cj"));
        h.Clock.Advance(TimeSpan.FromSeconds(20));

        var result = await h.SyncAsync("cj");

        Assert.Empty(h.JobsOf("cj"));
        Assert.Equal(TimeSpan.FromSeconds(40.1), result.Requeue);
    }

    [Fact]
    public async Task At_the_scheduled_time_a_job_named_after_it_is_created_and_recorded_as_active()
    {
        using var h = new CronJobHarness();
        h.Add(CronJobHarness.NewCronJob("cj"));
        h.Clock.Advance(TimeSpan.FromSeconds(61));

        var result = await h.SyncAsync("cj");

        var job = Assert.Single(h.JobsOf("cj"));
        var scheduled = new DateTimeOffset(2026, 1, 2, 4, 1, 0, TimeSpan.Zero);
        Assert.Equal("cj-" + (scheduled.ToUnixTimeSeconds() / 60), job.Metadata.Name);
        Assert.Equal("2026-01-02T04:01:00Z", job.Metadata.Annotations[CronJobController.ScheduledTimestampAnnotation]);
        Assert.Equal("a", job.Metadata.Labels["team"]);
        var owner = Assert.Single(job.Metadata.OwnerReferences);
        Assert.Equal(("batch/v1", "CronJob", "cj", "cj-uid-cj", true, true), (owner.ApiVersion, owner.Kind, owner.Name, owner.Uid, owner.Controller, owner.BlockOwnerDeletion));
        var status = h.CronJob("cj").Status;
        Assert.Equal(job.Metadata.Uid, Assert.Single(status.Active).Uid);
        Assert.Equal(scheduled.UtcDateTime, status.LastScheduleTime!.Value.ToUniversalTime());
        Assert.Contains("Normal SuccessfulCreate Created job " + job.Metadata.Name, h.Events.Events);
        Assert.Equal(TimeSpan.FromSeconds(59.1), result.Requeue);

        // The same time is never run twice.
        await h.SyncAsync("cj");
        Assert.Single(h.JobsOf("cj"));
    }

    [Theory]
    [InlineData("Allow", 2, 2, "")]
    [InlineData("Forbid", 1, 1, "Normal JobAlreadyActive Not starting job because prior execution is running and concurrency policy is Forbid")]
    [InlineData("Replace", 1, 1, "Normal SuccessfulDelete Deleted job cj-")]
    public async Task Concurrency_policies_decide_what_happens_to_a_running_job(string policy, int jobs, int active, string eventStart)
    {
        using var h = new CronJobHarness();
        h.Add(CronJobHarness.NewCronJob("cj", policy: policy));
        h.Clock.Advance(TimeSpan.FromSeconds(61));
        await h.SyncAsync("cj");
        var first = Assert.Single(h.JobsOf("cj"));
        h.Clock.Advance(TimeSpan.FromSeconds(60));

        await h.SyncAsync("cj");

        Assert.Equal(jobs, h.JobsOf("cj").Count);
        Assert.Equal(active, h.CronJob("cj").Status.Active.Count);
        if (eventStart.Length > 0)
        {
            Assert.Contains(h.Events.Events, e => e.StartsWith(eventStart, StringComparison.Ordinal));
        }

        if (policy == "Replace")
        {
            Assert.DoesNotContain(h.JobsOf("cj"), j => j.Metadata.Name == first.Metadata.Name);
            Assert.Contains($"delete job default/{first.Metadata.Name} Background", h.Api.Calls);
        }
    }

    [Fact]
    public async Task A_finished_job_leaves_the_active_list_and_sets_the_last_successful_time()
    {
        using var h = new CronJobHarness();
        h.Add(CronJobHarness.NewCronJob("cj"));
        h.Clock.Advance(TimeSpan.FromSeconds(61));
        await h.SyncAsync("cj");
        var job = Assert.Single(h.JobsOf("cj"));
        h.Clock.Advance(TimeSpan.FromSeconds(5));
        h.FinishJob(job, "Complete");

        await h.SyncAsync("cj");

        var status = h.CronJob("cj").Status;
        Assert.Empty(status.Active ?? []);
        Assert.Equal(new DateTime(2026, 1, 2, 4, 1, 6, DateTimeKind.Utc), status.LastSuccessfulTime!.Value.ToUniversalTime());
        Assert.Contains($"Normal SawCompletedJob Saw completed job: {job.Metadata.Name}, condition: Complete", h.Events.Events);
    }

    [Fact]
    public async Task Finished_jobs_beyond_the_history_limits_are_deleted_oldest_first()
    {
        using var h = new CronJobHarness();
        var cronJob = h.Add(CronJobHarness.NewCronJob("cj", suspend: true));
        for (var i = 0; i < 6; i++)
        {
            var job = h.Store.Add(CronJobController.JobFromTemplate(cronJob, h.Clock.GetUtcNow().AddMinutes(i)));
            h.FinishJob(job, i < 5 ? "Complete" : "Failed", startTime: new DateTime(2026, 1, 2, 4, i, 0, DateTimeKind.Utc));
        }

        var failed = h.Store.Add(CronJobController.JobFromTemplate(cronJob, h.Clock.GetUtcNow().AddMinutes(10)));
        h.FinishJob(failed, "Failed", startTime: new DateTime(2026, 1, 2, 4, 10, 0, DateTimeKind.Utc));

        await h.SyncAsync("cj");

        var left = h.JobsOf("cj").Select(j => j.Status.StartTime!.Value.ToUniversalTime().Minute).Order();
        // 5 succeeded keep their newest 3; 2 failed keep their newest 1.
        Assert.Equal([2, 3, 4, 10], left);
        Assert.Equal(3, h.Events.Events.Count(e => e.StartsWith("Normal SuccessfulDelete Deleted job cj-", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task More_than_a_hundred_missed_times_warn_and_only_the_latest_runs()
    {
        using var h = new CronJobHarness();
        h.Add(CronJobHarness.NewCronJob("cj"));
        h.Clock.Advance(TimeSpan.FromHours(3));

        await h.SyncAsync("cj");

        var job = Assert.Single(h.JobsOf("cj"));
        Assert.Equal("2026-01-02T07:00:00Z", job.Metadata.Annotations[CronJobController.ScheduledTimestampAnnotation]);
        Assert.Contains("Warning TooManyMissedTimes too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew", h.Events.Events);
    }

    [Fact]
    public async Task A_time_older_than_the_starting_deadline_is_not_run_late()
    {
        using var h = new CronJobHarness();
        h.Add(CronJobHarness.NewCronJob("cj", schedule: "0 * * * *", startingDeadlineSeconds: 30));
        h.Clock.Advance(TimeSpan.FromMinutes(61));

        var result = await h.SyncAsync("cj");

        // As upstream, the deadline moves the earliest time considered: 05:00 is not even a candidate at 05:01.
        Assert.Empty(h.JobsOf("cj"));
        Assert.Equal(TimeSpan.FromMinutes(59).Add(TimeSpan.FromMilliseconds(100)), result.Requeue);

        h.Clock.Advance(TimeSpan.FromMinutes(59).Add(TimeSpan.FromSeconds(10)));
        await h.SyncAsync("cj");
        Assert.Single(h.JobsOf("cj"));
    }

    [Fact]
    public async Task A_suspended_cron_job_creates_nothing_and_is_not_requeued()
    {
        using var h = new CronJobHarness();
        h.Add(CronJobHarness.NewCronJob("cj", suspend: true));
        h.Clock.Advance(TimeSpan.FromMinutes(5));

        var result = await h.SyncAsync("cj");

        Assert.Empty(h.JobsOf("cj"));
        Assert.Null(result.Requeue);
    }

    [Fact]
    public async Task An_active_job_that_went_missing_is_dropped_from_the_status()
    {
        using var h = new CronJobHarness();
        h.Add(CronJobHarness.NewCronJob("cj", schedule: "0 0 1 1 *"));
        h.Store.Mutate<V1CronJob>("default/cj", c => c.Status = new V1CronJobStatus { Active = [new V1ObjectReference { Kind = "Job", Name = "cj-gone", NamespaceProperty = "default", Uid = "gone" }] });

        await h.SyncAsync("cj");

        Assert.Empty(h.CronJob("cj").Status.Active ?? []);
        Assert.Contains("Normal MissingJob Active job went missing: cj-gone", h.Events.Events);
    }

    [Fact]
    public async Task An_unparseable_schedule_is_an_event_not_a_retry()
    {
        using var h = new CronJobHarness();
        h.Add(CronJobHarness.NewCronJob("cj", schedule: "every day"));
        h.Clock.Advance(TimeSpan.FromMinutes(5));

        var result = await h.SyncAsync("cj");

        Assert.Null(result.Requeue);
        Assert.Contains(h.Events.Events, e => e.StartsWith("Warning UnparseableSchedule unparseable schedule: \"every day\"", StringComparison.Ordinal));
    }
}
