using k8s;
using k8s.Models;
using Kubesharp.Client.Cache;
using Kubesharp.Testing.Client;
using Microsoft.Extensions.Logging.Abstractions;
using static Kubesharp.Client.Tests.TestObjects;

namespace Kubesharp.Client.Tests.Cache;

public sealed class SharedInformerFactoryTests
{
    /// <summary>Hands out one scripted list/watch per distinct request, and records the requests.</summary>
    private sealed class FakeFactory : IListWatchFactory
    {
        public List<string> Requests { get; } = [];

        public Dictionary<string, object> Fakes { get; } = [];

        public ListWatch<T> Create<T>(string? ns, string? labelSelector, string? fieldSelector)
            where T : class, IKubernetesObject<V1ObjectMeta>
        {
            var key = $"{typeof(T).Name} {ns} {labelSelector} {fieldSelector}";
            Requests.Add(key);
            var fake = new FakeListWatch<T>();
            Fakes[key] = fake;
            return fake.ListWatch;
        }
    }

    [Fact]
    public async Task One_informer_per_type_namespace_and_selectors()
    {
        var lists = new FakeFactory();
        await using var factory = new SharedInformerFactory(lists, new FakeClock(), NullLoggerFactory.Instance);

        var a = factory.GetInformer<V1ConfigMap>();
        var b = factory.GetInformer<V1ConfigMap>();
        var c = factory.GetInformer<V1ConfigMap>("kube-system");
        var d = factory.GetInformer<V1ConfigMap>(labelSelector: "app=web");
        var e = factory.GetInformer<V1Pod>(fieldSelector: "spec.nodeName=n1");

        Assert.Same(a, b);
        Assert.Equal(4, new object[] { a, c, d, e }.Distinct().Count());
        Assert.Equal(["V1ConfigMap   ", "V1ConfigMap kube-system  ", "V1ConfigMap  app=web ", "V1Pod   spec.nodeName=n1"], lists.Requests);
    }

    [Fact]
    public async Task Wait_for_cache_sync_covers_every_started_informer()
    {
        var lists = new FakeFactory();
        await using var factory = new SharedInformerFactory(lists, new FakeClock(), NullLoggerFactory.Instance);
        var configMaps = factory.GetInformer<V1ConfigMap>();
        var pods = factory.GetInformer<V1Pod>();
        factory.Start(CancellationToken.None);

        var synced = factory.WaitForCacheSyncAsync(CancellationToken.None);
        ((FakeListWatch<V1ConfigMap>)lists.Fakes["V1ConfigMap   "]).AddList("1", Cm("a", "1"));
        await configMaps.WaitForSyncAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(synced.IsCompleted, "synced before the pod informer listed");
        ((FakeListWatch<V1Pod>)lists.Fakes["V1Pod   "]).AddList("1");

        Assert.True(await synced.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(configMaps.HasSynced && pods.HasSynced);
    }

    [Fact]
    public async Task Wait_for_cache_sync_returns_false_when_cancelled()
    {
        await using var factory = new SharedInformerFactory(new FakeFactory(), new FakeClock(), NullLoggerFactory.Instance);
        factory.GetInformer<V1ConfigMap>();
        factory.Start(CancellationToken.None);
        using var cts = new CancellationTokenSource();

        var synced = factory.WaitForCacheSyncAsync(cts.Token);
        await cts.CancelAsync();

        Assert.False(await synced.WaitAsync(TimeSpan.FromSeconds(10)));
    }
}
