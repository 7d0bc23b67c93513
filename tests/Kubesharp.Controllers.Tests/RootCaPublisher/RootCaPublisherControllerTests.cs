using Kubesharp.Client.Controllers;
using Kubesharp.Controllers.Dynamic;
using Kubesharp.Controllers.RootCaPublisher;
using Kubesharp.Controllers.Tests.Fakes;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.Controllers.Tests.RootCaPublisher;

public sealed class RootCaPublisherControllerTests
{
    private const string Ca = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    private const string Name = RootCaPublisherController.ConfigMapName;

    private static readonly Dictionary<string, string> Described = new() { [RootCaPublisherController.DescriptionAnnotation] = RootCaPublisherController.Description };

    private static async Task<(FakeCluster Cluster, FakeConfigMapApi Api, RootCaPublisherController Controller)> StartAsync(Action<FakeCluster> seed)
    {
        var cluster = new FakeCluster();
        var api = new FakeConfigMapApi();
        var controller = new RootCaPublisherController(cluster.Informers, api, Ca, cluster.Clock, NullLoggerFactory.Instance);
        seed(cluster);
        await cluster.StartAsync();
        return (cluster, api, controller);
    }

    [Fact]
    public async Task A_namespace_without_the_map_gets_it_with_the_ca_and_upstreams_description()
    {
        var (cluster, api, controller) = await StartAsync(c => c.Seed(Objects.Namespace("team")));
        await using var _ = cluster;
        using var __ = controller;

        await controller.SyncAsync("team", CancellationToken.None);

        var (verb, map) = Assert.Single(api.Writes);
        Assert.Equal(("create", Name, "team"), (verb, map.Metadata.Name, map.Metadata.NamespaceProperty));
        Assert.Equal(new Dictionary<string, string> { ["ca.crt"] = Ca }, map.Data);
        Assert.Equal(Described, map.Metadata.Annotations);
        Assert.StartsWith("Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints", RootCaPublisherController.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_current_map_is_left_alone()
    {
        var (cluster, api, controller) = await StartAsync(c =>
        {
            c.Seed(Objects.Namespace("team"));
            c.Seed(Objects.ConfigMap("team", Name, new() { ["ca.crt"] = Ca }, new(Described) { ["extra"] = "kept" }));
        });
        await using var _ = cluster;
        using var __ = controller;

        await controller.SyncAsync("team", CancellationToken.None);

        Assert.Empty(api.Writes);
    }

    [Theory]
    [InlineData("changed ca")]
    [InlineData("extra key")]
    [InlineData("no description")]
    public async Task A_changed_map_is_put_back_keeping_other_annotations(string change)
    {
        var data = new Dictionary<string, string> { ["ca.crt"] = change == "changed ca" ? "tampered" : Ca };
        if (change == "extra key")
        {
            data["other"] = "x";
        }

        var annotations = change == "no description" ? new Dictionary<string, string> { ["extra"] = "kept" } : new Dictionary<string, string>(Described) { ["extra"] = "kept" };
        var (cluster, api, controller) = await StartAsync(c =>
        {
            c.Seed(Objects.Namespace("team"));
            c.Seed(Objects.ConfigMap("team", Name, data, annotations));
        });
        await using var _ = cluster;
        using var __ = controller;

        await controller.SyncAsync("team", CancellationToken.None);

        var (verb, map) = Assert.Single(api.Writes);
        Assert.Equal("update", verb);
        Assert.Equal("7", map.Metadata.ResourceVersion);
        Assert.Equal(new Dictionary<string, string> { ["ca.crt"] = Ca }, map.Data);
        Assert.Equal(RootCaPublisherController.Description, map.Metadata.Annotations[RootCaPublisherController.DescriptionAnnotation]);
        Assert.Equal("kept", map.Metadata.Annotations["extra"]);
    }

    [Fact]
    public async Task The_cached_object_is_not_modified()
    {
        var cached = Objects.ConfigMap("team", Name, new() { ["ca.crt"] = "tampered" }, null);
        var (cluster, api, controller) = await StartAsync(c =>
        {
            c.Seed(Objects.Namespace("team"));
            c.Seed(cached);
        });
        await using var _ = cluster;
        using var __ = controller;

        await controller.SyncAsync("team", CancellationToken.None);

        Assert.Single(api.Writes);
        Assert.Equal("tampered", cluster.Informers.GetInformer<k8s.Models.V1ConfigMap>(fieldSelector: "metadata.name=" + Name).Lister.Get("team", Name)!.Data["ca.crt"]);
    }

    [Fact]
    public async Task A_terminating_namespace_gets_nothing_and_a_refused_create_is_not_retried()
    {
        var (cluster, api, controller) = await StartAsync(c =>
        {
            c.Seed(Objects.Namespace("going", deleted: DateTime.UtcNow));
            c.Seed(Objects.Namespace("racing"));
        });
        await using var _ = cluster;
        using var __ = controller;
        api.Outcome = WriteOutcome.NamespaceTerminating;

        await controller.SyncAsync("going", CancellationToken.None);
        var result = await controller.SyncAsync("racing", CancellationToken.None);

        Assert.Equal(ReconcileResult.Done, result);
        Assert.Equal(["racing"], api.Writes.Select(w => w.Map.Metadata.NamespaceProperty));
    }
}
