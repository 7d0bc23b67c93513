using System.Threading.Channels;
using k8s;
using k8s.Models;
using Kubesharp.Client.Cache;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubesharp.Client.Tests.Integration;

public sealed class InformerIntegrationTests(ApiServerFixture server) : IClassFixture<ApiServerFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task An_informer_sees_creates_updates_and_deletes_made_through_the_client()
    {
        using var client = server.Client();
        const string ns = "informer-test";
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } });
        await client.CoreV1.CreateNamespacedConfigMapAsync(Cm("before", "1"), ns);
        await using var factory = new SharedInformerFactory(new KubernetesListWatchFactory(client), TimeProvider.System, NullLoggerFactory.Instance);
        var informer = factory.GetInformer<V1ConfigMap>(ns);
        var lines = Channel.CreateUnbounded<string>();
        informer.AddEventHandler(new ResourceEventHandlerFuncs<V1ConfigMap>
        {
            AddFunc = c => lines.Writer.TryWrite($"add {c.Metadata.Name} {Value(c)}"),
            UpdateFunc = (o, c) => lines.Writer.TryWrite($"update {c.Metadata.Name} {Value(o)}->{Value(c)}"),
            DeleteFunc = (c, unknown) => lines.Writer.TryWrite($"delete {c.Metadata.Name} {unknown}"),
        });
        using var stop = new CancellationTokenSource();

        factory.Start(stop.Token);
        using (var sync = new CancellationTokenSource(Bound))
        {
            Assert.True(await factory.WaitForCacheSyncAsync(sync.Token), "the informer did not sync");
        }

        Assert.True(informer.HasSynced);
        Assert.Equal(["add before 1"], await lines.Reader.TakeAsync(1, Bound));
        Assert.Equal("1", informer.Lister.Get(ns, "before")?.Data["v"]);

        await client.CoreV1.CreateNamespacedConfigMapAsync(Cm("made", "1"), ns);
        var made = await client.CoreV1.ReadNamespacedConfigMapAsync("made", ns);
        made.Data["v"] = "2";
        await client.CoreV1.ReplaceNamespacedConfigMapAsync(made, "made", ns);
        await client.CoreV1.DeleteNamespacedConfigMapAsync("before", ns);
        await client.CoreV1.CreateNamespacedConfigMapAsync(Cm("elsewhere", "1"), "default");

        Assert.Equal(["add made 1", "update made 1->2", "delete before False"], await lines.Reader.TakeAsync(3, Bound));
        Assert.Null(informer.Lister.Get(ns, "before"));
        Assert.Equal("2", informer.Lister.Get(ns, "made")?.Data["v"]);
        Assert.Equal(["made"], informer.Lister.List(ns).Select(c => c.Metadata.Name));
        Assert.Empty(informer.Lister.List("default"));
        Assert.Equal(1L, informer.Reflector!.Lists);
    }

    [Fact]
    public async Task The_typed_list_watch_pages_lists_and_filters_by_label()
    {
        using var client = server.Client();
        const string ns = "listwatch-test";
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } });
        for (var i = 0; i < KubernetesListWatch.PageSize + 3; i++)
        {
            var cm = Cm($"cm-{i}", "1");
            cm.Metadata.Labels = new Dictionary<string, string> { ["parity"] = i % 2 == 0 ? "even" : "odd" };
            await client.CoreV1.CreateNamespacedConfigMapAsync(cm, ns);
        }

        var all = await KubernetesListWatch.Create<V1ConfigMap>(client, ns).ListAsync(CancellationToken.None);
        var odd = await KubernetesListWatch.Create<V1ConfigMap>(client, ns, labelSelector: "parity=odd").ListAsync(CancellationToken.None);

        Assert.Equal(KubernetesListWatch.PageSize + 3, all.Items.Count);
        Assert.Equal(all.Items.Count, all.Items.Select(c => c.Metadata.Name).Distinct().Count());
        Assert.Equal((KubernetesListWatch.PageSize + 3) / 2, odd.Items.Count);
        Assert.True(long.Parse(all.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture) > 0);
    }

    private static V1ConfigMap Cm(string name, string value) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Data = new Dictionary<string, string> { ["v"] = value },
    };

    private static string? Value(V1ConfigMap c) => c.Data is { } d && d.TryGetValue("v", out var v) ? v : null;
}
