using k8s;
using Kubesharp.Client.LeaderElection;

namespace Kubesharp.Controllers.Tests.Integration;

/// <summary>Two controller managers on one cluster: exactly one runs the controllers; when it dies the other takes over.</summary>
public sealed class LeaderElectionIntegrationTests(ClusterFixture cluster) : IClassFixture<ClusterFixture>
{
    private static ControllerManagerOptions Electing(string identity) => ClusterFixture.FastOptions(leaderElect: true) with
    {
        Identity = identity,
        LeaseDuration = TimeSpan.FromSeconds(3),
        RenewDeadline = TimeSpan.FromSeconds(2),
        RetryPeriod = TimeSpan.FromMilliseconds(300),
    };

    [Fact]
    public async Task One_manager_leads_and_the_other_takes_over_when_it_dies()
    {
        using var client = cluster.Client();
        var a = cluster.NewManager(Electing("manager-a"));
        await using var b = cluster.NewManager(Electing("manager-b"));
        await a.StartAsync(CancellationToken.None);
        await Eventually.HoldsAsync(() => Task.FromResult((a.IsRunningControllers, "a not running")), "manager a to lead");
        await b.StartAsync(CancellationToken.None);

        // b sees a holding the lease and stays a follower.
        await Eventually.HoldsAsync(
            async () =>
            {
                var lease = await client.CoordinationV1.ReadNamespacedLeaseAsync("kube-controller-manager", "kube-system");
                return (lease.Spec.HolderIdentity == "manager-a", lease.Spec.HolderIdentity);
            },
            "the lease to be held by a");
        Assert.False(b.IsLeader);
        Assert.Equal(0, b.Terms);

        // a works: a new namespace gets its default account.
        await TestCluster.CreateNamespaceAsync(client, "le-one");
        await Eventually.HoldsAsync(async () => ((await client.CoreV1.ListNamespacedServiceAccountAsync("le-one")).Items.Count == 1, "none"), "a's controllers to work");

        // a dies without releasing the lease: b takes over once it expires, and b's controllers work.
        await a.DisposeAsync();
        Assert.False(a.IsRunningControllers);
        await Eventually.HoldsAsync(() => Task.FromResult((b.IsRunningControllers, "b not running")), "manager b to take over");
        var lease = await client.CoordinationV1.ReadNamespacedLeaseAsync("kube-controller-manager", "kube-system");
        Assert.Equal("manager-b", lease.Spec.HolderIdentity);
        Assert.True(lease.Spec.LeaseTransitions >= 1);
        Assert.Equal(1, b.Terms);
        await TestCluster.CreateNamespaceAsync(client, "le-two");
        await Eventually.HoldsAsync(async () => ((await client.CoreV1.ListNamespacedServiceAccountAsync("le-two")).Items.Count == 1, "none"), "b's controllers to work");
    }

    [Fact]
    public void The_default_identity_is_hostname_underscore_uuid()
    {
        var identity = LeaderElectionOptions.DefaultIdentity();
        var (host, uuid) = (identity[..identity.LastIndexOf('_')], identity[(identity.LastIndexOf('_') + 1)..]);

        Assert.Equal(System.Net.Dns.GetHostName(), host);
        Assert.True(Guid.TryParse(uuid, out _));
    }
}
