using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Proxy.Routes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using static Kubesharp.Proxy.Tests.Routes.RouteTestData;

namespace Kubesharp.Proxy.Tests.Routes;

public sealed class PodRouteControllerTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private readonly Indexer<V1Node> _nodes = new();
    private readonly FakeRuleRunner _runner = new();
    private readonly FakeTimeProvider _time = new();
    private readonly PodRouteOptions _options = new() { NodeName = "self", ResyncPeriod = TimeSpan.FromSeconds(30), RetryDelay = TimeSpan.FromSeconds(2) };

    private PodRouteController Controller() =>
        new(_nodes, new PodRouteSyncer(_runner.RunAsync, "self", "10.42.0.0/16"), _options, _time, NullLogger.Instance);

    [Fact]
    public async Task Nothing_is_written_before_the_cache_has_synced_then_a_pass_runs()
    {
        _nodes.Upsert(Node("b", "10.42.1.0/24", "10.77.0.12"));
        var synced = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var controller = Controller();
        var pass = _runner.NextRestore;

        controller.Run(() => synced.Task, CancellationToken.None);
        Assert.Empty(_runner.Commands);
        synced.SetResult(true);
        await pass.WaitAsync(Bound);

        Assert.Contains("ip route replace 10.42.1.0/24 via 10.77.0.12 proto 66", _runner.Commands);
    }

    [Fact]
    public async Task A_signal_makes_a_pass_that_sees_the_changed_nodes()
    {
        await using var controller = Controller();
        var first = _runner.NextRestore;
        controller.Run(() => Task.FromResult(true), CancellationToken.None);
        await first.WaitAsync(Bound);
        _runner.Clear();
        var second = _runner.NextRestore;

        _nodes.Upsert(Node("c", "10.42.2.0/24", "10.77.0.13"));
        controller.Signal();
        await second.WaitAsync(Bound);

        Assert.Contains("ip route replace 10.42.2.0/24 via 10.77.0.13 proto 66", _runner.Commands);
    }

    [Fact]
    public async Task A_failed_pass_is_retried_after_the_retry_delay()
    {
        _nodes.Upsert(Node("b", "10.42.1.0/24", "10.77.0.12"));
        var failing = true;
        _runner.Fail = c => Volatile.Read(ref failing) && c.StartsWith("ip route replace", StringComparison.Ordinal);
        await using var controller = Controller();
        controller.Run(() => Task.FromResult(true), CancellationToken.None);
        await WaitForPassesAsync(controller, 1);
        Assert.DoesNotContain(_runner.Commands, c => c.StartsWith("iptables-restore", StringComparison.Ordinal));
        Volatile.Write(ref failing, false);
        var retried = _runner.NextRestore;

        _time.Advance(_options.RetryDelay);
        await retried.WaitAsync(Bound);

        Assert.Equal(2, _runner.Commands.Count(c => c == "ip route replace 10.42.1.0/24 via 10.77.0.12 proto 66"));
    }

    [Fact]
    public async Task The_resync_period_brings_a_pass_without_any_change()
    {
        await using var controller = Controller();
        var first = _runner.NextRestore;
        controller.Run(() => Task.FromResult(true), CancellationToken.None);
        await first.WaitAsync(Bound);
        await WaitForPassesAsync(controller, 1);
        var resync = _runner.NextRestore;

        _time.Advance(_options.ResyncPeriod);
        await resync.WaitAsync(Bound);

        Assert.Equal(2, _runner.Commands.Count(c => c.StartsWith("ip -4 route show", StringComparison.Ordinal)));
    }

    // The pass counter is bumped after the pass, just before the loop starts waiting; the wait is bounded.
    private static async Task WaitForPassesAsync(PodRouteController controller, long passes)
    {
        using var bound = new CancellationTokenSource(Bound);
        while (controller.Passes < passes)
        {
            await Task.Delay(10, bound.Token);
        }
    }
}
