using k8s.Models;
using Kubesharp.Controllers.Job;
using Kubesharp.Controllers.Tests.Fakes;

namespace Kubesharp.Controllers.Tests.Job;

public sealed class JobControllerTests
{
    private const string Tracking = "batch.kubernetes.io/job-tracking";

    [Fact]
    public async Task A_new_job_starts_parallelism_pods_from_its_template_with_the_tracking_finalizer()
    {
        using var h = new JobHarness();
        h.Add(JobHarness.NewJob("pi", completions: 3, parallelism: 2));

        await h.SyncAsync("pi");

        var pods = h.PodsOf("pi");
        Assert.Equal(2, pods.Count);
        Assert.All(pods, p =>
        {
            Assert.StartsWith("pi-", p.Metadata.Name, StringComparison.Ordinal);
            Assert.Equal([Tracking], p.Metadata.Finalizers);
            Assert.Equal("pi", p.Metadata.Labels["batch.kubernetes.io/job-name"]);
            Assert.Equal("job-uid-pi", p.Metadata.Labels["controller-uid"]);
            var owner = Assert.Single(p.Metadata.OwnerReferences);
            Assert.Equal(("batch/v1", "Job", "pi", "job-uid-pi", true, true), (owner.ApiVersion, owner.Kind, owner.Name, owner.Uid, owner.Controller, owner.BlockOwnerDeletion));
        });
        var status = h.Job("pi").Status;
        Assert.Equal((2, 0, 0, 0, 0), (status.Active, status.Ready, status.Succeeded ?? 0, status.Failed ?? 0, status.Terminating));
        Assert.NotNull(status.StartTime);
        Assert.Equal(["Normal SuccessfulCreate Created pod: " + pods[0].Metadata.Name, "Normal SuccessfulCreate Created pod: " + pods[1].Metadata.Name], h.Events.Events.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Nothing_is_created_twice_while_creations_are_not_observed()
    {
        using var h = new JobHarness();
        h.Add(JobHarness.NewJob("pi", completions: 3, parallelism: 2));
        await h.Controller.SyncJobAsync("default/pi", CancellationToken.None);

        // The pods exist but the pod cache has not seen them: the expectations hold the Job back.
        h.Jobs.Deliver(h.Store);
        await h.Controller.SyncJobAsync("default/pi", CancellationToken.None);

        Assert.Equal(2, h.PodsOf("pi").Count);
        Assert.Equal((2, 0), h.Controller.Expectations.Pending("default/pi"));
    }

    [Theory]
    [InlineData("three completions, two at a time", 3, 2, 0, 2)]
    [InlineData("one completion left", 3, 2, 2, 1)]
    [InlineData("parallelism above what is left", 2, 5, 0, 2)]
    [InlineData("work queue", null, 3, 0, 3)]
    [InlineData("parallelism zero", 4, 0, 0, 0)]
    public async Task Pods_wanted_are_the_completions_left_capped_at_parallelism(string why, int? completions, int parallelism, int succeededBefore, int created)
    {
        using var h = new JobHarness();
        var job = h.Add(JobHarness.NewJob("pi", completions, parallelism));
        h.Store.Mutate<V1Job>("default/pi", j => j.Status = new V1JobStatus { Succeeded = succeededBefore });

        await h.SyncAsync("pi");

        Assert.True(created == h.PodsOf("pi").Count, $"{why}: expected {created} pods, got {h.PodsOf("pi").Count}");
        Assert.NotNull(job);
    }

    [Fact]
    public async Task Succeeded_pods_are_counted_through_uncounted_uids_then_lose_their_finalizer_and_the_job_completes()
    {
        using var h = new JobHarness();
        h.Add(JobHarness.NewJob("pi", completions: 3, parallelism: 2));
        await h.SyncAsync("pi");
        var first = h.PodsOf("pi");
        first.ForEach(p => h.Finish(p, "Succeeded"));
        h.Api.ClearCalls();

        await h.SyncAsync("pi");

        // The UIDs are written before the finalizers go, and counted after.
        var calls = h.Api.Calls;
        var firstStatus = calls.ToList().IndexOf("status job default/pi");
        var lastPatch = calls.Select((c, i) => (c, i)).Last(x => x.c.StartsWith("patch pod", StringComparison.Ordinal)).i;
        Assert.True(firstStatus >= 0 && firstStatus < lastPatch, string.Join(" | ", calls));
        Assert.Equal(2, h.Job("pi").Status.Succeeded);
        Assert.Empty(h.Job("pi").Status.UncountedTerminatedPods.Succeeded ?? []);
        Assert.All(h.PodsOf("pi").Where(p => p.Status?.Phase == "Succeeded"), p => Assert.Null(p.Metadata.Finalizers));
        var third = Assert.Single(h.PodsOf("pi"), p => p.Status?.Phase != "Succeeded");

        h.Finish(third, "Succeeded");
        await h.SyncAsync("pi");

        var status = h.Job("pi").Status;
        Assert.Equal((3, 0), (status.Succeeded, status.Active));
        Assert.Equal([JobConditions.SuccessCriteriaMet, JobConditions.Complete], status.Conditions.Select(c => c.Type));
        Assert.All(status.Conditions, c => Assert.Equal(("True", "CompletionsReached"), (c.Status, c.Reason)));
        Assert.NotNull(status.CompletionTime);
        Assert.Contains("Normal Completed Job completed", h.Events.Events);
        Assert.All(h.PodsOf("pi"), p => Assert.Null(p.Metadata.Finalizers));
    }

    [Fact]
    public async Task Failures_past_the_backoff_limit_fail_the_job_after_a_failure_target_and_delete_active_pods()
    {
        using var h = new JobHarness();
        h.Add(JobHarness.NewJob("pi", completions: 2, parallelism: 2, backoffLimit: 1));
        await h.SyncAsync("pi");
        var pods = h.PodsOf("pi");
        h.Finish(pods[0], "Failed");
        await h.SyncAsync("pi");
        Assert.Equal(1, h.Job("pi").Status.Failed);
        Assert.Empty(h.ConditionTypes("pi"));

        h.Finish(pods[1], "Failed");
        h.Clock.Advance(TimeSpan.FromSeconds(30));
        await h.SyncAsync("pi");

        var job = h.Job("pi");
        Assert.Equal(2, job.Status.Failed);
        Assert.Equal([JobConditions.FailureTarget, JobConditions.Failed], job.Status.Conditions.Select(c => c.Type));
        Assert.All(job.Status.Conditions, c => Assert.Equal(("BackoffLimitExceeded", "Job has reached the specified backoff limit"), (c.Reason, c.Message)));
        Assert.Null(job.Status.CompletionTime);
        Assert.Contains("Warning BackoffLimitExceeded Job has reached the specified backoff limit", h.Events.Events);
        Assert.All(h.PodsOf("pi"), p => Assert.Null(p.Metadata.Finalizers));
    }

    [Fact]
    public async Task A_failed_job_waits_for_its_terminating_pods_before_the_failed_condition()
    {
        using var h = new JobHarness();
        h.Add(JobHarness.NewJob("pi", completions: 2, parallelism: 2, activeDeadlineSeconds: 60));
        await h.SyncAsync("pi");
        h.Clock.Advance(TimeSpan.FromSeconds(61));

        await h.SyncAsync("pi");

        // Deleted keeping their finalizer, then counted as failed and released: the pods go, Failed follows.
        var job = h.Job("pi");
        Assert.Equal([JobConditions.FailureTarget], job.Status.Conditions.Select(c => c.Type));
        Assert.Equal("DeadlineExceeded", job.Status.Conditions[0].Reason);
        Assert.Equal(2, job.Status.Terminating);
        Assert.Equal(2, h.Events.Events.Count(e => e.StartsWith("Normal SuccessfulDelete Deleted pod: pi-", StringComparison.Ordinal)));

        await h.SyncAsync("pi");

        job = h.Job("pi");
        Assert.Equal([JobConditions.FailureTarget, JobConditions.Failed], job.Status.Conditions.Select(c => c.Type));
        Assert.Equal((2, 0, 0), (job.Status.Failed, job.Status.Active, job.Status.Terminating));
        Assert.Empty(h.PodsOf("pi"));
        Assert.Contains("Warning DeadlineExceeded Job was active longer than specified deadline", h.Events.Events);
    }

    [Fact]
    public async Task Re_creation_after_a_failure_waits_for_the_back_off()
    {
        using var h = new JobHarness();
        h.Add(JobHarness.NewJob("pi", completions: 1, parallelism: 1));
        await h.SyncAsync("pi");
        h.Finish(h.PodsOf("pi")[0], "Failed");

        await h.SyncAsync("pi");
        await h.SyncAsync("pi");

        Assert.Single(h.PodsOf("pi"));
        h.Clock.Advance(TimeSpan.FromSeconds(10));
        await h.SyncAsync("pi");
        Assert.Equal(2, h.PodsOf("pi").Count);
    }

    [Theory]
    [InlineData("no failure", 0, 0, 0)]
    [InlineData("first failure, just now", 1, 0, 10)]
    [InlineData("first failure, 4 s ago", 1, 4, 6)]
    [InlineData("third failure doubles twice", 3, 0, 40)]
    [InlineData("past the back-off", 2, 25, 0)]
    [InlineData("capped at the maximum", 12, 0, 600)]
    public void The_pod_failure_back_off_is_ten_seconds_doubling_to_the_cap(string why, int failures, int secondsSince, int remaining)
    {
        var now = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var record = new PodBackoffRecord("k", failures, failures == 0 ? null : now.AddSeconds(-secondsSince));

        var left = record.RemainingTime(now, TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(10));

        Assert.True(TimeSpan.FromSeconds(remaining) == left, $"{why}: expected {remaining}s, got {left}");
    }

    [Fact]
    public async Task Suspending_deletes_active_pods_without_their_finalizer_and_resuming_restarts_the_clock()
    {
        using var h = new JobHarness();
        h.Add(JobHarness.NewJob("pi", completions: 2, parallelism: 2));
        await h.SyncAsync("pi");
        h.Store.Mutate<V1Job>("default/pi", j => j.Spec.Suspend = true);
        h.Api.ClearCalls();

        await h.SyncAsync("pi");

        Assert.Empty(h.PodsOf("pi"));
        Assert.Equal(2, h.Api.Calls.Count(c => c.Contains("$deleteFromPrimitiveList/finalizers", StringComparison.Ordinal)));
        var suspended = Assert.Single(h.Job("pi").Status.Conditions);
        Assert.Equal(("Suspended", "True", "JobSuspended", "Job suspended"), (suspended.Type, suspended.Status, suspended.Reason, suspended.Message));
        Assert.Contains("Normal Suspended Job suspended", h.Events.Events);
        Assert.Equal(0, h.Job("pi").Status.Active);

        h.Clock.Advance(TimeSpan.FromMinutes(5));
        h.Store.Mutate<V1Job>("default/pi", j => j.Spec.Suspend = false);
        await h.SyncAsync("pi");

        var resumed = h.Job("pi").Status;
        Assert.Equal(("False", "JobResumed"), (resumed.Conditions[0].Status, resumed.Conditions[0].Reason));
        Assert.Equal(h.Clock.GetUtcNow().UtcDateTime.AddTicks(-(h.Clock.GetUtcNow().UtcTicks % TimeSpan.TicksPerSecond)), resumed.StartTime!.Value.ToUniversalTime());
        Assert.Equal(2, h.PodsOf("pi").Count);
    }

    [Fact]
    public async Task A_work_queue_job_completes_when_one_pod_succeeded_and_the_others_finished()
    {
        using var h = new JobHarness();
        h.Add(JobHarness.NewJob("queue", completions: null, parallelism: 2));
        await h.SyncAsync("queue");
        var pods = h.PodsOf("queue");
        h.Finish(pods[0], "Succeeded");

        await h.SyncAsync("queue");
        Assert.Equal(2, h.PodsOf("queue").Count);
        Assert.Empty(h.ConditionTypes("queue"));

        h.Finish(pods[1], "Succeeded");
        await h.SyncAsync("queue");

        Assert.Equal([JobConditions.SuccessCriteriaMet, JobConditions.Complete], h.ConditionTypes("queue"));
        Assert.Equal(2, h.Job("queue").Status.Succeeded);
    }

    [Fact]
    public async Task Indexed_pods_carry_their_index_and_completed_indexes_are_intervals()
    {
        using var h = new JobHarness();
        h.Add(JobHarness.NewJob("idx", completions: 4, parallelism: 3, mode: "Indexed"));
        await h.SyncAsync("idx");

        var pods = h.PodsOf("idx").OrderBy(p => p.Metadata.Annotations[JobPods.CompletionIndexAnnotation], StringComparer.Ordinal).ToList();
        Assert.Equal(["0", "1", "2"], pods.Select(p => p.Metadata.Annotations[JobPods.CompletionIndexAnnotation]));
        Assert.All(pods, p =>
        {
            var index = p.Metadata.Annotations[JobPods.CompletionIndexAnnotation];
            Assert.Equal(index, p.Metadata.Labels[JobPods.CompletionIndexAnnotation]);
            Assert.Equal("idx-" + index, p.Spec.Hostname);
            Assert.StartsWith($"idx-{index}-", p.Metadata.Name, StringComparison.Ordinal);
            var env = Assert.Single(p.Spec.Containers[0].Env);
            Assert.Equal(("JOB_COMPLETION_INDEX", "metadata.labels['batch.kubernetes.io/job-completion-index']"), (env.Name, env.ValueFrom.FieldRef.FieldPath));
        });

        h.Finish(pods[0], "Succeeded");
        h.Finish(pods[2], "Succeeded");
        await h.SyncAsync("idx");

        Assert.Equal(("0,2", 2), (h.Job("idx").Status.CompletedIndexes, h.Job("idx").Status.Succeeded));
        var next = h.PodsOf("idx").Where(p => p.Status?.Phase is not "Succeeded").Select(p => p.Metadata.Annotations[JobPods.CompletionIndexAnnotation]).Order(StringComparer.Ordinal);
        Assert.Equal(["1", "3"], next);
    }

    [Theory]
    [InlineData("", new int[0], "")]
    [InlineData("", new[] { 0, 1, 2 }, "0-2")]
    [InlineData("0-2", new[] { 3 }, "0-3")]
    [InlineData("1", new[] { 2 }, "1,2")]
    [InlineData("0,4-6", new[] { 2, 8 }, "0,2,4-6,8")]
    [InlineData("0-9", new[] { 5 }, "0-9")]
    public void Completed_indexes_merge_into_ordered_intervals(string before, int[] added, string after)
    {
        var merged = OrderedIntervals.Parse(before, 100).With(added);

        Assert.Equal(after, merged.ToString());
        Assert.Equal(OrderedIntervals.Parse(after, 100).Total, merged.Total);
    }

    [Fact]
    public void Completed_indexes_past_the_completions_are_dropped_when_read()
    {
        var intervals = OrderedIntervals.Parse("0-2,4-9,12", 6);

        Assert.Equal(("0-2,4,5", 5), (intervals.ToString(), intervals.Total));
        Assert.True(intervals.Has(4));
        Assert.False(intervals.Has(3));
    }

    [Fact]
    public async Task A_pod_of_a_deleted_job_loses_the_tracking_finalizer_through_the_orphan_queue()
    {
        using var h = new JobHarness();
        h.Add(JobHarness.NewJob("pi"));
        await h.SyncAsync("pi");
        var pod = Assert.Single(h.PodsOf("pi"));
        h.Store.Remove<V1Job>("default/pi");
        h.Deliver();

        await h.Controller.SyncOrphanPodAsync("default/" + pod.Metadata.Name, CancellationToken.None);

        Assert.Null(h.Store.Get<V1Pod>("default/" + pod.Metadata.Name)!.Metadata.Finalizers);
    }

    [Fact]
    public async Task A_matching_orphan_is_adopted_with_the_tracking_finalizer()
    {
        using var h = new JobHarness();
        h.Add(JobHarness.NewJob("pi"));
        h.Store.Add(TestObjects.Pod("stray", labels: new Dictionary<string, string> { ["batch.kubernetes.io/controller-uid"] = "job-uid-pi" }));

        await h.SyncAsync("pi");

        var stray = h.Store.Get<V1Pod>("default/stray")!;
        Assert.Equal("job-uid-pi", Assert.Single(stray.Metadata.OwnerReferences).Uid);
        Assert.Equal([Tracking], stray.Metadata.Finalizers);
        Assert.Single(h.PodsOf("pi"));
    }

    [Fact]
    public async Task A_job_managed_by_another_controller_is_left_alone()
    {
        using var h = new JobHarness();
        var job = JobHarness.NewJob("pi");
        job.Spec.ManagedBy = "example.com/other";
        h.Add(job);

        await h.SyncAsync("pi");

        Assert.Empty(h.Api.Calls);
    }
}
