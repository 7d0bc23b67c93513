using k8s;
using k8s.Models;

namespace Kubesharp.Controllers.Tests.Integration;

/// <summary>The batch controllers against a real API server; the test plays the kubelet by writing pod phases through pods/status.</summary>
public sealed class JobIntegrationTests(JobClusterFixture cluster) : IClassFixture<JobClusterFixture>
{
    private const string Tracking = "batch.kubernetes.io/job-tracking";

    private Kubernetes Client => cluster.Client;

    private static V1Job Job(string name, int completions, int parallelism, int backoffLimit = 6, int? ttl = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1JobSpec
        {
            Completions = completions,
            Parallelism = parallelism,
            BackoffLimit = backoffLimit,
            TtlSecondsAfterFinished = ttl,
            Template = new V1PodTemplateSpec { Spec = new V1PodSpec { RestartPolicy = "Never", Containers = [new V1Container { Name = "c", Image = "busybox:1.37" }] } },
        },
    };

    private async Task<List<V1Pod>> PodsAsync(string ns, string job) =>
        [.. (await Client.CoreV1.ListNamespacedPodAsync(ns, labelSelector: "batch.kubernetes.io/job-name=" + job)).Items];

    private Task FinishAsync(string ns, V1Pod pod, string phase) =>
        Client.CoreV1.PatchNamespacedPodStatusAsync(new V1Patch($$$"""{"status":{"phase":"{{{phase}}}"}}""", V1Patch.PatchType.MergePatch), pod.Metadata.Name, ns);

    private Task<V1Job> ReadJobAsync(string ns, string name) => Client.BatchV1.ReadNamespacedJobAsync(name, ns);

    private static bool Has(V1Job job, string type) => job.Status?.Conditions?.Any(c => c.Type == type && c.Status == "True") == true;

    [Fact]
    public async Task A_job_of_three_completions_two_at_a_time_runs_two_then_one_and_completes()
    {
        var ns = await cluster.NewNamespaceAsync("job-complete");
        var created = await Client.BatchV1.CreateNamespacedJobAsync(Job("pi", completions: 3, parallelism: 2), ns);
        Assert.Equal(created.Metadata.Uid, created.Spec.Selector.MatchLabels["batch.kubernetes.io/controller-uid"]);

        var first = await WorkloadClusterFixture.WaitForAsync("2 pods", () => PodsAsync(ns, "pi"), pods => pods.Count == 2);
        Assert.All(first, p =>
        {
            Assert.Contains(Tracking, p.Metadata.Finalizers);
            Assert.Equal(created.Metadata.Uid, Assert.Single(p.Metadata.OwnerReferences).Uid);
        });
        await WorkloadClusterFixture.WaitForAsync("active 2", () => ReadJobAsync(ns, "pi"), j => j.Status?.Active == 2);

        foreach (var pod in first)
        {
            await FinishAsync(ns, pod, "Succeeded");
        }

        var all = await WorkloadClusterFixture.WaitForAsync("a third pod", () => PodsAsync(ns, "pi"), pods => pods.Count == 3);
        Assert.Equal(2, (await ReadJobAsync(ns, "pi")).Spec.Parallelism);
        var third = all.Single(p => first.All(f => f.Metadata.Name != p.Metadata.Name));
        await FinishAsync(ns, third, "Succeeded");

        var done = await WorkloadClusterFixture.WaitForAsync("the Job complete", () => ReadJobAsync(ns, "pi"), j => Has(j, "Complete"));
        Assert.Equal((3, 0, 0), (done.Status.Succeeded, done.Status.Active ?? 0, done.Status.Failed ?? 0));
        Assert.True(Has(done, "SuccessCriteriaMet"));
        Assert.NotNull(done.Status.CompletionTime);
        var pods = await WorkloadClusterFixture.WaitForAsync("the finalizers removed", () => PodsAsync(ns, "pi"), ps => ps.All(p => p.Metadata.Finalizers?.Contains(Tracking) != true));
        Assert.Equal(3, pods.Count);
        var events = await WorkloadClusterFixture.WaitForAsync("the Completed event", async () => (await Client.CoreV1.ListNamespacedEventAsync(ns)).Items, items => items.Any(e => e.Reason == "Completed"));
        Assert.Equal(3, events.Count(e => e.Reason == "SuccessfulCreate" && e.Source.Component == "job-controller"));
    }

