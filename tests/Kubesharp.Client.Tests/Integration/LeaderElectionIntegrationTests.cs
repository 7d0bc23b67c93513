using k8s;
using Kubesharp.Client.LeaderElection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.Client.Tests.Integration;

public sealed class LeaderElectionIntegrationTests(ApiServerFixture server) : IClassFixture<ApiServerFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Exactly_one_of_two_candidates_leads_and_the_other_takes_over_when_it_stops_renewing()
    {
        using var client = server.Client();
        var leaders = 0;
        var maxLeaders = 0;
        var started = new Dictionary<string, TaskCompletionSource>
        {
            ["a"] = new(TaskCreationOptions.RunContinuationsAsynchronously),
            ["b"] = new(TaskCreationOptions.RunContinuationsAsynchronously),
        };
        var sync = new Lock();

        LeaderElector Candidate(string identity) => new(
            new KubernetesLeaseClient(client),
            new LeaderElectionOptions
            {
                LeaseNamespace = "kube-system",
                LeaseName = "client-integration",
                Identity = identity,
                LeaseDuration = TimeSpan.FromSeconds(2),
                RenewDeadline = TimeSpan.FromSeconds(1.5),
                RetryPeriod = TimeSpan.FromSeconds(0.2),
                OnStartedLeading = async ct =>
                {
                    lock (sync)
                    {
                        maxLeaders = Math.Max(maxLeaders, ++leaders);
                    }

                    started[identity].TrySetResult();
                    try
                    {
                        await Task.Delay(Timeout.InfiniteTimeSpan, ct);
                    }
                    finally
                    {
                        lock (sync)
                        {
                            leaders--;
                        }
                    }
                },
            },
            TimeProvider.System,
            new Random(identity.GetHashCode(StringComparison.Ordinal)),
            NullLogger.Instance);

        var a = Candidate("a");
        var b = Candidate("b");
        using var stopA = new CancellationTokenSource();
        using var stopB = new CancellationTokenSource();
        var runA = a.RunAsync(stopA.Token);
        await started["a"].Task.WaitAsync(Bound);
        var runB = b.RunAsync(stopB.Token);

        // b must see a as the holder and stay a follower while a renews.
        var deadline = DateTime.UtcNow + Bound;
        while (b.ObservedLeader != "a")
        {
            Assert.True(DateTime.UtcNow < deadline, "b never observed a as leader");
            await Task.Delay(50);
        }

        Assert.False(b.IsLeader);
        Assert.False(started["b"].Task.IsCompleted);

        // a stops renewing (cancelled, no release): b takes over once the lease expires.
        await stopA.CancelAsync();
        await runA.WaitAsync(Bound);
        await started["b"].Task.WaitAsync(Bound);

        var lease = await client.CoordinationV1.ReadNamespacedLeaseAsync("client-integration", "kube-system");
        Assert.Equal(("b", 1, 2), (lease.Spec.HolderIdentity, lease.Spec.LeaseTransitions, lease.Spec.LeaseDurationSeconds));
        Assert.NotNull(lease.Spec.AcquireTime);
        Assert.NotNull(lease.Spec.RenewTime);
        Assert.True(b.IsLeader);
        Assert.Equal(1, maxLeaders);
        await stopB.CancelAsync();
        await runB.WaitAsync(Bound);
    }
}
