using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.Scheduler.Tests.Integration;

/// <summary>Schedulers that stop, restart and take over from each other against one real API server.</summary>
public sealed class SchedulerFailoverTests(ApiServerFixture fixture) : IClassFixture<ApiServerFixture>
{
    private SchedulerHost NewScheduler(string identity) => new(
        fixture.SchedulerClient(),
        new SchedulerHostOptions
        {
            Identity = identity,
            LeaseDuration = TimeSpan.FromSeconds(3),
            RenewDeadline = TimeSpan.FromSeconds(2),
            RetryPeriod = TimeSpan.FromMilliseconds(500),
            Scheduler = new SchedulerOptions { Seed = 1 },
        },
        NullLoggerFactory.Instance);

    private async Task<(string Ns, Dictionary<string, string> Select)> ClusterAsync(int nodes)
    {
        var ns = await fixture.NamespaceAsync();
        var select = new Dictionary<string, string> { ["suite"] = ns };
        for (var i = 0; i < nodes; i++)
        {
            await fixture.CreateNodeAsync(Make.Node($"{ns}-n{i}", labels: select));
        }

        return (ns, select);
    }

    private async Task<V1PodList> WaitBoundAsync(string ns, int count)
    {
        var deadline = DateTime.UtcNow + ApiServerFixture.Bound;
        V1PodList pods;
        do
        {
            pods = await fixture.Client.CoreV1.ListNamespacedPodAsync(ns);
            if (pods.Items.Count(p => p.Spec.NodeName is not null) >= count)
            {
                return pods;
            }

            await Task.Delay(100);
        }
        while (DateTime.UtcNow < deadline);

        Assert.Fail($"expected {count} pods bound in {ns}, saw {pods.Items.Count(p => p.Spec.NodeName is not null)}");
        return pods;
    }

    [Fact]
    public async Task A_scheduler_stopped_mid_stream_and_started_again_binds_every_pod_exactly_once()
    {
        var (ns, select) = await ClusterAsync(3);
        var first = NewScheduler("first");
        await first.StartAsync(CancellationToken.None);
        for (var i = 0; i < 30; i++)
        {
            await fixture.CreatePodAsync(ns, Make.Pod($"p{i}", "100m", spec: s => s.NodeSelector = select));
        }

        // Stop while pods are still being scheduled, create more, then a new scheduler (same identity: a restart).
        await first.DisposeAsync();
        for (var i = 30; i < 40; i++)
        {
            await fixture.CreatePodAsync(ns, Make.Pod($"p{i}", "100m", spec: s => s.NodeSelector = select));
        }

        await using var again = NewScheduler("first");
        await again.StartAsync(CancellationToken.None);
        var pods = await WaitBoundAsync(ns, 40);

        Assert.All(pods.Items, p => Assert.NotNull(p.Spec.NodeName));
        // Events are written in the background: wait for one per pod.
        var deadline = DateTime.UtcNow + ApiServerFixture.Bound;
        Corev1EventList events;
        List<IGrouping<string, Corev1Event>> scheduled;
        do
        {
            events = await fixture.Client.CoreV1.ListNamespacedEventAsync(ns);
            scheduled = [.. events.Items.Where(e => e.Reason == "Scheduled").GroupBy(e => e.InvolvedObject.Name)];
            await Task.Delay(scheduled.Count < 40 ? 100 : 0);
        }
        while (scheduled.Count < 40 && DateTime.UtcNow < deadline);

        // One Scheduled event per pod (an event with count > 1 would be a second binding of the same pod), and no failed binding.
        Assert.Equal(40, scheduled.Count);
        Assert.All(scheduled, g => Assert.Equal(1, g.Sum(e => e.Count ?? 1)));
        Assert.DoesNotContain(events.Items, e => e.Reason == "FailedScheduling");
    }

    [Fact]
    public async Task Two_schedulers_elect_one_leader_and_the_other_takes_over_when_it_stops()
    {
        var (ns, select) = await ClusterAsync(2);
        var a = NewScheduler("scheduler-a");
        await using var b = NewScheduler("scheduler-b");
        await a.StartAsync(CancellationToken.None);
        await WaitLeaderAsync("scheduler-a");
        await b.StartAsync(CancellationToken.None);

        await fixture.CreatePodAsync(ns, Make.Pod("before", spec: s => s.NodeSelector = select));
        await WaitBoundAsync(ns, 1);
        Assert.NotNull(a.Current);
        Assert.Null(b.Current);
        Assert.Equal(0, b.Terms);

        // The leader stops (it releases nothing: the follower waits out the lease, as after a crash).
        await a.DisposeAsync();
        await fixture.CreatePodAsync(ns, Make.Pod("after", spec: s => s.NodeSelector = select));
        await WaitBoundAsync(ns, 2);
        await WaitLeaderAsync("scheduler-b");
        Assert.Equal(1, b.Terms);
    }

    private async Task WaitLeaderAsync(string identity)
    {
        var deadline = DateTime.UtcNow + ApiServerFixture.Bound;
        string? holder = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                holder = (await fixture.Client.CoordinationV1.ReadNamespacedLeaseAsync("kube-scheduler", "kube-system")).Spec.HolderIdentity;
                if (holder == identity)
                {
                    return;
                }
            }
            catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
            }

            await Task.Delay(100);
        }

        Assert.Fail($"expected {identity} to hold the kube-scheduler lease, saw {holder}");
    }
}
