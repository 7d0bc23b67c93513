using Kubesharp.Client.Controllers;
using Kubesharp.Controllers.Dynamic;
using Kubesharp.Controllers.ServiceAccounts;
using Kubesharp.Controllers.Tests.Fakes;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.Controllers.Tests.ServiceAccounts;

public sealed class ServiceAccountsControllerTests
{
    private static async Task<(FakeCluster Cluster, FakeServiceAccountApi Api, ServiceAccountsController Controller)> StartAsync(Action<FakeCluster> seed)
    {
        var cluster = new FakeCluster();
        var api = new FakeServiceAccountApi();
        var controller = new ServiceAccountsController(cluster.Informers, api, cluster.Clock, NullLoggerFactory.Instance);
        seed(cluster);
        await cluster.StartAsync();
        return (cluster, api, controller);
    }

    [Fact]
    public async Task An_active_namespace_without_the_default_account_gets_one()
    {
        var (cluster, api, controller) = await StartAsync(c => c.Seed(Objects.Namespace("team")));
        await using var _ = cluster;
        using var __ = controller;

        var result = await controller.SyncAsync("team", CancellationToken.None);

        Assert.Equal(ReconcileResult.Done, result);
        var created = Assert.Single(api.Writes);
        Assert.Equal(("default", "team"), (created.Metadata.Name, created.Metadata.NamespaceProperty));
    }

    [Theory]
    [InlineData("has the account")]
    [InlineData("terminating")]
    [InlineData("marked for deletion")]
    [InlineData("gone")]
    public async Task Nothing_is_created_when(string state)
    {
        var (cluster, api, controller) = await StartAsync(c =>
        {
            switch (state)
            {
                case "has the account":
                    c.Seed(Objects.Namespace("team"));
                    c.Seed(Objects.Account("team", "default"));
                    break;
                case "terminating":
                    c.Seed(Objects.Namespace("team", phase: "Terminating"));
                    break;
                case "marked for deletion":
                    c.Seed(Objects.Namespace("team", deleted: DateTime.UtcNow));
                    break;
            }
        });
        await using var _ = cluster;
        using var __ = controller;

        await controller.SyncAsync("team", CancellationToken.None);

        Assert.Empty(api.Writes);
    }

    [Theory]
    [InlineData(WriteOutcome.AlreadyExists)]
    [InlineData(WriteOutcome.NamespaceTerminating)]
    [InlineData(WriteOutcome.NotFound)]
    public async Task Expected_refusals_are_not_retried(WriteOutcome outcome)
    {
        var (cluster, api, controller) = await StartAsync(c => c.Seed(Objects.Namespace("team")));
        await using var _ = cluster;
        using var __ = controller;
        api.Outcome = outcome;

        Assert.Equal(ReconcileResult.Done, await controller.SyncAsync("team", CancellationToken.None));
    }

    [Fact]
    public async Task A_conflict_is_retried()
    {
        var (cluster, api, controller) = await StartAsync(c => c.Seed(Objects.Namespace("team")));
        await using var _ = cluster;
        using var __ = controller;
        api.Outcome = WriteOutcome.Conflict;

        await Assert.ThrowsAsync<InvalidOperationException>(() => controller.SyncAsync("team", CancellationToken.None));
    }
}
