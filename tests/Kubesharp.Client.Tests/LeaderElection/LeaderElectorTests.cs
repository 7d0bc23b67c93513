using Kubesharp.Client.LeaderElection;
using Kubesharp.Testing.Client;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.Client.Tests.LeaderElection;

public sealed class LeaderElectorTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private readonly FakeClock _clock = new();
    private readonly FakeLeaseClient _leases = new();

    private LeaderElector Elector(string identity, Action? stopped = null, Func<CancellationToken, Task>? started = null, bool release = false) =>
        new(_leases, Options(identity) with { OnStoppedLeading = stopped, OnStartedLeading = started, ReleaseOnCancel = release }, _clock, new Random(1), NullLogger.Instance);

    private static LeaderElectionOptions Options(string identity) => new()
    {
        LeaseNamespace = "kube-system",
        LeaseName = "kube-controller-manager",
        Identity = identity,
    };

    [Fact]
    public async Task The_first_candidate_creates_the_lease()
    {
        var a = Elector("a");

        Assert.True(await a.TryAcquireOrRenewAsync(CancellationToken.None));

        var lease = _leases.Get("kube-system", "kube-controller-manager")!;
        Assert.Equal(("a", 15, 0), (lease.Spec.HolderIdentity, lease.Spec.LeaseDurationSeconds, lease.Spec.LeaseTransitions));
        Assert.Equal(_clock.GetUtcNow().UtcDateTime, lease.Spec.AcquireTime);
        Assert.Equal(_clock.GetUtcNow().UtcDateTime, lease.Spec.RenewTime);
    }

    [Fact]
    public async Task Another_candidate_takes_over_only_after_the_lease_expires_unrenewed()
    {
        var a = Elector("a");
        var b = Elector("b");
        Assert.True(await a.TryAcquireOrRenewAsync(CancellationToken.None));
        Assert.False(await b.TryAcquireOrRenewAsync(CancellationToken.None));
        Assert.Equal("a", b.ObservedLeader);

        // a renews at 10 s: b's view of the lease changes then, so expiry counts from 10 s.
        _clock.Advance(TimeSpan.FromSeconds(10));
        Assert.True(await a.TryAcquireOrRenewAsync(CancellationToken.None));
        Assert.False(await b.TryAcquireOrRenewAsync(CancellationToken.None));
        _clock.Advance(TimeSpan.FromSeconds(15) - TimeSpan.FromMilliseconds(1));
        Assert.False(await b.TryAcquireOrRenewAsync(CancellationToken.None));
        _clock.Advance(TimeSpan.FromMilliseconds(1)); // expired at exactly 15 s, as client-go's observedTime+duration After(now)
        Assert.True(await b.TryAcquireOrRenewAsync(CancellationToken.None));

        var lease = _leases.Get("kube-system", "kube-controller-manager")!;
        Assert.Equal(("b", 1), (lease.Spec.HolderIdentity, lease.Spec.LeaseTransitions));
        Assert.Equal(_clock.GetUtcNow().UtcDateTime, lease.Spec.AcquireTime);
        Assert.False(await a.TryAcquireOrRenewAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Renewing_keeps_acquire_time_and_transitions()
    {
        var a = Elector("a");
        await a.TryAcquireOrRenewAsync(CancellationToken.None);
        var acquired = _clock.GetUtcNow().UtcDateTime;

        _clock.Advance(TimeSpan.FromSeconds(2));
        Assert.True(await a.TryAcquireOrRenewAsync(CancellationToken.None));

        var lease = _leases.Get("kube-system", "kube-controller-manager")!;
        Assert.Equal((acquired, _clock.GetUtcNow().UtcDateTime, 0), (lease.Spec.AcquireTime!.Value, lease.Spec.RenewTime!.Value, lease.Spec.LeaseTransitions!.Value));
    }

    [Fact]
    public async Task A_lost_compare_and_swap_is_a_failed_attempt()
    {
        var a = Elector("a");
        await a.TryAcquireOrRenewAsync(CancellationToken.None);
        _leases.BeforeNextReplace(l =>
        {
            var lease = l.Get("kube-system", "kube-controller-manager")!;
            lease.Spec.HolderIdentity = "intruder";
            l.Put(lease);
        });

        Assert.False(await a.TryAcquireOrRenewAsync(CancellationToken.None));
        Assert.Equal("intruder", _leases.Get("kube-system", "kube-controller-manager")!.Spec.HolderIdentity);
    }

    [Fact]
    public async Task Leadership_is_lost_when_renewals_fail_past_the_renew_deadline()
    {
        var stopped = new TaskCompletionSource<DateTimeOffset>(TaskCreationOptions.RunContinuationsAsynchronously);
        var leadingToken = new TaskCompletionSource<CancellationToken>(TaskCreationOptions.RunContinuationsAsynchronously);
        var a = Elector("a", stopped: () => stopped.TrySetResult(_clock.GetUtcNow()), started: ct =>
        {
            leadingToken.TrySetResult(ct);
            return Task.CompletedTask;
        });
        var run = a.RunAsync(CancellationToken.None);
        var token = await leadingToken.Task.WaitAsync(Bound);
        Assert.True(a.IsLeader);

        // Two good renewals (every 2 s), then the API server goes away.
        await _clock.AdvanceWhenArmedAsync(TimeSpan.FromSeconds(2));
        await _clock.AdvanceWhenArmedAsync(TimeSpan.FromSeconds(2));
        await _clock.WaitForArmedTimersAsync(1);
        var lastRenew = _leases.Get("kube-system", "kube-controller-manager")!.Spec.RenewTime!.Value;
        _leases.Failing = true;
        var failingFrom = _clock.GetUtcNow();
        while (!stopped.Task.IsCompleted)
        {
            Assert.True(_clock.GetUtcNow() - failingFrom < TimeSpan.FromMinutes(1), "never gave up leadership");
            Assert.False(token.IsCancellationRequested, "the leading token was cancelled before leadership ended");
            await _clock.WaitForArmedTimersAsync(1);
            if (!stopped.Task.IsCompleted)
            {
                _clock.Advance(TimeSpan.FromMilliseconds(500));
            }
        }

        var stoppedAt = await stopped.Task;
        await run.WaitAsync(Bound);
        Assert.True(token.IsCancellationRequested);
        Assert.False(a.IsLeader);
        // The renewal that first failed started one retry period after the last success; it gives up at its deadline.
        Assert.Equal(failingFrom + TimeSpan.FromSeconds(2) + TimeSpan.FromSeconds(10), stoppedAt);
        Assert.Equal(lastRenew, _leases.Get("kube-system", "kube-controller-manager")!.Spec.RenewTime);
    }

    [Fact]
    public async Task A_candidate_waits_and_takes_over_a_lease_that_stops_being_renewed()
    {
        var a = Elector("a");
        Assert.True(await a.TryAcquireOrRenewAsync(CancellationToken.None));
        var leading = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var b = Elector("b", started: _ =>
        {
            leading.TrySetResult();
            return Task.CompletedTask;
        });
        using var stop = new CancellationTokenSource();

        var run = b.RunAsync(stop.Token);
        var start = _clock.GetUtcNow();
        while (!b.IsLeader)
        {
            Assert.True(_clock.GetUtcNow() - start < TimeSpan.FromMinutes(1), $"b never took over: observed {b.ObservedLeader}, holder {_leases.Get("kube-system", "kube-controller-manager")!.Spec.HolderIdentity}");
            await _clock.WaitForArmedTimersAsync(1);
            if (!b.IsLeader)
            {
                _clock.Advance(TimeSpan.FromSeconds(1));
            }
        }

        await leading.Task.WaitAsync(Bound);

        Assert.True(_clock.GetUtcNow() - start > TimeSpan.FromSeconds(15), "b took over a lease that had not expired");
        Assert.Equal(("b", 1), (_leases.Get("kube-system", "kube-controller-manager")!.Spec.HolderIdentity, _leases.Get("kube-system", "kube-controller-manager")!.Spec.LeaseTransitions));
        await stop.CancelAsync();
        await run.WaitAsync(Bound);
    }

    [Fact]
    public async Task Release_on_cancel_clears_the_holder()
    {
        var leading = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var a = Elector("a", release: true, started: _ =>
        {
            leading.TrySetResult();
            return Task.CompletedTask;
        });
        using var stop = new CancellationTokenSource();
        var run = a.RunAsync(stop.Token);
        await leading.Task.WaitAsync(Bound);

        await stop.CancelAsync();
        await run.WaitAsync(Bound);

        var lease = _leases.Get("kube-system", "kube-controller-manager")!;
        Assert.Null(lease.Spec.HolderIdentity);
        Assert.Equal((1, 0), (lease.Spec.LeaseDurationSeconds, lease.Spec.LeaseTransitions));
        var b = Elector("b");
        Assert.True(await b.TryAcquireOrRenewAsync(CancellationToken.None), "a released lease is free at once");
        Assert.Equal(1, _leases.Get("kube-system", "kube-controller-manager")!.Spec.LeaseTransitions);
    }

    [Fact]
    public void Durations_are_validated_as_client_go_does()
    {
        Assert.Throws<ArgumentException>(() => (Options("a") with { LeaseDuration = TimeSpan.FromSeconds(10) }).Validate());
        Assert.Throws<ArgumentException>(() => (Options("a") with { RenewDeadline = TimeSpan.FromSeconds(2.4) }).Validate());
        Options("a").Validate();
        Assert.Contains('_', LeaderElectionOptions.DefaultIdentity());
    }
}
