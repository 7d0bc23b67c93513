using System.Net;
using System.Text;
using k8s;
using Kubesharp.Scheduler.Configuration;
using Kubesharp.Scheduler.Framework;
using Kubesharp.Scheduler.Metrics;
using Kubesharp.Testing.Client;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.Scheduler.Tests.Metrics;

public sealed class SchedulerMetricsTests
{
    /// <summary>Binds without the API (completes at once, so the binding cycle has ended when ScheduleOneAsync returns).</summary>
    private sealed class InstantBinder : IBindPlugin
    {
        public string Name => "InstantBinder";

        public Task<Status> BindAsync(CycleState state, PodInfo pod, string node, CancellationToken cancellationToken) => Task.FromResult(Status.Success);
    }

    private static async Task<string> TextAsync(SchedulerMetrics metrics)
    {
        using var stream = new MemoryStream();
        await metrics.WriteAsync(stream, CancellationToken.None);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static (Scheduler Scheduler, SchedulerMetrics Metrics) NewScheduler()
    {
        // The default plugins with the binder swapped for one that needs no API server; the failure path's status
        // patch goes to a closed port and is only logged.
        var registry = PluginRegistry.CreateDefault().Add("InstantBinder", _ => new InstantBinder());
        var config = SchedulerConfigurationLoader.Load(
            "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nprofiles:\n- schedulerName: packer\n  plugins:\n    bind:\n      disabled: [{name: '*'}]\n      enabled: [{name: InstantBinder}]\n",
            registry: registry);
        var client = new Kubernetes(new KubernetesClientConfiguration { Host = "https://127.0.0.1:1" });
        var metrics = new SchedulerMetrics();
        var scheduler = new Scheduler(client, new Offline.NoEvents(), new FakeClock(), NullLoggerFactory.Instance, config.CreateProfiles(new PluginHandle(client)), new SchedulerOptions { Seed = 1, Metrics = metrics });
        return (scheduler, metrics);
    }

    private static async Task ScheduleNextAsync(Scheduler scheduler)
    {
        var queued = await scheduler.Queue.PopAsync(CancellationToken.None);
        await scheduler.ScheduleOneAsync(queued!, CancellationToken.None);
    }

    [Fact]
    public async Task Attempts_move_with_a_scheduled_and_an_unschedulable_pod_and_pending_pods_follow_the_queue()
    {
        var (scheduler, metrics) = NewScheduler();
        using (scheduler)
        {
            scheduler.Cache.AddOrUpdateNode(Make.Node("n1", cpu: "2"));
            scheduler.Queue.Add(Make.Pod("fits", "1", spec: s => s.SchedulerName = "packer"));
            scheduler.Queue.Add(Make.Pod("too-big", "4", spec: s => s.SchedulerName = "packer"));

            var before = await TextAsync(metrics);
            Assert.Contains("scheduler_pending_pods{queue=\"active\"} 2", before, StringComparison.Ordinal);

            await ScheduleNextAsync(scheduler);
            await ScheduleNextAsync(scheduler);

            var after = await TextAsync(metrics);
            Assert.Equal((1, 1, 0), scheduler.Attempts);
            Assert.Contains("scheduler_schedule_attempts_total{result=\"scheduled\",profile=\"packer\"} 1", after, StringComparison.Ordinal);
            Assert.Contains("scheduler_schedule_attempts_total{result=\"unschedulable\",profile=\"packer\"} 1", after, StringComparison.Ordinal);
            Assert.DoesNotContain("result=\"error\"", after, StringComparison.Ordinal);
            Assert.Contains("scheduler_scheduling_attempt_duration_seconds_count{result=\"scheduled\",profile=\"packer\"} 1", after, StringComparison.Ordinal);
            Assert.Contains("scheduler_scheduling_attempt_duration_seconds_bucket{result=\"unschedulable\",profile=\"packer\",le=\"0.001\"} 1", after, StringComparison.Ordinal);
            Assert.Contains("scheduler_scheduling_attempt_duration_seconds_bucket{result=\"scheduled\",profile=\"packer\",le=\"16.384\"} 1", after, StringComparison.Ordinal);
            Assert.Contains("scheduler_pod_scheduling_attempts_bucket{le=\"1\"} 1", after, StringComparison.Ordinal);
            Assert.Contains("scheduler_pending_pods{queue=\"active\"} 0", after, StringComparison.Ordinal);
            Assert.Contains("scheduler_pending_pods{queue=\"unschedulable\"} 1", after, StringComparison.Ordinal);
        }

        // The term's scheduler is gone: nothing is pending here any more.
        Assert.Contains("scheduler_pending_pods{queue=\"unschedulable\"} 0", await TextAsync(metrics), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_endpoint_serves_prometheus_text_and_health()
    {
        var metrics = new SchedulerMetrics();
        metrics.Attempted(AttemptResult.Error, "default-scheduler", TimeSpan.FromMilliseconds(3));
        await using var serving = await SchedulerServing.StartAsync("127.0.0.1", 0, metrics, CancellationToken.None);
        using var http = new HttpClient { BaseAddress = serving.Url };

        using var response = await http.GetAsync(new Uri("/metrics", UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        Assert.Contains("# HELP scheduler_schedule_attempts_total Number of attempts to schedule pods, by the result.", body, StringComparison.Ordinal);
        Assert.Contains("# TYPE scheduler_schedule_attempts_total counter", body, StringComparison.Ordinal);
        Assert.Contains("# TYPE scheduler_scheduling_attempt_duration_seconds histogram", body, StringComparison.Ordinal);
        Assert.Contains("scheduler_schedule_attempts_total{result=\"error\",profile=\"default-scheduler\"} 1", body, StringComparison.Ordinal);
        Assert.Contains("scheduler_scheduling_attempt_duration_seconds_bucket{result=\"error\",profile=\"default-scheduler\",le=\"0.004\"} 1", body, StringComparison.Ordinal);
        Assert.Equal("ok", await http.GetStringAsync(new Uri("/healthz", UriKind.Relative)));
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri("/nothing", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task A_port_in_use_is_an_IOException()
    {
        var metrics = new SchedulerMetrics();
        await using var first = await SchedulerServing.StartAsync("127.0.0.1", 0, metrics, CancellationToken.None);

        await Assert.ThrowsAnyAsync<IOException>(() => SchedulerServing.StartAsync("127.0.0.1", first.Url.Port, metrics, CancellationToken.None));
    }
}