    [Fact]
    public async Task Pods_that_keep_failing_exhaust_the_backoff_limit()
    {
        var ns = await cluster.NewNamespaceAsync("job-fail");
        await Client.BatchV1.CreateNamespacedJobAsync(Job("flaky", completions: 1, parallelism: 1, backoffLimit: 1), ns);

        var failedPods = new HashSet<string>(StringComparer.Ordinal);
        await Eventually.HoldsAsync(
            async () =>
            {
                foreach (var pod in await PodsAsync(ns, "flaky"))
                {
                    if (pod.Status?.Phase is not "Failed" && pod.Metadata.DeletionTimestamp is null && failedPods.Add(pod.Metadata.Name))
                    {
                        await FinishAsync(ns, pod, "Failed");
                    }
                }

                var job = await ReadJobAsync(ns, "flaky");
                return (Has(job, "Failed"), $"failed pods {failedPods.Count}, failed {job.Status?.Failed}, conditions {string.Join(",", job.Status?.Conditions?.Select(c => c.Type) ?? [])}");
            },
            "the Job failed");

        var failed = await ReadJobAsync(ns, "flaky");
        Assert.Equal(2, failed.Status.Failed);
        Assert.Equal(2, failedPods.Count);
        Assert.Equal("BackoffLimitExceeded", failed.Status.Conditions.Single(c => c.Type == "Failed").Reason);
        Assert.True(Has(failed, "FailureTarget"));
        var events = await WorkloadClusterFixture.WaitForAsync("the warning", async () => (await Client.CoreV1.ListNamespacedEventAsync(ns)).Items, items => items.Any(e => e.Reason == "BackoffLimitExceeded"));
        Assert.Equal("Warning", events.First(e => e.Reason == "BackoffLimitExceeded").Type);
    }

    [Fact]
    public async Task A_finished_job_with_ttl_zero_is_deleted()
    {
        var ns = await cluster.NewNamespaceAsync("job-ttl");
        await Client.BatchV1.CreateNamespacedJobAsync(Job("short", completions: 1, parallelism: 1, ttl: 0), ns);
        var pod = (await WorkloadClusterFixture.WaitForAsync("a pod", () => PodsAsync(ns, "short"), pods => pods.Count == 1)).Single();

        await FinishAsync(ns, pod, "Succeeded");

        await WorkloadClusterFixture.WaitForAsync("the Job deleted", async () => (await Client.BatchV1.ListNamespacedJobAsync(ns)).Items, jobs => jobs.Count == 0);
        await WorkloadClusterFixture.WaitForAsync("its pod collected", () => PodsAsync(ns, "short"), pods => pods.Count == 0);
    }

    [Fact]
    public async Task A_cron_job_every_minute_creates_a_job_when_its_time_comes()
    {
        var ns = await cluster.NewNamespaceAsync("cronjob");
        var cronJob = await Client.BatchV1.CreateNamespacedCronJobAsync(new V1CronJob
        {
            Metadata = new V1ObjectMeta { Name = "tick" },
            Spec = new V1CronJobSpec
            {
                Schedule = "* * * * *",
                JobTemplate = new V1JobTemplateSpec { Spec = Job("unused", 1, 1).Spec },
            },
        }, ns);

        // The controller's clock moves past the CronJob's creation by more than a minute: the first time has passed. (It
        // started with the fixture and only moves forward.)
        var created = new DateTimeOffset(cronJob.Metadata.CreationTimestamp!.Value.ToUniversalTime(), TimeSpan.Zero);
        var target = created.AddSeconds(61);
        cluster.CronClock.SetUtcNow(target > cluster.CronClock.GetUtcNow() ? target : cluster.CronClock.GetUtcNow().AddSeconds(61));

        var jobs = await WorkloadClusterFixture.WaitForAsync("a Job of the CronJob", async () => (await Client.BatchV1.ListNamespacedJobAsync(ns)).Items, items => items.Count == 1);
        var job = jobs.Single();
        Assert.StartsWith("tick-", job.Metadata.Name, StringComparison.Ordinal);
        Assert.Equal(cronJob.Metadata.Uid, Assert.Single(job.Metadata.OwnerReferences).Uid);
        Assert.True(job.Metadata.Annotations.ContainsKey("batch.kubernetes.io/cronjob-scheduled-timestamp"));
        var status = await WorkloadClusterFixture.WaitForAsync("the CronJob status", () => Client.BatchV1.ReadNamespacedCronJobAsync("tick", ns), c => c.Status?.Active?.Count == 1);
        Assert.NotNull(status.Status.LastScheduleTime);
        await WorkloadClusterFixture.WaitForAsync("the Job's pod", () => PodsAsync(ns, job.Metadata.Name), pods => pods.Count == 1);
    }
}
