using Kubesharp.Scheduler.Queue;
using Kubesharp.Testing.Client;

namespace Kubesharp.Scheduler.Tests;

public sealed class QueueTests
{
    private readonly FakeClock _clock = new();

    private static async Task<string> PopName(SchedulingQueue queue)
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var queued = await queue.PopAsync(bound.Token);
        return queued!.Pod.Pod.Metadata.Name;
    }

    [Fact]
    public async Task Pods_pop_by_priority_then_arrival()
    {
        using var queue = new SchedulingQueue(_clock);
        queue.Add(Make.Pod("low-1", priority: 0));
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        queue.Add(Make.Pod("high", priority: 1000));
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        queue.Add(Make.Pod("low-2"));

        Assert.Equal(["high", "low-1", "low-2"], [await PopName(queue), await PopName(queue), await PopName(queue)]);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 4)]
    [InlineData(4, 8)]
    [InlineData(5, 10)]
    [InlineData(20, 10)]
    public void Backoff_doubles_from_one_second_to_ten(int attempts, int seconds)
    {
        using var queue = new SchedulingQueue(_clock);

        Assert.Equal(TimeSpan.FromSeconds(seconds), queue.Backoff(attempts));
    }

    [Fact]
    public async Task An_unschedulable_pod_waits_for_a_cluster_event_then_its_backoff()
    {
        using var queue = new SchedulingQueue(_clock);
        queue.Add(Make.Pod("p"));
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var queued = (await queue.PopAsync(bound.Token))!;
        queue.AddUnschedulable(queued, queue.SchedulingCycle, new HashSet<string> { "NodeResourcesFit" }, error: false);
        Assert.Equal((0, 0, 1), queue.Pending);

        // Time alone (within five minutes) does not bring it back.
        _clock.Advance(TimeSpan.FromMinutes(1));
        queue.Flush();
        Assert.Equal((0, 0, 1), queue.Pending);

        queue.MoveAllToActiveOrBackoff("NodeAdd");
        Assert.Equal((1, 0, 0), queue.Pending);
        Assert.Equal("p", await PopName(queue));
    }

    [Fact]
    public async Task An_event_during_the_attempt_sends_the_pod_to_backoff_not_to_the_unschedulable()
    {
        using var queue = new SchedulingQueue(_clock);
        queue.Add(Make.Pod("p"));
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var queued = (await queue.PopAsync(bound.Token))!;
        var cycle = queue.SchedulingCycle;
        queue.MoveAllToActiveOrBackoff("NodeAdd");

        queue.AddUnschedulable(queued, cycle, new HashSet<string>(), error: false);

        Assert.Equal((0, 1, 0), queue.Pending);
        _clock.Advance(TimeSpan.FromMilliseconds(999));
        queue.Flush();
        Assert.Equal((0, 1, 0), queue.Pending);
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        queue.Flush();
        Assert.Equal((1, 0, 0), queue.Pending);
    }

    [Fact]
    public async Task Unschedulable_pods_are_retried_after_five_minutes_and_deleted_pods_leave()
    {
        using var queue = new SchedulingQueue(_clock);
        var pod = Make.Pod("p");
        queue.Add(pod);
        queue.Add(Make.Pod("gone"));
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var queued = (await queue.PopAsync(bound.Token))!;
        queue.AddUnschedulable(queued, queue.SchedulingCycle, new HashSet<string>(), error: false);
        queue.Delete((await queue.PopAsync(bound.Token))!.Pod.Pod);

        _clock.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));
        queue.Flush();

        Assert.Equal((1, 0, 0), queue.Pending);
        Assert.Equal("p", await PopName(queue));
    }

    [Fact]
    public async Task A_pod_placement_event_moves_only_the_pods_rejected_by_plugins_that_count_placed_pods()
    {
        using var queue = new SchedulingQueue(_clock);
        queue.Add(Make.Pod("spread"));
        queue.Add(Make.Pod("cpu"));
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var first = (await queue.PopAsync(bound.Token))!;
        var second = (await queue.PopAsync(bound.Token))!;
        var (spread, cpu) = first.Pod.Pod.Metadata.Name == "spread" ? (first, second) : (second, first);
        queue.AddUnschedulable(spread, queue.SchedulingCycle, new HashSet<string> { "PodTopologySpread" }, error: false);
        queue.AddUnschedulable(cpu, queue.SchedulingCycle, new HashSet<string> { "NodeResourcesFit" }, error: false);

        _clock.Advance(TimeSpan.FromSeconds(30));
        queue.MoveToActiveOrBackoff("AssignedPodAdd", new HashSet<string> { "InterPodAffinity", "PodTopologySpread" });

        Assert.Equal((1, 0, 1), queue.Pending);
        Assert.Equal("spread", await PopName(queue));
    }
}
